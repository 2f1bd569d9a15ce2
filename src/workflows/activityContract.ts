/**
 * The contract between the authorization workflow and its activities (src/activities implements it). Type-only:
 * the workflow does `proxyActivities<AuthorizationActivities>(…)` and never loads activity code.
 *
 * Rules every implementation follows:
 * - Inputs are built once by the workflow and are identical on every retry (Temporal retries the same input): an
 *   activity never regenerates request fields, so a retried applyToken is the identical request and the journal
 *   (keyed by a digest of the request) can answer a retry whose first response was lost.
 * - Failures are `ApplicationFailure`s with `type` = the Antom result code, or one of `LOCAL_FAILURE_TYPES`;
 *   nonRetryable for F results; `details[0]` is an `ActivityFailureDetails`. No token, authCode or key ever appears
 *   in a message or in details.
 */

import type { WebhookEvent } from './webhookEvents';

export type Profile = 'antom' | 'alipayplus';

export type TerminalType = 'WEB' | 'WAP' | 'APP' | 'MINI_APP';
export type OsType = 'IOS' | 'ANDROID';
export type GrantType = 'AUTHORIZATION_CODE' | 'REFRESH_TOKEN';

/** What the merchant passes to consult (Antom) / prepare (Alipay+). Field names follow antom-api.md §3/§4. */
export interface ConsultOptions {
  authRedirectUrl: string;
  /** Default ['AGREEMENT_PAY'] (auto debit). */
  scopes?: string[];
  terminalType?: TerminalType;
  osType?: OsType;
  osVersion?: string;
  /** Newer docs move terminalType/osType into env; sent as given. */
  env?: { terminalType?: TerminalType; osType?: OsType; osVersion?: string };
  merchantRegion?: string;
  /** Secondary merchant (Antom) / required client id (Alipay+). */
  authClientId?: string;
  authNotifyUrl?: string;
  merchantAccountId?: string;
  /** Alipay+ only: key-value info for the wallet, passed to applyToken and cancelToken too. */
  passThroughInfo?: string;
  recurringPayment?: string;
}

/** Which merchant's credentials an Antom call uses: absent for the default merchant (AuthorizationInput.merchantId). */
export interface MerchantScoped {
  merchantId?: string;
}

export interface ConsultInput extends MerchantScoped {
  profile: Profile;
  wallet: string;
  /** Fresh per consult (deterministic in-workflow UUID); the activity registers authState → workflowId first. */
  authState: string;
  options: ConsultOptions;
}

/** The consult result shown to the customer: URLs and/or a QR value. Holds no secret. */
export interface LinkResult {
  authState: string;
  normalUrl?: string;
  schemeUrl?: string;
  applinkUrl?: string;
  /** Text to render as a QR code (authCodeForm.codeDetails[].codeValue), when the wallet offers one. */
  qrCodeValue?: string;
  /** ISO 8601, the activity's clock when Antom answered. */
  consultedAt: string;
}

export interface ApplyTokenInput extends MerchantScoped {
  /**
   * One logical exchange (deterministic in-workflow UUID), identical on every retry of it. Part of the journal key
   * but never sent to Antom: a non-rotating wallet's consecutive refreshes are otherwise byte-identical requests,
   * and a journal keyed by the request alone would answer the second refresh with the first one's old tokens.
   */
  requestId: string;
  profile: Profile;
  wallet: string;
  grantType: GrantType;
  /** With AUTHORIZATION_CODE. */
  authCode?: string;
  /** With REFRESH_TOKEN: always the latest one the workflow holds. */
  refreshToken?: string;
  merchantRegion?: string;
  authClientId?: string;
  merchantAccountId?: string;
  passThroughInfo?: string;
}

export interface TokenSet {
  accessToken: string;
  /** ISO 8601. */
  accessTokenExpiry: string;
  /** Absent when the wallet issues none (long-lived access token): the workflow then plans a reauth, not a refresh. */
  refreshToken?: string;
  refreshTokenExpiry?: string;
  /** Masked account, safe to display. */
  userLoginId?: string;
  /** ISO 8601, when the token was obtained (activity clock; a journaled replay returns the original). */
  obtainedAt: string;
  /** Alipay+ extras, passed through for the merchant. */
  customerId?: string;
  passThroughInfo?: string;
  /**
   * Alipay+: the wallet the customer bound the account with (the `Wallet` object of the applyToken response:
   * walletName, logo, …), kept as received. Public, no secret: shown in the authorization's view.
   */
  walletForAccountBinding?: Readonly<Record<string, unknown>>;
  /**
   * The access token's routing digest (src/codec/routingDigest.ts: a keyed HMAC, no secret), added by the activity:
   * the workflow records it in visibility (AntomTokenDigests) so TOKEN_CANCELED is routed without Redis.
   */
  routingDigest?: string;
}

