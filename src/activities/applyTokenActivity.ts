/**
 * applyToken, both grants (AUTHORIZATION_CODE, REFRESH_TOKEN), both profiles (Antom, Alipay+), behind the journal:
 *
 *   1. look the exact request up in the journal → a hit returns the journaled TokenSet, Antom is not called;
 *   2. otherwise take a rate-limit slot and call Antom;
 *   3. on success journal the TokenSet (encrypted) before returning it.
 *
 * Why: a response that reached this activity but whose result never reached the workflow (the worker died, the
 * attempt timed out while returning) would make Temporal retry the identical request — and after a rotating refresh
 * or with a single-use authCode, asking Antom again fails (INVALID_REFRESH_TOKEN / INVALID_AUTHCODE) and the
 * customer would have to re-authorize. The retry reads the journal instead.
 *
 * The journal key is the exact request plus the workflow id and the input's requestId — one logical exchange,
 * built once by the workflow and reused by Temporal's retries and by an operator retry after a park. A new exchange
 * gets a new requestId, so a refresh-now right after a refresh of a non-rotating wallet (a byte-identical request)
 * really calls Antom instead of replaying the previous answer.
 */
import { Context } from '@temporalio/activity';
import type { AntomClient } from '../antom/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AlipayPlusApplyTokenRequest, AlipayPlusApplyTokenResponse, AntomApplyTokenRequest, AntomApplyTokenResponse, MerchantRegion } from '../antom/models';
import type { ApplyTokenInput, TokenSet } from '../workflows/activityContract';
import { currentActivityIdentity } from './activityIdentity';
import { callAntom, clientForProfile } from './antomCall';
import type { ActivityDependencies } from './dependencies';
import { ACTIVITY_FAILURE_TYPES, exchangeInFlightFailure, markMayHaveSucceeded, toActivityFailure } from './failureMapping';
import { withoutUndefined } from './withoutUndefined';

/** In-activity attempts to journal a success before giving up on the journal (the token is returned anyway). */
const JOURNAL_WRITE_ATTEMPTS = 3;
const JOURNAL_WRITE_BACKOFF_MS = 100;

function grantFields(input: ApplyTokenInput): { grantType: 'AUTHORIZATION_CODE'; authCode: string } | { grantType: 'REFRESH_TOKEN'; refreshToken: string } {
  // Missing secrets are left for the protocol validator to name (REQUEST_INVALID): '' never passes it.
  return input.grantType === 'AUTHORIZATION_CODE'
    ? { grantType: 'AUTHORIZATION_CODE', authCode: input.authCode ?? '' }
    : { grantType: 'REFRESH_TOKEN', refreshToken: input.refreshToken ?? '' };
}

export function antomApplyTokenRequest(input: ApplyTokenInput): AntomApplyTokenRequest {
  return withoutUndefined({
    ...grantFields(input),
    customerBelongsTo: input.wallet,
    merchantRegion: input.merchantRegion as MerchantRegion | undefined,
    merchantAccountId: input.merchantAccountId,
  }) as AntomApplyTokenRequest;
}

export function alipayPlusApplyTokenRequest(input: ApplyTokenInput): AlipayPlusApplyTokenRequest {
  return withoutUndefined({
    ...grantFields(input),
    authClientId: input.authClientId ?? '',
    passThroughInfo: input.passThroughInfo,
  }) as AlipayPlusApplyTokenRequest;
}

/** Expiry times normalised to UTC ISO strings: the workflow, search attributes and Redis all compare them. */
export function tokenSetFrom(response: AntomApplyTokenResponse | AlipayPlusApplyTokenResponse, obtainedAtMs: number): TokenSet {
  const aps = response as Partial<AlipayPlusApplyTokenResponse>;
  return withoutUndefined({
    accessToken: response.accessToken,
    accessTokenExpiry: new Date(response.accessTokenExpiryTime.epochMs).toISOString(),
    refreshToken: response.refreshToken,
    refreshTokenExpiry: response.refreshTokenExpiryTime ? new Date(response.refreshTokenExpiryTime.epochMs).toISOString() : undefined,
    userLoginId: response.userLoginId,
    obtainedAt: new Date(obtainedAtMs).toISOString(),
    customerId: aps.customerId,
    passThroughInfo: aps.passThroughInfo,
    walletForAccountBinding: aps.walletForAccountBinding,
  });
}

