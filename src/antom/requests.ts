/**
 * Checks of outgoing requests, run BEFORE anything is signed or sent (and by the sandbox on what it receives, to
 * answer PARAM_ILLEGAL naming the field). Rules from antom-api.md §1, §3, §4: required and conditional fields,
 * maximum lengths, enums, `merchantRegion` ∈ {US, JP, PK, SG}, every non-array value a string, optional fields
 * omitted or null but never `""`, 1–4 distinct known scopes, and no unknown fields (a misspelt optional field
 * would otherwise be dropped silently by the gateway).
 *
 *   validateConsultRequest(input: unknown): Validation<AntomConsultRequest>
 *   validateAntomApplyTokenRequest(input: unknown): Validation<AntomApplyTokenRequest>
 *   validateRevokeRequest(input: unknown): Validation<AntomRevokeRequest>
 *   validatePrepareRequest(input: unknown): Validation<AlipayPlusPrepareRequest>
 *   validateAlipayPlusApplyTokenRequest(input: unknown): Validation<AlipayPlusApplyTokenRequest>
 *   validateCancelTokenRequest(input: unknown): Validation<AlipayPlusCancelTokenRequest>
 *   requestValidators[platform][endpoint]  — the same functions, keyed like endpoints.ts
 *
 * The returned value is a fresh object (null optionals become undefined and disappear from JSON); send that one.
 * Use `requireValid` (validation.ts) to throw a RequestValidationError instead.
 *
 * Two directions, one set of rules:
 *   requestValidators          — what OUR client sends: the documented rules, plus CLIENT_LENIENCY.
 *   receivedRequestValidators  — what the sandbox accepts: the documented limits exactly (so it answers PARAM_ILLEGAL
 *                                where Antom would), plus SDK_LENIENCY: optional fields Antom's official SDKs send that
 *                                antom-api.md does not list, so an SDK user can use the sandbox.
 */
import { z } from 'zod';
import {
  ALIPAY_PLUS_AUTH_SCOPES,
  AUTH_SCOPES,
  BOOLEAN_STRINGS,
  GRANT_TYPES,
  MERCHANT_REGIONS,
  OS_TYPES,
  TERMINAL_TYPES,
  TERMINAL_TYPES_NEEDING_OS,
  type AlipayPlusApplyTokenRequest,
  type AlipayPlusCancelTokenRequest,
  type AlipayPlusPrepareRequest,
  type AntomApplyTokenRequest,
  type AntomConsultRequest,
  type AntomRevokeRequest,
  type GrantType,
  type OsType,
  type TerminalType,
} from './models';
import {
  optionalEnum,
  optionalObject,
  optionalText,
  optionalUrl,
  requiredEnum,
  requiredText,
  requiredUrl,
  runSchema,
  type Validation,
} from './validation';

// Limits from antom-api.md, named once so requests and tests agree.
export const LIMITS = {
  customerBelongsTo: 64,
  authRedirectUrl: 1024,
  authNotifyUrl: 1024,
  authState: 256,
  osVersion: 16,
  authClientId: 64,
  authClientName: 256,
  authClientDisplayName: 64,
  referenceMerchantId: 32,
  merchantAccountId: 64,
  /** antom-applyToken.txt: "authCode … Maximum length: 64 characters". */
  antomAuthCode: 64,
  alipayPlusAuthCode: 64,
  extendInfo: 2048,
  refreshToken: 128,
  accessToken: 128,
  passThroughInfo: 20000,
  scopes: 4,
} as const;

/**
 * Where our client is deliberately more permissive than the documents. The authCode is not ours: the wallet issues it
 * and we only pass it on. Older Antom pages gave its limit as 128; refusing a 65–128 character code locally would
 * strand that customer without Antom ever being asked, whereas sending it lets Antom decide (PARAM_ILLEGAL at worst,
 * which parks the authorization for an operator). The sandbox enforces the documented 64.
 */
export const CLIENT_LENIENCY = { antomAuthCode: 128 } as const;

/** Two letters, and only the four regions Antom accepts ("must be one of US|JP|PK|SG"). */
const merchantRegion = optionalEnum(MERCHANT_REGIONS);

function scopeList<const V extends readonly [string, ...string[]]>(values: V) {
  return z
    .array(requiredEnum(values))
    .min(1)
    .max(LIMITS.scopes)
    .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a scope' });
}

const scopes = scopeList(AUTH_SCOPES);
const alipayPlusScopes = scopeList(ALIPAY_PLUS_AUTH_SCOPES);

/**
 * SDK_LENIENCY — fields Antom's official SDKs (e.g. the Python SDK's AlipayAuthConsultRequest) send that antom-api.md
 * does not list, accepted by the sandbox only:
 *   extendInfo        consult/applyToken/revoke: a free-form string (≤2048, the size of the response's extendInfo).
 *   authMetaData      consult: an object (accountHolderName, accountHolderCertNo, …) — kept, not interpreted.
 *   recurringPayment  consult: the SDK models it as a bool and sends JSON `true`/`false`; read as "true"/"false".
 */