export interface RevokeInput extends MerchantScoped {
  profile: Profile;
  wallet: string;
  accessToken: string;
  authClientId?: string;
  merchantAccountId?: string;
  passThroughInfo?: string;
}

export interface RevokeResult {
  /** Antom answered INVALID_ACCESS_TOKEN: the token was already gone (expired, revoked, unknown). */
  alreadyRevoked: boolean;
}

/** Public states as projected; the projection stores what the payment path needs. */
export interface ProjectTokenInput {
  workflowId: string;
  wallet: string;
  customerId: string;
  tokens: TokenSet;
  /** ISO 8601; absent when no refresh is planned (reauth instead). */
  nextRefreshAt?: string;
  /** The workflow's public state at projection time (an AuthorizationState value). */
  state: string;
  /** This authorization (the workflow chain's first run id): a withdrawal keeps its later writes out. */
  authorizationId: string;
  /**
   * Monotonic per workflow id, across runs and across successive authorizations under that id (the workflow time of
   * the token's adoption, at least one above the previous version): the store ignores a write older than it holds.
   */
  version: number;
}

export interface RemoveProjectionInput {
  workflowId: string;
  wallet: string;
  customerId: string;
  /**
   * The version of the last token projected, when there was one: the removal leaves a tombstone at that version, so a
   * projectToken still in flight (a reproject handler, an attempt that outlived its timeout) cannot write the token
   * back afterwards. Absent: unconditional removal (nothing was ever projected).
   */
  version?: number;
}

/** One webhook event to POST to the merchant (WEBHOOK_URL), signed with every WEBHOOK_SECRETS secret. */
export interface DeliverWebhookInput {
  event: WebhookEvent;
  /** Events waiting in the workflow's outbox, this one included: what a failing delivery holds back (the metric). */
  backlog: number;
}

/**
 * delivered: the receiver answered 2xx. not-configured: the worker has no WEBHOOK_URL — the workflow stops emitting
 * for the rest of the run. Any other answer, a timeout or a connection error fails the attempt (retryable, always).
 */
export type DeliverWebhookResult = { outcome: 'delivered'; status: number } | { outcome: 'not-configured' };

export interface DisposeExchangeInput {
  /** The abandoned exchange, exactly as its attempts sent it (the journal is keyed by it). */
  exchange: ApplyTokenInput;
  /** Fields a revoke of this authorization carries (Alipay+ authClientId / passThroughInfo, merchantAccountId). */
  revokeExtras: Pick<RevokeInput, 'authClientId' | 'merchantAccountId' | 'passThroughInfo'>;
}

export interface DisposeExchangeResult {
  /** An attempt had been answered with a token (journaled) that the workflow never received. */
  tokenFound: boolean;
  /** That token was revoked (or Antom said it was already gone). */
  revoked: boolean;
}

export interface AuthorizationActivities {
  consult(input: ConsultInput): Promise<LinkResult>;
  applyToken(input: ApplyTokenInput): Promise<TokenSet>;
  revoke(input: RevokeInput): Promise<RevokeResult>;
  /** An exchange given up without adopting its answer: revoke any token an attempt of it was issued. */
  disposeExchange(input: DisposeExchangeInput): Promise<DisposeExchangeResult>;
  projectToken(input: ProjectTokenInput): Promise<void>;
  removeProjection(input: RemoveProjectionInput): Promise<void>;
  deliverWebhook(input: DeliverWebhookInput): Promise<DeliverWebhookResult>;
}

/** Same literals as `ResultOutcome` in src/antom/resultCodes.ts (mirrored: this module stays dependency-free). */
export type FailureOutcome = 'success' | 'unknown-retry' | 'customer-final' | 'systemic-final' | 'already-done';

/**
 * ApplicationFailure types that are not Antom result codes (the activities' own; see src/activities/failureMapping.ts
 * for when each is raised). The workflow decides on the `outcome` in the details, never on these names.
 */
export const LOCAL_FAILURE_TYPES = [
  'TRANSPORT_ERROR',
  'UNVERIFIABLE_RESPONSE',
  'REQUEST_INVALID',
  'CONFIGURATION_ERROR',
  'RATE_LIMITED',
  'STORE_UNAVAILABLE',
  'INVALID_ACTIVITY_INPUT',
  'INTERNAL_ERROR',
  'EXCHANGE_IN_FLIGHT',
] as const;
export type LocalFailureType = (typeof LOCAL_FAILURE_TYPES)[number];

/** `details[0]` of every activity ApplicationFailure. */
export interface ActivityFailureDetails {
  outcome: FailureOutcome;
  /** The Antom result code, or a LocalFailureType. */
  resultCode: string;
  /**
   * applyToken: an earlier attempt of this same exchange was sent and its answer is unknown, so a final "invalid code
   * / refresh token" answer may only mean that earlier attempt succeeded at Antom. An alert, not the customer's fault.
   */
  mayHaveSucceeded?: boolean;
}
