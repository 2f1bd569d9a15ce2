/**
 * disposeExchange: the workflow gave up an applyToken exchange without adopting an answer (the authCode's budget ran
 * out, a refresh alert gave up, the customer canceled while a refresh was being retried). One of its attempts may
 * still have been answered by Antom with a token the workflow never saw — an attempt that outlived its timeout and
 * journaled late. Such a token is live at the wallet and nobody holds it: revoke it, so none is ever orphaned.
 *
 *   1. take the exchange's lease (no attempt of it can be in flight meanwhile: attempts hold the same lease);
 *   2. read the journal; nothing there → nothing was issued that this service could know of;
 *   3. a journaled token → revoke it (INVALID_ACCESS_TOKEN counts as done: it is gone).
 *
 * Idempotent: run again after a lost completion, it revokes again and Antom answers "already gone".
 */
import type { ApplyTokenInput, DisposeExchangeInput, DisposeExchangeResult, TokenSet } from '../workflows/activityContract';
import { currentActivityIdentity } from './activityIdentity';
import { clientForProfile } from './antomCall';
import { applyTokenJournalKey, EXCHANGE_LEASE_MS } from './applyTokenActivity';
import type { ActivityDependencies } from './dependencies';
import { exchangeInFlightFailure, toActivityFailure } from './failureMapping';
import { sendRevoke } from './revokeActivity';

export function createDisposeExchangeActivity(deps: ActivityDependencies): (input: DisposeExchangeInput) => Promise<DisposeExchangeResult> {
  return async function disposeExchange(input: DisposeExchangeInput): Promise<DisposeExchangeResult> {
    const exchange: ApplyTokenInput = input.exchange;
    const operation = `${exchange.profile}.disposeExchange`;
    const { workflowId } = currentActivityIdentity(operation);
    const client = clientForProfile(deps, exchange.profile, operation, exchange.merchantId);
    const journalKey = applyTokenJournalKey(workflowId, exchange, client);

    let release: (() => Promise<void>) | undefined;
    let journaled: TokenSet | undefined;
    try {
      const leases = deps.store.exchangeLeases;
      if (leases) {
        const lease = await leases.acquire(workflowId, exchange.requestId, `dispose:${Math.random().toString(36).slice(2)}`, EXCHANGE_LEASE_MS);
        if (!lease.acquired) throw exchangeInFlightFailure(operation, lease.retryAfterMs);
        release = lease.release;
      }
      journaled = (await deps.store.applyTokenJournal.get(journalKey)) as TokenSet | undefined;
    } catch (error) {
      await release?.().catch(() => undefined);
      throw toActivityFailure(error, `${operation} (journal)`, 'store');
    }
    try {
      if (journaled === undefined) {
        deps.logger.info({ workflowId, wallet: exchange.wallet, grantType: exchange.grantType }, 'abandoned exchange: no token was issued to it');
        return { tokenFound: false, revoked: false };
      }
      const { alreadyRevoked } = await sendRevoke(deps, { profile: exchange.profile, wallet: exchange.wallet, ...(exchange.merchantId ? { merchantId: exchange.merchantId } : {}), accessToken: journaled.accessToken, ...input.revokeExtras });
      deps.logger.warn({ workflowId, wallet: exchange.wallet, grantType: exchange.grantType, alreadyRevoked }, 'abandoned exchange: the token Antom issued to it was revoked');
      return { tokenFound: true, revoked: true };
    } finally {
      await release?.().catch(() => undefined);
    }
  };
}
