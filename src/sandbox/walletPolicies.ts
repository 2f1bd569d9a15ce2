/**
 * How each wallet issues tokens (antom-api.md §5 samples). The table is data: tests and the admin API can replace a
 * wallet's policy to reproduce a specific wallet's habits.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

export interface WalletPolicy {
  /** Access token lifetime from issue time. Ignored when `fixedAccessTokenExpiry` or `accessTokenLifetimeYears` is set. */
  readonly accessTokenLifetimeMs: number;
  /**
   * Access token lifetime in calendar years (UTC; a fraction is whole months, 2.5 = 2 years 6 months): a wallet whose
   * token "lasts 10 years" expires on the same date 10 years on, not 3,650 days later. Wins over the ms field.
   */
  readonly accessTokenLifetimeYears?: number;
  /** A calendar date every access token of this wallet expires at (AlipayHK: 2038), epoch ms. */
  readonly fixedAccessTokenExpiry?: number;
  /** Refresh token lifetime from the authorization (or from each rotation); null = the wallet issues none. */
  readonly refreshTokenLifetimeMs: number | null;
  /** Refresh token lifetime in calendar years, like accessTokenLifetimeYears; wins over the ms field. */
  readonly refreshTokenLifetimeYears?: number;
  /** Whether a refresh issues a new refresh token (with a new expiry) and retires the one used. */
  readonly rotateRefreshToken: boolean;
}

/** The short-lived wallet for tests that must see several refresh cycles quickly. */
export const SHORT_LIVED_TEST_WALLET = 'SANDBOX_SHORT';

const ALIPAY_HK_FIXED_EXPIRY = Date.UTC(2038, 0, 19, 3, 14, 7);

/** Wallets with documented sample lifetimes. */
/** A lifetime stated in calendar years (the ms fields are the 365-day approximation, kept for readers of the table). */
const years = (access: number, refresh: number | null): Pick<WalletPolicy, 'accessTokenLifetimeMs' | 'accessTokenLifetimeYears' | 'refreshTokenLifetimeMs' | 'refreshTokenLifetimeYears'> => ({
  accessTokenLifetimeMs: access * YEAR,
  accessTokenLifetimeYears: access,
  refreshTokenLifetimeMs: refresh === null ? null : refresh * YEAR,
  ...(refresh === null ? {} : { refreshTokenLifetimeYears: refresh }),
});

const SAMPLE_POLICIES: Readonly<Record<string, WalletPolicy>> = {
  GCASH: { ...years(2, 2), rotateRefreshToken: true },
  TNG: { ...years(2, 2.5), rotateRefreshToken: false },
  TRUEMONEY: { ...years(2, 2.5), rotateRefreshToken: false },
  DANA: { ...years(10, 10), rotateRefreshToken: false },
  ALIPAY_HK: {
    accessTokenLifetimeMs: 0,
    fixedAccessTokenExpiry: ALIPAY_HK_FIXED_EXPIRY,
    refreshTokenLifetimeMs: null,
    rotateRefreshToken: false,
  },
  KAKAOPAY: { ...years(100, null), rotateRefreshToken: false },
  [SHORT_LIVED_TEST_WALLET]: { accessTokenLifetimeMs: 30 * MINUTE, refreshTokenLifetimeMs: 2 * HOUR, rotateRefreshToken: true },
};

/** The other wallets Antom knows (antom-api.md §6) get a plain policy: one year (the documented minimum), no rotation. */
const OTHER_KNOWN_WALLETS = [
  'ALIPAY_CN', 'MPAY', 'PAYPAY', 'BOOST', 'GRABPAY_MY', 'HIPAY', 'MAYA', 'GRABPAY_PH', 'GRABPAY_SG', 'NAVERPAY',
  'TOSSPAY', 'RABBIT_LINE_PAY', 'KPLUS', 'DIRECT_DEBIT_SIAMCOMMERCIALBANK', 'DIRECT_DEBIT_KRUNGTHAIBANK',
  'ACH_DIRECT_DEBIT', 'ZALOPAY', 'MOMO', 'VIETTELMONEY', 'JKOPAY', 'BKASH', 'EASYPAISA', 'DIRECTDEBIT_YAPILY',
  'ANTOM_BIZ_ACCOUNT',
] as const;

const PLAIN_POLICY: WalletPolicy = { ...years(1, 2), rotateRefreshToken: false };

export function defaultWalletPolicies(): Map<string, WalletPolicy> {
  const table = new Map<string, WalletPolicy>(Object.entries(SAMPLE_POLICIES));
  for (const wallet of OTHER_KNOWN_WALLETS) table.set(wallet, PLAIN_POLICY);
  return table;
}

/**
 * `epochMs` moved by `years` calendar years in UTC; a fractional part is whole months (rounded). A day that the target
 * month lacks (29 February, the 31st) becomes that month's last day, never a day of the next month.
 */
export function addCalendarYears(epochMs: number, years: number): number {
  const months = Math.round(years * 12);
  const date = new Date(epochMs);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}

/** When the access token issued at `issuedAt` expires under `policy`. */
export function accessTokenExpiry(policy: WalletPolicy, issuedAt: number): number {
  if (policy.fixedAccessTokenExpiry !== undefined) return policy.fixedAccessTokenExpiry;
  if (policy.accessTokenLifetimeYears !== undefined) return addCalendarYears(issuedAt, policy.accessTokenLifetimeYears);
  return issuedAt + policy.accessTokenLifetimeMs;
}

/** When a refresh token issued at `issuedAt` expires under `policy`; undefined when the wallet issues none. */
export function refreshTokenExpiry(policy: WalletPolicy, issuedAt: number): number | undefined {
  if (policy.refreshTokenLifetimeYears !== undefined) return addCalendarYears(issuedAt, policy.refreshTokenLifetimeYears);
  return policy.refreshTokenLifetimeMs === null ? undefined : issuedAt + policy.refreshTokenLifetimeMs;
}

/** Alipay+ leaves the refresh token out when the access token lives "10 years or longer" — calendar years. */
export const ALIPAY_PLUS_NO_REFRESH_YEARS = 10;

export const DURATIONS = { MINUTE, HOUR, DAY, YEAR } as const;
