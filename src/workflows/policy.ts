/**
 * The authorization workflow's knobs: defaults, each with the reason for its value, and the merge of per-workflow
 * overrides. Pure (no Temporal, no node): imported by the workflow, the client and tests alike.
 * All durations are milliseconds so the values survive JSON (workflow input, continue-as-new) unchanged.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface AuthorizationPolicy {
  /** How long the customer has to approve in the wallet (antom-api.md §5: 15 minutes, then a new consult). */
  readonly authorizationWaitMs: number;
  /** Refresh this long before the earlier of the two expiries (§5: "at least 10 days before"). */
  readonly refreshLeadMs: number;
  /** Upper bound of the deterministic per-workflow jitter subtracted from the refresh time, to spread storms. */
  readonly jitterMaxMs: number;
  /** A token living less than this multiple of the lead counts as short-lived and refreshes at a fraction of its life. */
  readonly shortLivedLifetimeMultiple: number;
  /** Fraction of a short-lived token's life after which it is refreshed (0 < f < 1). */
  readonly shortLivedRefreshFraction: number;
  /** Total time for consult attempts (U / transport retried) before NEEDS_ATTENTION. A consult is safe to repeat. */
  readonly consultBudgetMs: number;
  /** Total time for the authorization-code applyToken: the authCode dies 1 minute after issue (§5), so ≤ 60 s. */
  readonly authCodeApplyBudgetMs: number;
  /** Total time for a refresh applyToken before NEEDS_ATTENTION; generous because the deadline is days away. */
  readonly refreshBudgetMs: number;
  /** Total time for revoke attempts before NEEDS_ATTENTION (revoke is safe to repeat). */
  readonly revokeBudgetMs: number;
  /** Total time for Redis projection writes; the projection is rebuildable, so failure is recorded, not fatal. */
  readonly projectionBudgetMs: number;
  /** Capped exponential backoff between retries of the identical request. */
  readonly retryInitialIntervalMs: number;
  readonly retryMaximumIntervalMs: number;
  /** INVALID_AUTHCODE re-runs consult at most this many times per authorization attempt, then FAILED. */
  readonly maxReconsults: number;
  /**
   * A waiting run (asleep until a refresh, parked, awaiting a relink) continues as new at least this often, so every
   * open authorization runs the current workflow code's start path, re-seals its state with the current encryption
   * key, and keeps its update count and history small within a bounded time, however long its token lives.
   */
  readonly maxRunMs: number;
  /**
   * A refresh that fails with an unknown (U) or systemic answer is retried — the identical request — for the whole
   * lead window, with this backoff between rounds (each round is itself retried by Temporal for refreshBudgetMs).
   */
  readonly refreshRetryInitialIntervalMs: number;
  readonly refreshRetryMaximumIntervalMs: number;
  /**
   * Still failing this long before the token's deadline, the workflow gives up on the refresh and raises
   * REAUTH_REQUIRED, so the merchant has time to ask the customer to relink before the token expires (for short-lived
   * tokens: a third of the time between the planned refresh and the deadline, if less).
   */
  readonly reauthNoticeMs: number;
  /**
   * Webhook deliveries (deliverWebhook) are retried without limit, backing off from the initial to the maximum
   * interval; the lifecycle never waits for them.
   */
  readonly webhookRetryInitialIntervalMs: number;
  readonly webhookRetryMaximumIntervalMs: number;
  /** Events kept waiting behind a failing delivery; beyond it the oldest waiting (not the one in flight) is dropped. */
  readonly webhookOutboxLimit: number;
  /**
   * An ended authorization keeps delivering its last events this long before its run closes anyway (a receiver that
   * is down longer loses them). While it does, a link for the same customer answers with the ended state.
   */
  readonly webhookDrainMs: number;
}

export type PolicyOverrides = Partial<AuthorizationPolicy>;