const sdkExtendInfo = optionalText(LIMITS.extendInfo);
const sdkAuthMetaData = optionalObject(z.record(z.string(), z.unknown()));
const sdkRecurringPayment = z.preprocess(
  (value) => (typeof value === 'boolean' ? String(value) : value),
  optionalEnum(BOOLEAN_STRINGS),
);

const consultEnv = z
  .object({
    terminalType: optionalEnum(TERMINAL_TYPES),
    osType: optionalEnum(OS_TYPES),
    osVersion: optionalText(LIMITS.osVersion),
  })
  .catchall(optionalText());

/** APP, WAP and MINI_APP need an osType; shared by consult (two placements) and prepare (one). */
function checkOsType(
  ctx: z.core.$RefinementCtx,
  terminalType: TerminalType | undefined,
  osType: OsType | undefined,
  where: string,
): void {
  if (terminalType !== undefined && TERMINAL_TYPES_NEEDING_OS.includes(terminalType) && osType === undefined) {
    ctx.addIssue({ code: 'custom', path: ['osType'], message: `required when terminalType is ${terminalType}${where}` });
  }
}

const consultFields = {
    customerBelongsTo: requiredText(LIMITS.customerBelongsTo),
    authRedirectUrl: requiredUrl(LIMITS.authRedirectUrl),
    scopes,
    authState: requiredText(LIMITS.authState),
    terminalType: optionalEnum(TERMINAL_TYPES),
    osType: optionalEnum(OS_TYPES),
    osVersion: optionalText(LIMITS.osVersion),
    env: optionalObject(consultEnv),
    authClientId: optionalText(LIMITS.authClientId),
    authNotifyUrl: optionalUrl(LIMITS.authNotifyUrl, ['https', 'http']),
    merchantRegion,
    recurringPayment: optionalEnum(BOOLEAN_STRINGS),
    merchantAccountId: optionalText(LIMITS.merchantAccountId),
};

type ConsultShape = { terminalType?: TerminalType | undefined; osType?: OsType | undefined; env?: z.infer<typeof consultEnv> | undefined };

function refineConsult(request: ConsultShape, ctx: z.core.$RefinementCtx): void {
    // Older docs put terminalType/osType at the top level, newer ones in env; accept either, not both differing.
  const env = request.env;
  if (request.terminalType !== undefined && env?.terminalType !== undefined && request.terminalType !== env.terminalType) {
    ctx.addIssue({ code: 'custom', path: ['terminalType'], message: 'contradicts env.terminalType' });
  }
  if (request.osType !== undefined && env?.osType !== undefined && request.osType !== env.osType) {
    ctx.addIssue({ code: 'custom', path: ['osType'], message: 'contradicts env.osType' });
  }
  const terminalType = request.terminalType ?? env?.terminalType;
  if (terminalType === undefined) {
    ctx.addIssue({ code: 'custom', path: ['terminalType'], message: 'required (here or as env.terminalType)' });
  }
  checkOsType(ctx, terminalType, request.osType ?? env?.osType, ' (here or as env.osType)');
}

const consultSchema = z.strictObject(consultFields).superRefine(refineConsult);

const receivedConsultSchema = z
  .strictObject({ ...consultFields, recurringPayment: sdkRecurringPayment, extendInfo: sdkExtendInfo, authMetaData: sdkAuthMetaData })
  .superRefine(refineConsult)
  // The SDK extras stay in the value (they are part of what was asked); the typed fields are AntomConsultRequest's.
  .transform((request) => request as AntomConsultRequest);

/** authCode goes with AUTHORIZATION_CODE and refreshToken with REFRESH_TOKEN — each required there, absent otherwise. */
function checkGrant(
  ctx: z.core.$RefinementCtx,
  request: { grantType: GrantType; authCode?: string | undefined; refreshToken?: string | undefined },
): void {
  const needed = request.grantType === 'AUTHORIZATION_CODE' ? 'authCode' : 'refreshToken';
  const excluded = request.grantType === 'AUTHORIZATION_CODE' ? 'refreshToken' : 'authCode';
  if (request[needed] === undefined) {
    ctx.addIssue({ code: 'custom', path: [needed], message: `required when grantType is ${request.grantType}` });
  }
  if (request[excluded] !== undefined) {
    ctx.addIssue({ code: 'custom', path: [excluded], message: `must be absent when grantType is ${request.grantType}` });
  }
}

