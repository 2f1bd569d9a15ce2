/**
 * How each wallet issues tokens (antom-api.md §5 samples). The table is data: tests and the admin API can replace a
 * wallet's policy to reproduce a specific wallet's habits.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

export interface WalletPolicy {
  /** Access token lifetime from issue time. Ignored when `fixedAccessTokenExpiry` is set. */
  readonly accessTokenLifetimeMs: number;
  /** A calendar date every access token of this wallet expires at (AlipayHK: 2038), epoch ms. */
  readonly fixedAccessTokenExpiry?: number;
  /** Refresh token lifetime from the authorization (or from each rotation); null = the wallet issues none. */
  readonly refreshTokenLifetimeMs: number | null;
  /** Whether a refresh issues a new refresh token (with a new expiry) and retires the one used. */
  readonly rotateRefreshToken: boolean;
}

/** The short-lived wallet for tests that must see several refresh cycles quickly. */
export const SHORT_LIVED_TEST_WALLET = 'SANDBOX_SHORT';

const ALIPAY_HK_FIXED_EXPIRY = Date.UTC(2038, 0, 19, 3, 14, 7);

/** Wallets with documented sample lifetimes. */
const SAMPLE_POLICIES: Readonly<Record<string, WalletPolicy>> = {
  GCASH: { accessTokenLifetimeMs: 2 * YEAR, refreshTokenLifetimeMs: 2 * YEAR, rotateRefreshToken: true },
  TNG: { accessTokenLifetimeMs: 2 * YEAR, refreshTokenLifetimeMs: 2.5 * YEAR, rotateRefreshToken: false },
  TRUEMONEY: { accessTokenLifetimeMs: 2 * YEAR, refreshTokenLifetimeMs: 2.5 * YEAR, rotateRefreshToken: false },
  DANA: { accessTokenLifetimeMs: 10 * YEAR, refreshTokenLifetimeMs: 10 * YEAR, rotateRefreshToken: false },
  ALIPAY_HK: {
    accessTokenLifetimeMs: 0,
    fixedAccessTokenExpiry: ALIPAY_HK_FIXED_EXPIRY,
    refreshTokenLifetimeMs: null,
    rotateRefreshToken: false,
  },
  KAKAOPAY: { accessTokenLifetimeMs: 100 * YEAR, refreshTokenLifetimeMs: null, rotateRefreshToken: false },
  [SHORT_LIVED_TEST_WALLET]: { accessTokenLifetimeMs: 30 * MINUTE, refreshTokenLifetimeMs: 2 * HOUR, rotateRefreshToken: true },
};

/** The other wallets Antom knows (antom-api.md §6) get a plain policy: one year (the documented minimum), no rotation. */
const OTHER_KNOWN_WALLETS = [
  'ALIPAY_CN', 'MPAY', 'PAYPAY', 'BOOST', 'GRABPAY_MY', 'HIPAY', 'MAYA', 'GRABPAY_PH', 'GRABPAY_SG', 'NAVERPAY',
  'TOSSPAY', 'RABBIT_LINE_PAY', 'KPLUS', 'DIRECT_DEBIT_SIAMCOMMERCIALBANK', 'DIRECT_DEBIT_KRUNGTHAIBANK',
  'ACH_DIRECT_DEBIT', 'ZALOPAY', 'MOMO', 'VIETTELMONEY', 'JKOPAY', 'BKASH', 'EASYPAISA', 'DIRECTDEBIT_YAPILY',
  'ANTOM_BIZ_ACCOUNT',
] as const;

const PLAIN_POLICY: WalletPolicy = { accessTokenLifetimeMs: YEAR, refreshTokenLifetimeMs: 2 * YEAR, rotateRefreshToken: false };

export function defaultWalletPolicies(): Map<string, WalletPolicy> {
  const table = new Map<string, WalletPolicy>(Object.entries(SAMPLE_POLICIES));
  for (const wallet of OTHER_KNOWN_WALLETS) table.set(wallet, PLAIN_POLICY);
  return table;
}

/** When the access token issued at `issuedAt` expires under `policy`. */
export function accessTokenExpiry(policy: WalletPolicy, issuedAt: number): number {
  return policy.fixedAccessTokenExpiry ?? issuedAt + policy.accessTokenLifetimeMs;
}

/** Alipay+ leaves the refresh token out when the access token lives at least ten years (antom-api.md §4). */
export const ALIPAY_PLUS_NO_REFRESH_THRESHOLD_MS = 10 * YEAR;

export const DURATIONS = { MINUTE, HOUR, DAY, YEAR } as const;