export const DEFAULT_POLICY: AuthorizationPolicy = Object.freeze({
  authorizationWaitMs: 15 * MINUTE,
  refreshLeadMs: 10 * DAY,
  // Two days of spread over a 10-day lead: a fleet linked on one day refreshes over two days, still ≥ 10 days ahead.
  jitterMaxMs: 2 * DAY,
  // Below 3 × lead (30 days) the lead would eat most of the life; such tokens only exist in tests and odd wallets.
  shortLivedLifetimeMultiple: 3,
  shortLivedRefreshFraction: 0.5,
  consultBudgetMs: 2 * MINUTE,
  authCodeApplyBudgetMs: 1 * MINUTE,
  refreshBudgetMs: 1 * HOUR,
  revokeBudgetMs: 30 * MINUTE,
  projectionBudgetMs: 5 * MINUTE,
  retryInitialIntervalMs: 1 * SECOND,
  retryMaximumIntervalMs: 5 * MINUTE,
  maxReconsults: 3,
  // 90 days: a retired encryption key or workflow patch leaves every open run within a quarter; costs ~16 history
  // events per authorization per quarter.
  maxRunMs: 90 * DAY,
  // 15 minutes doubling to 4 hours: Antom's support works in hours (antom-scan-to-link-obtain-authorization.txt:
  // refresh early "so that the Antom Technical Support team has enough time"); ~40 identical attempts over 7 days.
  refreshRetryInitialIntervalMs: 15 * MINUTE,
  refreshRetryMaximumIntervalMs: 4 * HOUR,
  // 3 days: the lead is 10–12 days, so a week of retries, then three days for the customer to relink.
  reauthNoticeMs: 3 * DAY,
  // 1 s doubling to 5 minutes: a receiver restarting is caught within seconds, one down for a day costs ~300 attempts
  // (attempts live inside one activity: no history events), and an ended run's drain gets at least 3 attempts.
  webhookRetryInitialIntervalMs: 1 * SECOND,
  webhookRetryMaximumIntervalMs: 5 * MINUTE,
  // 50 events of ~1 KB each carried through continue-as-new: far more than a receiver outage produces (an
  // authorization makes a handful of events a year), small enough for any payload limit.
  webhookOutboxLimit: 50,
  // 15 minutes: a receiver's deploy or restart, and at least three attempts at the longest backoff; the closing run
  // answers a relink of the same customer with the ended state meanwhile, so not longer. Only when the receiver fails:
  // a healthy one acknowledges in milliseconds and the run closes at once.
  webhookDrainMs: 15 * MINUTE,
});

/** The hard ceiling for the authorization-code applyToken budget: the code is dead after a minute anyway. */
export const AUTH_CODE_LIFETIME_MS = 1 * MINUTE;

export class InvalidPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPolicyError';
  }
}

/**
 * Defaults overlaid with the given overrides, validated: a bad override is a programming error of the caller and must
 * fail loudly at link time, not silently years later at the first refresh.
 */
export function resolvePolicy(overrides: PolicyOverrides | undefined): AuthorizationPolicy {
  const merged: AuthorizationPolicy = { ...DEFAULT_POLICY };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_POLICY)) throw new InvalidPolicyError(`unknown policy key ${key}`);
    (merged as unknown as Record<string, number>)[key] = value as number;
  }
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidPolicyError(`policy ${key} must be a finite non-negative number`);
    }
  }
  if (merged.shortLivedRefreshFraction <= 0 || merged.shortLivedRefreshFraction >= 1) {
    throw new InvalidPolicyError('policy shortLivedRefreshFraction must be between 0 and 1 (exclusive)');
  }
  if (merged.shortLivedLifetimeMultiple < 2) {
    // Below 2 a token barely longer than the lead would be refreshed right after issue, cycle after cycle.
    throw new InvalidPolicyError('policy shortLivedLifetimeMultiple must be ≥ 2');
  }
  if (merged.authCodeApplyBudgetMs <= 0 || merged.authCodeApplyBudgetMs > AUTH_CODE_LIFETIME_MS) {
    throw new InvalidPolicyError('policy authCodeApplyBudgetMs must be in (0, 60000]: the authCode lives one minute');
  }
  for (const key of ['authorizationWaitMs', 'maxRunMs', 'refreshLeadMs', 'consultBudgetMs', 'refreshBudgetMs', 'revokeBudgetMs', 'projectionBudgetMs', 'retryInitialIntervalMs'] as const) {
    if (merged[key] <= 0) throw new InvalidPolicyError(`policy ${key} must be positive`);
  }
  if (merged.refreshRetryInitialIntervalMs <= 0 || merged.refreshRetryMaximumIntervalMs < merged.refreshRetryInitialIntervalMs) {
    throw new InvalidPolicyError('policy refreshRetryInitialIntervalMs must be positive and ≤ refreshRetryMaximumIntervalMs');
  }
  if (merged.retryMaximumIntervalMs < merged.retryInitialIntervalMs) {
    throw new InvalidPolicyError('policy retryMaximumIntervalMs must be ≥ retryInitialIntervalMs');
  }
  if (!Number.isInteger(merged.maxReconsults)) throw new InvalidPolicyError('policy maxReconsults must be an integer');
  if (merged.webhookRetryInitialIntervalMs <= 0 || merged.webhookRetryMaximumIntervalMs < merged.webhookRetryInitialIntervalMs) {
    throw new InvalidPolicyError('policy webhookRetryInitialIntervalMs must be positive and ≤ webhookRetryMaximumIntervalMs');
  }
  if (!Number.isInteger(merged.webhookOutboxLimit) || merged.webhookOutboxLimit < 1) {
    throw new InvalidPolicyError('policy webhookOutboxLimit must be a whole number ≥ 1');
  }
  return merged;
}