/**
 * The journal key of one exchange: the exact request, where it goes, and the workflow's requestId (shared with the
 * disposal of an abandoned exchange, which must find the same entry).
 */
export function applyTokenJournalKey(workflowId: string, input: ApplyTokenInput, client: AntomClient, request = input.profile === 'alipayplus' ? alipayPlusApplyTokenRequest(input) : antomApplyTokenRequest(input)): Readonly<Record<string, unknown>> {
  return { workflowId, requestId: input.requestId, platform: client.platform, origin: client.origin, path: client.pathOf('applyToken'), request };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * 20 s after the holder's last renewal: the attempt renews the lease every HEARTBEAT_EVERY_MS while it waits for the
 * rate limiter and Antom, so a live holder keeps it however long the call takes (a stall of 15 s would be needed to
 * lose it), and a holder that died (SIGKILL, OOM, a lost node) frees the exchange within 20 s. It used to be a fixed
 * 2 minutes: after a worker crash during an authCode exchange, every retry waited on the dead holder's lease past
 * the code's one-minute budget, and the customer had to consent again (test/e2e/crash/workerCrash.test.ts).
 */
export const EXCHANGE_LEASE_MS = 20_000;
const HEARTBEAT_EVERY_MS = 5_000;

type AntomClientCall = () => Promise<AntomApplyTokenResponse | AlipayPlusApplyTokenResponse>;

/** Heartbeat when running as an activity (Context present); a no-op in plain unit calls. */
function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not in an activity context
  }
}

