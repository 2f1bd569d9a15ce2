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
import type { AlipayPlusApplyTokenRequest, AlipayPlusApplyTokenResponse, AntomApplyTokenRequest, AntomApplyTokenResponse, MerchantRegion } from '../antom/models';
import type { ApplyTokenInput, TokenSet } from '../workflows/activityContract';
import { currentActivityIdentity } from './activityIdentity';
import { callAntom, clientForProfile } from './antomCall';
import type { ActivityDependencies } from './dependencies';
import { ACTIVITY_FAILURE_TYPES, toActivityFailure } from './failureMapping';
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createApplyTokenActivity(deps: ActivityDependencies): (input: ApplyTokenInput) => Promise<TokenSet> {
  const now = deps.clock ?? Date.now;
  const journal = deps.store.applyTokenJournal;

  return async function applyToken(input: ApplyTokenInput): Promise<TokenSet> {
    const operation = `${input.profile}.applyToken`;
    const { workflowId, attempt } = currentActivityIdentity(operation);
    const log = { workflowId, wallet: input.wallet, profile: input.profile, grantType: input.grantType, attempt };
    const client = clientForProfile(deps, input.profile, operation);
    const request = input.profile === 'alipayplus' ? alipayPlusApplyTokenRequest(input) : antomApplyTokenRequest(input);
    if (!input.requestId) throw toActivityFailure(new TypeError('requestId is required'), operation, 'antom');
    const journalKey = {
      workflowId,
      requestId: input.requestId,
      platform: client.platform,
      origin: client.origin,
      path: client.pathOf('applyToken'),
      request,
    };

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

    const response = await callAntom(deps, {
      profile: input.profile,
      endpoint: 'applyToken',
      // Never abort once sent: Antom may issue the token anyway, and only a received response can be journaled.
      abortInFlight: false,
      send: (c) =>
        input.profile === 'alipayplus'
          ? c.applyTokenAps(request as AlipayPlusApplyTokenRequest)
          : c.applyToken(request as AntomApplyTokenRequest),
    });
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
    deps.logger.info({ ...log, accessTokenExpiry: tokens.accessTokenExpiry, hasRefreshToken: tokens.refreshToken !== undefined }, 'applyToken done');
    return tokens;
  };
}
