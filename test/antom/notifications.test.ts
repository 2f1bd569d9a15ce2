// Inbound notifications (src/antom/notifications.ts): per-type required fields, named-field rejections, and the
// leniency a long-lived receiver needs (unknown fields, null/"" optionals).
import test from 'ava';
import {
  validateAlipayPlusAuthNotification,
  validateAntomAuthorizationNotification,
  validateConsultUnbindingRequest,
} from '../../src/antom/notifications';
import { okResult, rejects, value } from './validationAssertions';

const ok = okResult;

test('Antom AUTHCODE_CREATED carries authCode and authState, narrowed by type', (t) => {
  const notification = value(
    t,
    validateAntomAuthorizationNotification({
      authorizationNotifyType: 'AUTHCODE_CREATED',
      authCode: 'code-1',
      authState: 'state-1',
      result: ok,
      futureField: { nested: true },
    }),
  );
  if (notification.authorizationNotifyType !== 'AUTHCODE_CREATED') {
    t.fail('wrong type');
    return;
  }
  t.is(notification.authCode, 'code-1');
  t.is(notification.authState, 'state-1');
  t.deepEqual(notification.result, ok);
});

test('Antom notifications: the field each type needs is required, named with the type', (t) => {
  rejects(
    t,
    validateAntomAuthorizationNotification({ authorizationNotifyType: 'AUTHCODE_CREATED', authState: 's' }),
    'notifyAuthorization.authCode: required when authorizationNotifyType is AUTHCODE_CREATED',
  );
  rejects(
    t,
    validateAntomAuthorizationNotification({ authorizationNotifyType: 'AUTHCODE_CREATED', authCode: 'c', authState: '' }),
    'notifyAuthorization.authState: required when authorizationNotifyType is AUTHCODE_CREATED',
  );
  rejects(
    t,
    validateAntomAuthorizationNotification({ authorizationNotifyType: 'TOKEN_CANCELED', reason: 'user unbound' }),
    'notifyAuthorization.accessToken: required when authorizationNotifyType is TOKEN_CANCELED',
  );
  rejects(
    t,
    validateAntomAuthorizationNotification({ authorizationNotifyType: 'TOKEN_CREATED', accessToken: null }),
    'notifyAuthorization.accessToken: required when authorizationNotifyType is TOKEN_CREATED',
  );
});

test('Antom notifications: unknown type, non-string values and a malformed result are rejected by field', (t) => {
  rejects(t, validateAntomAuthorizationNotification({ authorizationNotifyType: 'TOKEN_EXPIRED', accessToken: 'a' }), 'notifyAuthorization.authorizationNotifyType: must be one of AUTHCODE_CREATED|TOKEN_CREATED|TOKEN_CANCELED');
  rejects(t, validateAntomAuthorizationNotification({ accessToken: 'a' }), 'notifyAuthorization.authorizationNotifyType: required');
  rejects(t, validateAntomAuthorizationNotification({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 42 }), 'notifyAuthorization.accessToken: must be a string');
  rejects(t, validateAntomAuthorizationNotification({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'a', result: { resultStatus: 'S' } }), 'notifyAuthorization.result.resultCode: required');
  rejects(t, validateAntomAuthorizationNotification(null), 'notifyAuthorization.(body): must be a JSON object');
});

test('Antom TOKEN_CANCELED with optional fields empty or null is accepted, those fields absent', (t) => {
  const notification = value(
    t,
    validateAntomAuthorizationNotification({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'a', reason: '', authState: null }),
  );
  t.is(notification.reason, undefined);
  t.is(notification.authState, undefined);
});

test('Alipay+ authNotify: authClientId is required; TOKEN_CREATED expiry times are parsed', (t) => {
  rejects(
    t,
    validateAlipayPlusAuthNotification({ authorizationNotifyType: 'AUTHCODE_CREATED', authCode: 'c', authState: 's' }),
    'authNotify.authClientId: required',
  );
  const created = value(
    t,
    validateAlipayPlusAuthNotification({
      authorizationNotifyType: 'TOKEN_CREATED',
      authClientId: 'm-1',
      accessToken: 'a',
      accessTokenExpiryTime: '2027-01-01T00:00:00+08:00',
      customerId: 'cust-1',
    }),
  );
  if (created.authorizationNotifyType !== 'TOKEN_CREATED') {
    t.fail('wrong type');
    return;
  }
  t.is(created.accessTokenExpiryTime?.epochMs, Date.UTC(2026, 11, 31, 16));
  rejects(
    t,
    validateAlipayPlusAuthNotification({ authorizationNotifyType: 'TOKEN_CREATED', authClientId: 'm', accessToken: 'a', accessTokenExpiryTime: 'soon' }),
    'authNotify.accessTokenExpiryTime: must be an ISO 8601 date-time',
  );
  rejects(
    t,
    validateAlipayPlusAuthNotification({ authorizationNotifyType: 'AUTHCODE_CREATED', authClientId: 'm', authState: 's' }),
    'authNotify.authCode: required when authorizationNotifyType is AUTHCODE_CREATED',
  );
});

test('Alipay+ consultUnbinding: authClientId and accessToken are required', (t) => {
  t.deepEqual(value(t, validateConsultUnbindingRequest({ authClientId: 'm', accessToken: 'a', pspId: 'p' })), {
    authClientId: 'm',
    accessToken: 'a',
    pspId: 'p',
  });
  rejects(t, validateConsultUnbindingRequest({ authClientId: 'm' }), 'consultUnbinding.accessToken: required');
  rejects(t, validateConsultUnbindingRequest({ accessToken: 'a' }), 'consultUnbinding.authClientId: required');
});
