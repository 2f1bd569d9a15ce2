/**
 * Message types for the Antom (`/ams/api/v1/authorizations/...`) and Alipay+ acquirer-side
 * (`/aps/api/v1/authorizations/...`) authorization APIs — antom-api.md §1, §3, §4.
 *
 * Conventions (they follow the wire format):
 * - Every non-array value is a string (`"true"`, not `true`). Optional fields are omitted (undefined), never `""`.
 * - `...Request` is what we send (or what the sandbox receives); it is checked by `requests.ts` before sending.
 * - `...ResponseBody` is the wire form of a successful response (what the sandbox writes); `...Response` is the form
 *   `responses.ts` returns after checking it, with expiry times parsed into `IsoInstant`s.
 * - Inbound notifications are parsed by `notifications.ts` into the discriminated unions below.
 *
 * The enum value lists are runtime constants so the validators and the types cannot drift apart.
 */
import type { IsoInstant } from './isoInstant';

export type { IsoInstant } from './isoInstant';

// ---------------------------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------------------------

export const RESULT_STATUSES = ['S', 'F', 'U'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** The `result` object every response (and every notification) carries. */
export interface Result {
  readonly resultStatus: ResultStatus;
  /** ≤64, e.g. `SUCCESS`, `INVALID_AUTHCODE`; see resultCodes.ts. */
  readonly resultCode: string;
  /** ≤256, human-readable; may be absent on malformed gateways, so optional. */
  readonly resultMessage?: string;
}

/** What every response body has in common; the first thing checked on any response. */
export interface ResponseEnvelope {
  readonly result: Result;
}

/** Only these four regions are accepted by Antom for `merchantRegion` (required for the GAGW product). */
export const MERCHANT_REGIONS = ['US', 'JP', 'PK', 'SG'] as const;
export type MerchantRegion = (typeof MERCHANT_REGIONS)[number];

export const TERMINAL_TYPES = ['WEB', 'WAP', 'APP', 'MINI_APP'] as const;
export type TerminalType = (typeof TERMINAL_TYPES)[number];

/** Terminal types that need an `osType` (antom-api.md §3 consult). */
export const TERMINAL_TYPES_NEEDING_OS: readonly TerminalType[] = ['APP', 'WAP', 'MINI_APP'];

export const OS_TYPES = ['IOS', 'ANDROID'] as const;
export type OsType = (typeof OS_TYPES)[number];

/** The consult scopes antom-api.md documents; auto debit uses AGREEMENT_PAY. At most 4 per request. */
export const AUTH_SCOPES = ['BASE_USER_INFO', 'USER_INFO', 'AGREEMENT_PAY'] as const;
export type AuthScope = (typeof AUTH_SCOPES)[number];

/**
 * Alipay+ prepare scopes: Antom's plus USER_LOGIN_ID, which makes applyToken return `userLoginId`
 * (alipayplus-applyToken-acqp.txt: "returned … if … the scopes parameter of the prepare API contains USER_LOGIN_ID").
 */
export const ALIPAY_PLUS_AUTH_SCOPES = [...AUTH_SCOPES, 'USER_LOGIN_ID'] as const;
export type AlipayPlusAuthScope = (typeof ALIPAY_PLUS_AUTH_SCOPES)[number];

export const GRANT_TYPES = ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const BOOLEAN_STRINGS = ['true', 'false'] as const;
/** Booleans travel as strings. */
export type BooleanString = (typeof BOOLEAN_STRINGS)[number];

/**
 * Device/environment information for consult. Newer Antom docs move `terminalType`/`osType`/`osVersion` here;
 * other keys (userAgent, clientIp, …) are passed through as strings.
 */
export interface ConsultEnv {
  readonly terminalType?: TerminalType;
  readonly osType?: OsType;
  readonly osVersion?: string;
  readonly [key: string]: string | undefined;
}

/** One way to present the authorization as a code (e.g. a QR): TEXT → render `codeValue` as QR, IMAGE → an URL. */
export interface AuthCodeDetail {
  /** `TEXT`, `IMAGE`, … (not closed: new display types must not break parsing). */
  readonly displayType: string;
  /** ≤2048. */
  readonly codeValue: string;
}

export interface AuthCodeForm {
  readonly codeDetails: readonly AuthCodeDetail[];
}

/** Where to send the customer; at least one of the URLs or a code is present on success. */
export interface AuthorizationLinks {
  readonly schemeUrl?: string;
  readonly applinkUrl?: string;
  /** WEB uses this one. */
  readonly normalUrl?: string;
  readonly appIdentifier?: string;
  /** Legacy single URL. */
  readonly authUrl?: string;
  readonly authCodeForm?: AuthCodeForm;
}

// ---------------------------------------------------------------------------------------------------------------
// Antom — consult
// ---------------------------------------------------------------------------------------------------------------

export interface AntomConsultRequest {
  /** ≤64, the wallet (e.g. GCASH). Not an enum: the wallet registry changes (antom-api.md §6). */
  readonly customerBelongsTo: string;
  /** ≤1024, absolute URL; the wallet redirects here with `authCode` and `authState`. */
  readonly authRedirectUrl: string;
  /** 1–4 distinct scopes. */
  readonly scopes: readonly AuthScope[];
  /** ≤256, merchant-generated, unique per consult, echoed back. */
  readonly authState: string;
  /** Legacy placement; either this or `env.terminalType` is required. */
  readonly terminalType?: TerminalType;
  /** Legacy placement; required (here or in `env.osType`) for APP, WAP and MINI_APP. */
  readonly osType?: OsType;
  /** ≤16. */
  readonly osVersion?: string;
  readonly env?: ConsultEnv;
  /** ≤64, secondary merchant. */
  readonly authClientId?: string;
  /** ≤1024, overrides the dashboard notification URL. */
  readonly authNotifyUrl?: string;
  readonly merchantRegion?: MerchantRegion;
  /** PAYPAY only. */
  readonly recurringPayment?: BooleanString;
  /** ≤64. */
  readonly merchantAccountId?: string;
}

export type AntomConsultResponseBody = ResponseEnvelope & AuthorizationLinks;
export type AntomConsultResponse = ResponseEnvelope & AuthorizationLinks;

// ---------------------------------------------------------------------------------------------------------------
// Antom — applyToken (two grants)
// ---------------------------------------------------------------------------------------------------------------

interface AntomApplyTokenCommon {
  /** ≤64. */
  readonly customerBelongsTo: string;
  readonly merchantRegion?: MerchantRegion;
  /** ≤64. */
  readonly merchantAccountId?: string;
}

export interface AntomAuthorizationCodeGrantRequest extends AntomApplyTokenCommon {
  readonly grantType: 'AUTHORIZATION_CODE';
  /** ≤64 documented (antom-applyToken.txt); our client lets ≤128 through (requests.ts CLIENT_LENIENCY). Single-use, expires a minute after issue. */
  readonly authCode: string;
  readonly refreshToken?: never;
}

export interface AntomRefreshTokenGrantRequest extends AntomApplyTokenCommon {
  readonly grantType: 'REFRESH_TOKEN';
  /** ≤128. Always the latest one: some wallets rotate it. */
  readonly refreshToken: string;
  readonly authCode?: never;
}

export type AntomApplyTokenRequest = AntomAuthorizationCodeGrantRequest | AntomRefreshTokenGrantRequest;

export interface AntomApplyTokenResponseBody extends ResponseEnvelope {
  readonly accessToken: string;
  readonly accessTokenExpiryTime: string;
  readonly refreshToken?: string;
  readonly refreshTokenExpiryTime?: string;
  readonly userLoginId?: string;
  readonly extendInfo?: string;
}

export interface AntomApplyTokenResponse extends ResponseEnvelope {
  readonly accessToken: string;
  readonly accessTokenExpiryTime: IsoInstant;
  /** Absent when the wallet does not refresh (the access token is then long-lived). */
  readonly refreshToken?: string;
  readonly refreshTokenExpiryTime?: IsoInstant;
  /** Masked login id, safe to display. */
  readonly userLoginId?: string;
  readonly extendInfo?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Antom — revoke
// ---------------------------------------------------------------------------------------------------------------

export interface AntomRevokeRequest {
  /** ≤128. */
  readonly accessToken: string;
  /** ≤64. */
  readonly merchantAccountId?: string;
}

export type AntomRevokeResponse = ResponseEnvelope;

// ---------------------------------------------------------------------------------------------------------------
// Antom — notifyAuthorization (Antom → merchant)
// ---------------------------------------------------------------------------------------------------------------

export const AUTHORIZATION_NOTIFY_TYPES = ['AUTHCODE_CREATED', 'TOKEN_CREATED', 'TOKEN_CANCELED'] as const;
export type AuthorizationNotifyType = (typeof AUTHORIZATION_NOTIFY_TYPES)[number];

interface AntomNotificationCommon {
  readonly authClientId?: string;
  readonly userLoginId?: string;
  readonly userId?: string;
  /** Why the authorization was canceled, when the customer gave a reason. */
  readonly reason?: string;
  /** Antom documents it as always S. */
  readonly result?: Result;
}

export interface AntomAuthCodeCreatedNotification extends AntomNotificationCommon {
  readonly authorizationNotifyType: 'AUTHCODE_CREATED';
  readonly authCode: string;
  /** Must match the consult's authState; it is how the notification finds its authorization. */
  readonly authState: string;
}

export interface AntomTokenCreatedNotification extends AntomNotificationCommon {
  readonly authorizationNotifyType: 'TOKEN_CREATED';
  readonly accessToken: string;
  readonly authState?: string;
}

export interface AntomTokenCanceledNotification extends AntomNotificationCommon {
  readonly authorizationNotifyType: 'TOKEN_CANCELED';
  readonly accessToken: string;
  readonly authState?: string;
}

export type AntomAuthorizationNotification =
  | AntomAuthCodeCreatedNotification
  | AntomTokenCreatedNotification
  | AntomTokenCanceledNotification;

// ---------------------------------------------------------------------------------------------------------------
// Alipay+ acquirer side — prepare
// ---------------------------------------------------------------------------------------------------------------

/** Like consult (antom-api.md §4), plus the auth client's identity Alipay+ shows on the consent page. */
export interface AlipayPlusPrepareRequest {
  /** ≤64, the wallet. */
  readonly customerBelongsTo: string;
  /** ≤64, the merchant as known to the acquirer; the same value must be used in applyToken. */
  readonly authClientId: string;
  /** ≤256, the auth client's registered legal name (Alipay+ docs: required). */
  readonly authClientName: string;
  /** ≤64, trade name if different from the legal name. */
  readonly authClientDisplayName?: string;
  /** ≤32. */
  readonly referenceMerchantId?: string;
  /** ≤1024. */
  readonly authRedirectUrl: string;
  /** Add USER_LOGIN_ID to get the masked `userLoginId` back from applyToken. */
  readonly scopes: readonly AlipayPlusAuthScope[];
  /** ≤256. */
  readonly authState: string;
  readonly terminalType: TerminalType;
  readonly osType?: OsType;
  /** ≤16. */
  readonly osVersion?: string;
  readonly merchantRegion?: MerchantRegion;
}

export interface AlipayPlusPrepareResponse extends ResponseEnvelope, AuthorizationLinks {
  readonly pspId?: string;
  readonly acquirerId?: string;
}
export type AlipayPlusPrepareResponseBody = AlipayPlusPrepareResponse;

// ---------------------------------------------------------------------------------------------------------------
// Alipay+ acquirer side — applyToken
// ---------------------------------------------------------------------------------------------------------------

interface AlipayPlusApplyTokenCommon {
  /** ≤64, the same as in prepare. */
  readonly authClientId: string;
  /** ≤20000, key-value info for the wallet (a JSON string). */
  readonly passThroughInfo?: string;
}

export interface AlipayPlusAuthorizationCodeGrantRequest extends AlipayPlusApplyTokenCommon {
  readonly grantType: 'AUTHORIZATION_CODE';
  /** ≤64. */
  readonly authCode: string;
  readonly refreshToken?: never;
}

export interface AlipayPlusRefreshTokenGrantRequest extends AlipayPlusApplyTokenCommon {
  readonly grantType: 'REFRESH_TOKEN';
  /** ≤128. */
  readonly refreshToken: string;
  readonly authCode?: never;
}

export type AlipayPlusApplyTokenRequest = AlipayPlusAuthorizationCodeGrantRequest | AlipayPlusRefreshTokenGrantRequest;

/** Which wallet the account was bound with (Alipay+ `Wallet` object); passed through untouched. */
export type WalletInfo = Readonly<Record<string, unknown>>;

export interface AlipayPlusApplyTokenResponseBody extends ResponseEnvelope {
  readonly pspId?: string;
  readonly acquirerId?: string;
  readonly accessToken: string;
  readonly accessTokenExpiryTime: string;
  readonly refreshToken?: string;
  readonly refreshTokenExpiryTime?: string;
  readonly customerId?: string;
  readonly userLoginId?: string;
  readonly walletForAccountBinding?: WalletInfo;
  readonly passThroughInfo?: string;
}

export interface AlipayPlusApplyTokenResponse extends ResponseEnvelope {
  readonly pspId?: string;
  readonly acquirerId?: string;
  readonly accessToken: string;
  readonly accessTokenExpiryTime: IsoInstant;
  /** Absent (with its expiry) when the token lives ≥10 years. */
  readonly refreshToken?: string;
  readonly refreshTokenExpiryTime?: IsoInstant;
  readonly customerId?: string;
  readonly userLoginId?: string;
  readonly walletForAccountBinding?: WalletInfo;
  readonly passThroughInfo?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Alipay+ acquirer side — cancelToken
// ---------------------------------------------------------------------------------------------------------------

export interface AlipayPlusCancelTokenRequest {
  /** ≤128; also the idempotency key (same token → same result, processed once). */
  readonly accessToken: string;
  /** ≤64. */
  readonly authClientId: string;
  /** ≤20000. */
  readonly passThroughInfo?: string;
}

export type AlipayPlusCancelTokenResponse = ResponseEnvelope;

// ---------------------------------------------------------------------------------------------------------------
// Alipay+ acquirer side — inbound authNotify and consultUnbinding (Alipay+ → acquirer)
// ---------------------------------------------------------------------------------------------------------------

interface AlipayPlusAuthNotificationCommon {
  readonly authClientId: string;
  readonly referenceMerchantId?: string;
  readonly customerId?: string;
  readonly userLoginId?: string;
  readonly reason?: string;
  readonly pspId?: string;
  readonly acquirerId?: string;
  readonly result?: Result;
}

export interface AlipayPlusAuthCodeCreatedNotification extends AlipayPlusAuthNotificationCommon {
  readonly authorizationNotifyType: 'AUTHCODE_CREATED';
  readonly authCode: string;
  readonly authState: string;
}

export interface AlipayPlusTokenCreatedNotification extends AlipayPlusAuthNotificationCommon {
  readonly authorizationNotifyType: 'TOKEN_CREATED';
  readonly accessToken: string;
  readonly accessTokenExpiryTime?: IsoInstant;
  readonly refreshToken?: string;
  readonly refreshTokenExpiryTime?: IsoInstant;
  readonly authState?: string;
}

export interface AlipayPlusTokenCanceledNotification extends AlipayPlusAuthNotificationCommon {
  readonly authorizationNotifyType: 'TOKEN_CANCELED';
  readonly accessToken: string;
  readonly authState?: string;
}

export type AlipayPlusAuthNotification =
  | AlipayPlusAuthCodeCreatedNotification
  | AlipayPlusTokenCreatedNotification
  | AlipayPlusTokenCanceledNotification;

/** Alipay+ asks whether the merchant lets the wallet unbind this token; answered with `allowUnbinding`. */
export interface AlipayPlusConsultUnbindingRequest {
  readonly authClientId: string;
  readonly referenceMerchantId?: string;
  readonly accessToken: string;
  readonly acquirerId?: string;
  readonly pspId?: string;
}
