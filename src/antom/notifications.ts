/**
 * Checks of inbound notifications (after the signature has been verified against the raw body):
 *
 *   validateAntomAuthorizationNotification(input: unknown): Validation<AntomAuthorizationNotification>
 *     Antom notifyAuthorization: AUTHCODE_CREATED needs authCode and authState; TOKEN_CREATED / TOKEN_CANCELED
 *     need accessToken.
 *   validateAlipayPlusAuthNotification(input: unknown): Validation<AlipayPlusAuthNotification>
 *     Alipay+ authNotify: the same rules, plus authClientId; TOKEN_CREATED may carry expiry times (parsed).
 *   validateConsultUnbindingRequest(input: unknown): Validation<AlipayPlusConsultUnbindingRequest>
 *     Alipay+ consultUnbinding: authClientId and accessToken.
 *
 * Unknown fields are ignored (the platforms add fields over time); optional `""`/null mean absent. The answers to
 * send back are in notificationAck.ts.
 */
import { z } from 'zod';
import {
  AUTHORIZATION_NOTIFY_TYPES,
  type AlipayPlusAuthNotification,
  type AlipayPlusConsultUnbindingRequest,
  type AntomAuthorizationNotification,
  type AuthorizationNotifyType,
} from './models';
import { resultSchema } from './responses';
import {
  inboundOptionalInstant,
  inboundOptionalText,
  optionalObject,
  requiredEnum,
  requiredText,
  runSchema,
  type Validation,
} from './validation';

/** Which fields each notification type cannot do without. */
const REQUIRED_BY_TYPE: Readonly<Record<AuthorizationNotifyType, readonly ('authCode' | 'authState' | 'accessToken')[]>> = {
  AUTHCODE_CREATED: ['authCode', 'authState'],
  TOKEN_CREATED: ['accessToken'],
  TOKEN_CANCELED: ['accessToken'],
};

function checkRequiredByType(
  notification: { authorizationNotifyType: AuthorizationNotifyType; authCode?: string; authState?: string; accessToken?: string },
  ctx: z.core.$RefinementCtx,
): void {
  for (const field of REQUIRED_BY_TYPE[notification.authorizationNotifyType]) {
    if (notification[field] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `required when authorizationNotifyType is ${notification.authorizationNotifyType}`,
      });
    }
  }
}

const antomNotificationSchema = z
  .object({
    authorizationNotifyType: requiredEnum(AUTHORIZATION_NOTIFY_TYPES),
    authClientId: inboundOptionalText(),
    accessToken: inboundOptionalText(),
    authState: inboundOptionalText(),
    authCode: inboundOptionalText(),
    reason: inboundOptionalText(),
    userLoginId: inboundOptionalText(),
    userId: inboundOptionalText(),
    result: optionalObject(resultSchema),
  })
  .superRefine(checkRequiredByType)
  // Only reached when the per-type check passed, so the union member is guaranteed.
  .transform((notification) => notification as AntomAuthorizationNotification);

const alipayPlusNotificationSchema = z
  .object({
    authorizationNotifyType: requiredEnum(AUTHORIZATION_NOTIFY_TYPES),
    authClientId: requiredText(),
    referenceMerchantId: inboundOptionalText(),
    accessToken: inboundOptionalText(),
    accessTokenExpiryTime: inboundOptionalInstant(),
    refreshToken: inboundOptionalText(),
    refreshTokenExpiryTime: inboundOptionalInstant(),
    authState: inboundOptionalText(),
    authCode: inboundOptionalText(),
    customerId: inboundOptionalText(),
    userLoginId: inboundOptionalText(),
    reason: inboundOptionalText(),
    pspId: inboundOptionalText(),
    acquirerId: inboundOptionalText(),
    result: optionalObject(resultSchema),
  })
  .superRefine(checkRequiredByType)
  .transform((notification) => notification as AlipayPlusAuthNotification);

const consultUnbindingSchema = z.object({
  authClientId: requiredText(),
  referenceMerchantId: inboundOptionalText(),
  accessToken: requiredText(),
  acquirerId: inboundOptionalText(),
  pspId: inboundOptionalText(),
});

export function validateAntomAuthorizationNotification(input: unknown): Validation<AntomAuthorizationNotification> {
  return runSchema('notifyAuthorization', antomNotificationSchema, input);
}

export function validateAlipayPlusAuthNotification(input: unknown): Validation<AlipayPlusAuthNotification> {
  return runSchema('authNotify', alipayPlusNotificationSchema, input);
}

export function validateConsultUnbindingRequest(input: unknown): Validation<AlipayPlusConsultUnbindingRequest> {
  return runSchema('consultUnbinding', consultUnbindingSchema, input);
}
