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
 */
import { z } from 'zod';
import {
  AUTH_SCOPES,
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
  antomAuthCode: 128,
  alipayPlusAuthCode: 64,
  refreshToken: 128,
  accessToken: 128,
  passThroughInfo: 20000,
  scopes: 4,
} as const;

/** Two letters, and only the four regions Antom accepts ("must be one of US|JP|PK|SG"). */
const merchantRegion = optionalEnum(MERCHANT_REGIONS);

const scopes = z
  .array(requiredEnum(AUTH_SCOPES))
  .min(1)
  .max(LIMITS.scopes)
  .refine((values) => new Set(values).size === values.length, { error: 'must not repeat a scope' });

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

const consultSchema = z
  .strictObject({
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
    recurringPayment: optionalEnum(['true', 'false']),
    merchantAccountId: optionalText(LIMITS.merchantAccountId),
  })
  .superRefine((request, ctx) => {
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
  });

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

const antomApplyTokenSchema = z
  .strictObject({
    grantType: requiredEnum(GRANT_TYPES),
    customerBelongsTo: requiredText(LIMITS.customerBelongsTo),
    authCode: optionalText(LIMITS.antomAuthCode),
    refreshToken: optionalText(LIMITS.refreshToken),
    merchantRegion,
    merchantAccountId: optionalText(LIMITS.merchantAccountId),
  })
  .superRefine((request, ctx) => checkGrant(ctx, request))
  // Only reached when the grant check passed, so the union member is guaranteed.
  .transform((request) => request as AntomApplyTokenRequest);

const revokeSchema = z.strictObject({
  accessToken: requiredText(LIMITS.accessToken),
  merchantAccountId: optionalText(LIMITS.merchantAccountId),
});

const prepareSchema = z
  .strictObject({
    customerBelongsTo: requiredText(LIMITS.customerBelongsTo),
    authClientId: requiredText(LIMITS.authClientId),
    authClientName: requiredText(LIMITS.authClientName),
    authClientDisplayName: optionalText(LIMITS.authClientDisplayName),
    referenceMerchantId: optionalText(LIMITS.referenceMerchantId),
    authRedirectUrl: requiredUrl(LIMITS.authRedirectUrl),
    scopes,
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

export function validateAntomApplyTokenRequest(input: unknown): Validation<AntomApplyTokenRequest> {
  return runSchema('applyToken', antomApplyTokenSchema, input);
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

/** Keyed like endpoints.ts (`Platform` → endpoint name), for the transport and the sandbox. */
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
