/**
 * When to refresh a token (or, without a refresh token, when to ask the customer to re-authorize). Pure and
 * deterministic: the same inputs give the same instant on every replay, and the jitter comes from a seed (the
 * workflow id), not from a random source, so a customer keeps the same offset across cycles.
 */

export interface RefreshSchedulePolicy {
  readonly refreshLeadMs: number;
  readonly jitterMaxMs: number;
  readonly shortLivedLifetimeMultiple: number;
  readonly shortLivedRefreshFraction: number;
}

export interface RefreshScheduleInput {
  /** When the token was obtained, epoch ms. */
  issuedAt: number;
  accessTokenExpiry: number;
  /** Epoch ms; absent when the wallet gave no expiry for its refresh token (then the access expiry bounds it). */
  refreshTokenExpiry?: number;
  hasRefreshToken: boolean;
  jitterSeed: string;
}

export interface RefreshPlan {
  /** 'refresh': call applyToken(REFRESH_TOKEN) at `at`; 'reauth': no refresh possible, raise REAUTH_REQUIRED at `at`. */
  kind: 'refresh' | 'reauth';
  /** Epoch ms. Never after `deadline`; may be ≤ issuedAt for a token that arrived already too close to expiry. */
  at: number;
  /**
   * The instant after which the action is impossible: the earlier expiry (refresh) or the access expiry (reauth —
   * also chosen when the refresh token ends first and a further refresh would barely extend the access token).
   */
  deadline: number;
  /** 'lead': `deadline − lead − jitter`; 'short-lived': a fraction of the life; 'overdue': at once. */
  basis: 'lead' | 'short-lived' | 'overdue';
  /** The jitter actually subtracted, ms. */
  jitterMs: number;
}

/** A fraction in [0, 1) from a string, stable across platforms (FNV-1a 32-bit, then a murmur3 finalizer). */
export function seedFraction(seed: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Finalizer: FNV alone leaves similar seeds ("…:cust-1", "…:cust-2") with close hashes.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000;
}

/** Share of a short-lived token's refresh offset the jitter may take, so jitter never dominates the schedule. */
const SHORT_LIVED_JITTER_SHARE = 0.1;

export function planRefresh(input: RefreshScheduleInput, policy: RefreshSchedulePolicy): RefreshPlan {
  const { issuedAt, accessTokenExpiry } = input;
  const fraction = seedFraction(input.jitterSeed);
  if (!input.hasRefreshToken) return planBefore('reauth', issuedAt, accessTokenExpiry, fraction, policy);

  const refreshExpiry = input.refreshTokenExpiry;
  if (refreshExpiry === undefined || refreshExpiry >= accessTokenExpiry) {
    return planBefore('refresh', issuedAt, accessTokenExpiry, fraction, policy);
  }
  // The refresh token dies first. A refresh at `at` buys (at − issuedAt) of extra access life; when the refresh token
  // is not renewed (non-rotating wallets) each further cycle buys less. Below a meaningful gain, stop refreshing and
  // plan the reauthorization against the access expiry instead (otherwise: ever shorter refresh cycles).
  const refresh = planBefore('refresh', issuedAt, refreshExpiry, fraction, policy);
  const accessLife = accessTokenExpiry - issuedAt;
  const worthwhileGain = Math.min(policy.refreshLeadMs, Math.floor(accessLife * policy.shortLivedRefreshFraction));
  if (refresh.at - issuedAt >= worthwhileGain) return refresh;
  return planBefore('reauth', issuedAt, accessTokenExpiry, fraction, policy);
}

function planBefore(kind: RefreshPlan['kind'], issuedAt: number, deadline: number, fraction: number, policy: RefreshSchedulePolicy): RefreshPlan {
  const life = deadline - issuedAt;
  if (life <= 0) return { kind, at: Math.min(issuedAt, deadline), deadline, basis: 'overdue', jitterMs: 0 };

  const lead = policy.refreshLeadMs;
  if (life >= policy.shortLivedLifetimeMultiple * lead && life > lead) {
    // Long-lived: exactly `lead` before the deadline, minus jitter. The jitter takes at most half the slack left after
    // the lead, so the plan never falls before the token was issued and each cycle still moves time forward.
    const jitterCap = Math.min(policy.jitterMaxMs, Math.floor((life - lead) / 2));
    const jitterMs = Math.floor(fraction * jitterCap);
    return { kind, at: deadline - lead - jitterMs, deadline, basis: 'lead', jitterMs };
  }

  // Short-lived: a fixed lead would leave almost nothing (or fall before issue), so act at a fraction of the life.
  const offset = Math.floor(life * policy.shortLivedRefreshFraction);
  const jitterCap = Math.min(policy.jitterMaxMs, Math.floor(offset * SHORT_LIVED_JITTER_SHARE));
  const jitterMs = Math.floor(fraction * jitterCap);
  return { kind, at: issuedAt + offset - jitterMs, deadline, basis: 'short-lived', jitterMs };
}

/**
 * When a failing refresh stops being retried and REAUTH_REQUIRED is raised: `noticeMs` before the deadline, or a
 * third of the time between the planned refresh and the deadline when that is shorter (short-lived tokens). Never
 * before the planned refresh.
 */
export function refreshGiveUpAt(plannedAt: number, deadline: number, noticeMs: number): number {
  const notice = Math.min(noticeMs, Math.floor(Math.max(0, deadline - plannedAt) / 3));
  return Math.max(plannedAt, deadline - notice);
}

/** The wait before retry round `failures + 1` of a failing refresh: doubling from `initialMs`, capped at `maximumMs`. */
export function refreshRetryDelay(failures: number, initialMs: number, maximumMs: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 40));
  return Math.min(maximumMs, initialMs * 2 ** exponent);
}