export function createApplyTokenActivity(deps: ActivityDependencies): (input: ApplyTokenInput) => Promise<TokenSet> {
  const now = deps.clock ?? Date.now;
  const journal = deps.store.applyTokenJournal;

  return async function applyToken(input: ApplyTokenInput): Promise<TokenSet> {
    const operation = `${input.profile}.applyToken`;
    const { workflowId, attempt } = currentActivityIdentity(operation);
    const log = { workflowId, wallet: input.wallet, profile: input.profile, grantType: input.grantType, attempt };
    const client = clientForProfile(deps, input.profile, operation, input.merchantId);
    const request = input.profile === 'alipayplus' ? alipayPlusApplyTokenRequest(input) : antomApplyTokenRequest(input);
    if (!input.requestId) throw toActivityFailure(new TypeError('requestId is required'), operation, 'antom');
    const journalKey = applyTokenJournalKey(workflowId, input, client, request);

    let journaled: TokenSet | undefined;
    try {
      journaled = await journal.get(journalKey);
    } catch (error) {
      // An earlier attempt (or an earlier activity of the same exchange, before a park) may have journaled: calling
      // Antom blind could throw away a rotated refresh token or burn a used authCode. Wait for Redis instead.
      throw toActivityFailure(error, `${operation} (journal lookup)`, 'store');
    }
    if (journaled !== undefined) {
      deps.logger.info(log, 'applyToken answered from the journal (an earlier attempt succeeded)');
      return journaled;
    }

    // One attempt of this exchange in flight at a time: an attempt Temporal gave up on may still be waiting for
    // Antom; a second identical call could burn the rotated refresh token the first one is about to receive.
    const leases = deps.store.exchangeLeases;
    let release: (() => Promise<void>) | undefined;
    let renew: (() => Promise<boolean>) | undefined;
    let sentBefore = false;
    if (leases) {
      let retryAfterMs: number | undefined;
      let late: TokenSet | undefined;
      try {
        const lease = await leases.acquire(workflowId, input.requestId, `${attempt}:${Math.random().toString(36).slice(2)}`, EXCHANGE_LEASE_MS);
        if (lease.acquired) {
          release = lease.release;
          renew = lease.renew;
          sentBefore = await leases.wasSent(workflowId, input.requestId);
          // The previous holder may have journaled just before its lease ended.
          late = await journal.get(journalKey);
          if (late === undefined) await leases.markSent(workflowId, input.requestId);
        } else {
          retryAfterMs = lease.retryAfterMs;
        }
      } catch (error) {
        await release?.().catch(() => undefined);
        throw toActivityFailure(error, `${operation} (exchange lease)`, 'store');
      }
      if (late !== undefined) {
        await release?.().catch(() => undefined);
        deps.logger.info(log, 'applyToken answered from the journal (an overlapping attempt succeeded)');
        return late;
      }
      if (retryAfterMs !== undefined) {
        deps.logger.warn({ ...log, retryAfterMs }, 'applyToken: another attempt of this exchange is in flight; retrying later');
        throw exchangeInFlightFailure(operation, retryAfterMs);
      }
    }
    // Heartbeats let Temporal see this attempt is alive during the rate-limit wait and the call; each beat also renews
    // the exchange's lease, which lapses soon after this process dies.
    let leaseLost = false;
    const beat = setInterval(() => {
      heartbeat();
      renew?.().then(
        (ours) => {
          if (!ours && !leaseLost) {
            leaseLost = true;
            deps.logger.warn(log, 'applyToken: the exchange lease lapsed while the call was in flight (the process stalled)');
          }
        },
        () => undefined, // Redis unreachable: the next beat tries again; the lease may lapse meanwhile
      );
    }, HEARTBEAT_EVERY_MS);
    heartbeat();
    let response: Awaited<ReturnType<AntomClientCall>>;
    try {
      response = await callAntom(deps, {
        profile: input.profile,
        merchantId: input.merchantId,
        endpoint: 'applyToken',
        // Never abort once sent: Antom may issue the token anyway, and only a received response can be journaled.
        abortInFlight: false,
        send: (c) =>
          input.profile === 'alipayplus'
            ? c.applyTokenAps(request as AlipayPlusApplyTokenRequest)
            : c.applyToken(request as AntomApplyTokenRequest),
      });
    } catch (error) {
      clearInterval(beat);
      await release?.().catch(() => undefined);
      // A final "invalid code / refresh token" after an earlier attempt of this exchange went out: that attempt may
      // have been answered with a token we never saw. The workflow raises an alert instead of blaming the customer.
      if (sentBefore && error instanceof ApplicationFailure && (error.type === 'INVALID_REFRESH_TOKEN' || error.type === 'INVALID_AUTHCODE' || error.type === 'EXPIRED_REFRESH_TOKEN')) {
        throw markMayHaveSucceeded(error);
      }
      throw error;
    }
    clearInterval(beat);
    const tokens = tokenSetFrom(response, now());

    for (let write = 1; ; write++) {
      try {
        await journal.put(journalKey, tokens);
        break;
      } catch (error) {
        if (write >= JOURNAL_WRITE_ATTEMPTS) {
          // Returning the token beats failing: a failure here guarantees the retry asks Antom again, while a return
          // reaches the workflow unless the worker dies in the next instant.
          deps.logger.error({ ...log, err: error, failureType: ACTIVITY_FAILURE_TYPES.storeUnavailable }, 'applyToken journal write failed; returning the token unjournaled');
          break;
        }
        await sleep(JOURNAL_WRITE_BACKOFF_MS * write);
      }
    }
    await release?.().catch(() => undefined); // journaled (or given up on): the next attempt reads the journal
    deps.logger.info({ ...log, accessTokenExpiry: tokens.accessTokenExpiry, hasRefreshToken: tokens.refreshToken !== undefined }, 'applyToken done');
    return tokens;
  };
}
