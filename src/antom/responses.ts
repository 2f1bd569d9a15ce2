/**
 * Checks of response bodies received (after the signature has been verified against the raw bytes). Two steps:
 *
 *   validateResponseEnvelope(input: unknown, endpoint?: string): Validation<ResponseEnvelope>
 *     — every response: `result` with resultStatus S|F|U and a resultCode. Classify it (resultCodes.ts) next.
 *   validate<X>Response(input: unknown): Validation<X>
 *     — only for a result classified as success: the fields a successful body must have, expiry times parsed.
 *       validateConsultResponse, validateAntomApplyTokenResponse, validateRevokeResponse,
 *       validatePrepareResponse, validateAlipayPlusApplyTokenResponse, validateCancelTokenResponse
 *   responseValidators[platform][endpoint] — the success validators keyed like endpoints.ts
 *
 * Lenient where Antom may grow (unknown fields are dropped, not rejected; no length limits on what we receive;
 * optional `""`/null mean absent), strict where we act on the data (types, required fields, parseable times).
 * A failure here means the response is unusable: the transport raises AntomUnverifiableResponseError.
 */
import { z } from 'zod';
import {
  RESULT_STATUSES,
  type AlipayPlusApplyTokenResponse,
  type AlipayPlusCancelTokenResponse,
  type AlipayPlusPrepareResponse,
  type AntomApplyTokenResponse,
  type AntomConsultResponse,
  type AntomRevokeResponse,
  type ResponseEnvelope,
} from './models';
import {
  inboundOptionalInstant,
  inboundOptionalText,
  optionalObject,
  requiredEnum,
  requiredInstant,
  requiredText,
  runSchema,
  type Validation,
} from './validation';

/** The `result` object (also used by notifications). resultMessage is cosmetic, so it may be missing. */
export const resultSchema = z.object({
  resultStatus: requiredEnum(RESULT_STATUSES),
  resultCode: requiredText(),
  resultMessage: inboundOptionalText(),
});

const envelopeSchema = z.object({ result: resultSchema });

/** A success body's result: anything but S here means the caller skipped classification. */
const successResultSchema = z.object({
  resultStatus: z.literal('S', { error: 'must be S for a success body (classify the result first)' }),
  resultCode: requiredText(),
  resultMessage: inboundOptionalText(),
});

const authCodeForm = z.object({
  codeDetails: z.array(z.object({ displayType: requiredText(), codeValue: requiredText() })),
});

const authorizationLinks = {
  schemeUrl: inboundOptionalText(),
  applinkUrl: inboundOptionalText(),
  normalUrl: inboundOptionalText(),
  appIdentifier: inboundOptionalText(),
  authUrl: inboundOptionalText(),
  authCodeForm: optionalObject(authCodeForm),
};

/** A consult/prepare success is useless without somewhere to send the customer. */
function checkHasDestination(
  links: { schemeUrl?: string; applinkUrl?: string; normalUrl?: string; authUrl?: string; authCodeForm?: z.infer<typeof authCodeForm> },
  ctx: z.core.$RefinementCtx,
): void {
  const hasUrl = [links.schemeUrl, links.applinkUrl, links.normalUrl, links.authUrl].some((url) => url !== undefined);
  const hasCode = (links.authCodeForm?.codeDetails.length ?? 0) > 0;
  if (!hasUrl && !hasCode) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: 'has none of schemeUrl, applinkUrl, normalUrl, authUrl, authCodeForm.codeDetails',
    });
  }
}

const consultResponseSchema = z
  .object({ result: successResultSchema, ...authorizationLinks })
  .superRefine(checkHasDestination);

const antomApplyTokenResponseSchema = z.object({
  result: successResultSchema,
  accessToken: requiredText(),
  accessTokenExpiryTime: requiredInstant(),
  refreshToken: inboundOptionalText(),
  refreshTokenExpiryTime: inboundOptionalInstant(),
  userLoginId: inboundOptionalText(),
  extendInfo: inboundOptionalText(),
});

const resultOnlySuccessSchema = z.object({ result: successResultSchema });

const prepareResponseSchema = z
  .object({
    result: successResultSchema,
    ...authorizationLinks,
    pspId: inboundOptionalText(),
    acquirerId: inboundOptionalText(),
  })
  .superRefine(checkHasDestination);

const alipayPlusApplyTokenResponseSchema = z.object({
  result: successResultSchema,
  pspId: inboundOptionalText(),
  acquirerId: inboundOptionalText(),
  accessToken: requiredText(),
  accessTokenExpiryTime: requiredInstant(),
  refreshToken: inboundOptionalText(),
  refreshTokenExpiryTime: inboundOptionalInstant(),
  customerId: inboundOptionalText(),
  userLoginId: inboundOptionalText(),
  walletForAccountBinding: optionalObject(z.record(z.string(), z.unknown())),
  passThroughInfo: inboundOptionalText(),
});

export function validateResponseEnvelope(input: unknown, endpoint = 'response'): Validation<ResponseEnvelope> {
  return runSchema(endpoint, envelopeSchema, input);
}

export function validateConsultResponse(input: unknown): Validation<AntomConsultResponse> {
  return runSchema('consult', consultResponseSchema, input);
}

export function validateAntomApplyTokenResponse(input: unknown): Validation<AntomApplyTokenResponse> {
  return runSchema('applyToken', antomApplyTokenResponseSchema, input);
}

export function validateRevokeResponse(input: unknown): Validation<AntomRevokeResponse> {
  return runSchema('revoke', resultOnlySuccessSchema, input);
}

export function validatePrepareResponse(input: unknown): Validation<AlipayPlusPrepareResponse> {
  return runSchema('prepare', prepareResponseSchema, input);
}

export function validateAlipayPlusApplyTokenResponse(input: unknown): Validation<AlipayPlusApplyTokenResponse> {
  return runSchema('applyToken', alipayPlusApplyTokenResponseSchema, input);
}

export function validateCancelTokenResponse(input: unknown): Validation<AlipayPlusCancelTokenResponse> {
  return runSchema('cancelToken', resultOnlySuccessSchema, input);
}

/** Success-body validators keyed like endpoints.ts (`Platform` → endpoint name). */
export const responseValidators = {
  antom: {
    consult: validateConsultResponse,
    applyToken: validateAntomApplyTokenResponse,
    revoke: validateRevokeResponse,
  },
  alipayplus: {
    prepare: validatePrepareResponse,
    applyToken: validateAlipayPlusApplyTokenResponse,
    cancelToken: validateCancelTokenResponse,
  },
} as const;
