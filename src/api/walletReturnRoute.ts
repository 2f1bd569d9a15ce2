/**
 * GET /authorizations/return?authCode&authState — where the wallet sends the customer after consent.
 * Finds the authorization by authState, delivers the authCode (the AUTHCODE_CREATED notification may beat it; the
 * workflow takes whichever comes first), then redirects to the merchant's result page with an outcome from a fixed
 * list and the wallet/customer read back from our own index — never an echo of the query.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthStateIndex } from '../store/authStateIndex';
import { AuthorizationNotFoundError, AuthorizationRejectedError, type AuthorizationOperations } from './authorizationOperations';
import { walletReturnQuerySchema } from './requestSchemas';
import { isDefaultMerchant, parseAuthorizationWorkflowId } from '../workflows/authorizationIdentity';

export type WalletReturnOutcome = 'accepted' | 'rejected' | 'declined' | 'unknown' | 'unavailable';

export interface WalletReturnRouteOptions {
  readonly operations: Pick<AuthorizationOperations, 'deliverAuthCode' | 'linkUsed'>;
  readonly authStates: Pick<AuthStateIndex, 'get'>;
  /** The merchant's page; outcome, wallet and customerId are added to its query. */
  readonly resultPageUrl: string;
  readonly logger: Logger;
}

/** `authorization:{wallet}:{customerId}` back into its parts, when they are valid (else undefined). */
export { parseAuthorizationWorkflowId };

export function resultPageLocation(resultPageUrl: string, outcome: WalletReturnOutcome, workflowId?: string): string {
  const url = new URL(resultPageUrl);
  url.searchParams.set('outcome', outcome);
  const parts = workflowId ? parseAuthorizationWorkflowId(workflowId) : undefined;
  if (parts) {
    if (!isDefaultMerchant(parts.merchant)) url.searchParams.set('merchant', parts.merchant);
    url.searchParams.set('wallet', parts.wallet);
    url.searchParams.set('customerId', parts.customerId);
  }
  return url.toString();
}

/**
 * The customer came back from a consult without a code: Antom's authorization URLs are single-use, so that URL is
 * spent and the next link gets a fresh consult. Best effort: the customer lands on the result page whatever happens.
 */
async function spendConsult(options: WalletReturnRouteOptions, authState: unknown): Promise<string | undefined> {
  if (typeof authState !== 'string' || authState === '' || authState.length > 128) return undefined;
  try {
    const workflowId = await options.authStates.get(authState);
    if (workflowId) await options.operations.linkUsed(workflowId, authState);
    return workflowId;
  } catch (error) {
    options.logger.warn({ err: error }, 'could not mark a declined consult as used');
    return undefined;
  }
}

export async function walletReturnRoute(app: FastifyInstance, options: WalletReturnRouteOptions): Promise<void> {
  app.get('/authorizations/return', async (request, reply) => {
    const parsed = walletReturnQuerySchema.safeParse(request.query);
    if (!parsed.success) {
      // A customer is behind every redirect: it always lands on the result page, never on a JSON error. Without an
      // authCode the customer declined or left the wallet; anything else malformed is refused.
      const query = (request.query ?? {}) as Record<string, unknown>;
      const declined = query.authCode === undefined || query.authCode === '';
      void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      const workflowId = declined ? await spendConsult(options, query.authState) : undefined;
      return reply.redirect(resultPageLocation(options.resultPageUrl, declined ? 'declined' : 'rejected', workflowId), 303);
    }
    const { authCode, authState } = parsed.data;
    // Not cached, not sent on as a referrer: the URL holds an authCode.
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    // The customer's browser is here either way: whatever fails (Redis, Temporal), it goes on to the result page.
    let workflowId: string | undefined;
    let outcome: WalletReturnOutcome;
    try {
      workflowId = await options.authStates.get(authState);
      if (!workflowId) return reply.redirect(resultPageLocation(options.resultPageUrl, 'unknown'), 303);
      const delivered = await options.operations.deliverAuthCode(workflowId, { authCode, authState, source: 'redirect' });
      // A duplicate means the notification got there first: the same success for the customer.
      outcome = delivered.accepted || delivered.duplicate ? 'accepted' : 'rejected';
    } catch (error) {
      if (error instanceof AuthorizationRejectedError) outcome = 'rejected';
      else if (error instanceof AuthorizationNotFoundError) outcome = 'unknown';
      else {
        // The AUTHCODE_CREATED notification still carries the code; the workflow takes it from there.
        options.logger.warn({ workflowId, err: error }, 'authCode delivery from the redirect failed');
        outcome = 'unavailable';
      }
    }
    options.logger.info({ workflowId, outcome, source: 'redirect' }, 'wallet redirect');
    return reply.redirect(resultPageLocation(options.resultPageUrl, outcome, workflowId), 303);
  });
}