function antomApplyTokenSchema(authCodeLimit: number, extras: { extendInfo?: typeof sdkExtendInfo } = {}) {
  return z
    .strictObject({
      grantType: requiredEnum(GRANT_TYPES),
      customerBelongsTo: requiredText(LIMITS.customerBelongsTo),
      authCode: optionalText(authCodeLimit),
      refreshToken: optionalText(LIMITS.refreshToken),
      merchantRegion,
      merchantAccountId: optionalText(LIMITS.merchantAccountId),
      ...extras,
    })
    .superRefine((request, ctx) => checkGrant(ctx, request))
    // Only reached when the grant check passed, so the union member is guaranteed.
    .transform((request) => request as AntomApplyTokenRequest);
}

const clientAntomApplyTokenSchema = antomApplyTokenSchema(CLIENT_LENIENCY.antomAuthCode);
const receivedAntomApplyTokenSchema = antomApplyTokenSchema(LIMITS.antomAuthCode, { extendInfo: sdkExtendInfo });

const revokeFields = {
  accessToken: requiredText(LIMITS.accessToken),
  merchantAccountId: optionalText(LIMITS.merchantAccountId),
};
const revokeSchema = z.strictObject(revokeFields);
const receivedRevokeSchema = z.strictObject({ ...revokeFields, extendInfo: sdkExtendInfo }).transform((request) => request as AntomRevokeRequest);

const prepareSchema = z
  .strictObject({
    customerBelongsTo: requiredText(LIMITS.customerBelongsTo),
    authClientId: requiredText(LIMITS.authClientId),
    authClientName: requiredText(LIMITS.authClientName),
    authClientDisplayName: optionalText(LIMITS.authClientDisplayName),
    referenceMerchantId: optionalText(LIMITS.referenceMerchantId),
    authRedirectUrl: requiredUrl(LIMITS.authRedirectUrl),
    scopes: alipayPlusScopes,
    authState: requiredText(LIMITS.authState),
    terminalType: requiredEnum(TERMINAL_TYPES),
    osType: optionalEnum(OS_TYPES),
    osVersion: optionalText(LIMITS.osVersion),
    merchantRegion,
  })
  .superRefine((request, ctx) => checkOsType(ctx, request.terminalType, request.osType, ''));

const alipayPlusApplyTokenSchema = z
  .strictObject({
    authClientId: requiredText(LIMITS.authClientId),
    grantType: requiredEnum(GRANT_TYPES),
    authCode: optionalText(LIMITS.alipayPlusAuthCode),
    refreshToken: optionalText(LIMITS.refreshToken),
    passThroughInfo: optionalText(LIMITS.passThroughInfo),
  })
  .superRefine((request, ctx) => checkGrant(ctx, request))
  .transform((request) => request as AlipayPlusApplyTokenRequest);

const cancelTokenSchema = z.strictObject({
  accessToken: requiredText(LIMITS.accessToken),
  authClientId: requiredText(LIMITS.authClientId),
  passThroughInfo: optionalText(LIMITS.passThroughInfo),
});

export function validateConsultRequest(input: unknown): Validation<AntomConsultRequest> {
  return runSchema('consult', consultSchema, input);
}

/** What our client sends: authCode up to CLIENT_LENIENCY.antomAuthCode. */
export function validateAntomApplyTokenRequest(input: unknown): Validation<AntomApplyTokenRequest> {
  return runSchema('applyToken', clientAntomApplyTokenSchema, input);
}

export function validateRevokeRequest(input: unknown): Validation<AntomRevokeRequest> {
  return runSchema('revoke', revokeSchema, input);
}

export function validatePrepareRequest(input: unknown): Validation<AlipayPlusPrepareRequest> {
  return runSchema('prepare', prepareSchema, input);
}

export function validateAlipayPlusApplyTokenRequest(input: unknown): Validation<AlipayPlusApplyTokenRequest> {
  return runSchema('applyToken', alipayPlusApplyTokenSchema, input);
}

export function validateCancelTokenRequest(input: unknown): Validation<AlipayPlusCancelTokenRequest> {
  return runSchema('cancelToken', cancelTokenSchema, input);
}

/** Keyed like endpoints.ts (`Platform` → endpoint name): what our client sends. */
export const requestValidators = {
  antom: {
    consult: validateConsultRequest,
    applyToken: validateAntomApplyTokenRequest,
    revoke: validateRevokeRequest,
  },
  alipayplus: {
    prepare: validatePrepareRequest,
    applyToken: validateAlipayPlusApplyTokenRequest,
    cancelToken: validateCancelTokenRequest,
  },
} as const;

/** What the sandbox accepts: documented limits exactly (authCode ≤64) plus SDK_LENIENCY on the Antom endpoints. */
export const receivedRequestValidators = {
  antom: {
    consult: (input: unknown): Validation<AntomConsultRequest> => runSchema('consult', receivedConsultSchema, input),
    applyToken: (input: unknown): Validation<AntomApplyTokenRequest> => runSchema('applyToken', receivedAntomApplyTokenSchema, input),
    revoke: (input: unknown): Validation<AntomRevokeRequest> => runSchema('revoke', receivedRevokeSchema, input),
  },
  alipayplus: requestValidators.alipayplus,
} as const;
