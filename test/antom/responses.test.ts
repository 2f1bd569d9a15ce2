// Received response bodies (src/antom/responses.ts): the envelope every response has, and the success bodies with
// their required fields and parsed expiry times. Wrong shapes are rejected naming the field.
import test from 'ava';
import {
  validateAlipayPlusApplyTokenResponse,
  validateAntomApplyTokenResponse,
  validateCancelTokenResponse,
  validateConsultResponse,
  validatePrepareResponse,
  validateResponseEnvelope,
  validateRevokeResponse,
} from '../../src/antom/responses';
import { okResult, rejects, value } from './validationAssertions';

const ok = okResult;

test('envelope: result with S/F/U and a code is read; resultMessage may be missing', (t) => {
  t.deepEqual(value(t, validateResponseEnvelope({ result: ok, extra: 1 })), { result: ok });
  t.deepEqual(value(t, validateResponseEnvelope({ result: { resultStatus: 'F', resultCode: 'INVALID_AUTHCODE' } })).result, {
    resultStatus: 'F',
    resultCode: 'INVALID_AUTHCODE',
  });
});

test('envelope: a missing or malformed result is rejected naming the field', (t) => {
  rejects(t, validateResponseEnvelope({}, 'applyToken'), 'applyToken.result: required');
  rejects(t, validateResponseEnvelope({ result: { resultStatus: 'X', resultCode: 'SUCCESS' } }, 'revoke'), 'revoke.result.resultStatus: must be one of S|F|U');
  rejects(t, validateResponseEnvelope({ result: { resultStatus: 'S' } }, 'consult'), 'consult.result.resultCode: required');
  rejects(t, validateResponseEnvelope({ result: { resultStatus: 'S', resultCode: 0 } }, 'consult'), 'consult.result.resultCode: must be a string');
  rejects(t, validateResponseEnvelope('{"result":{}}', 'consult'), 'consult.(body): must be a JSON object');
});

test('Antom applyToken success: tokens and parsed expiry times (offsets kept); unknown fields dropped', (t) => {
  const response = value(
    t,
    validateAntomApplyTokenResponse({
      result: ok,
      accessToken: 'access-1',
      accessTokenExpiryTime: '2026-06-06T12:12:12+08:00',
      refreshToken: 'refresh-1',
      refreshTokenExpiryTime: '2026-12-06T12:12:12+08:00',
      userLoginId: '+63 9** *** 1234',
      somethingNew: 'ignored',
    }),
  );
  t.is(response.accessToken, 'access-1');
  t.deepEqual(response.accessTokenExpiryTime, { epochMs: Date.UTC(2026, 5, 6, 4, 12, 12), iso: '2026-06-06T12:12:12+08:00', offsetMinutes: 480 });
  t.is(response.refreshTokenExpiryTime?.iso, '2026-12-06T12:12:12+08:00');
  t.is(response.userLoginId, '+63 9** *** 1234');
  t.false('somethingNew' in response);
});

test('Antom applyToken success without refresh token (long-lived access token) is accepted; "" or null mean absent', (t) => {
  for (const absent of [undefined, null, '']) {
    const response = value(
      t,
      validateAntomApplyTokenResponse({ result: ok, accessToken: 'a', accessTokenExpiryTime: '2125-01-01T00:00:00+09:00', refreshToken: absent, refreshTokenExpiryTime: absent }),
    );
    t.is(response.refreshToken, undefined);
    t.is(response.refreshTokenExpiryTime, undefined);
  }
});

test('Antom applyToken success: missing token or unparsable expiry is rejected naming the field', (t) => {
  rejects(t, validateAntomApplyTokenResponse({ result: ok, accessTokenExpiryTime: '2026-06-06T12:12:12+08:00' }), 'applyToken.accessToken: required');
  rejects(t, validateAntomApplyTokenResponse({ result: ok, accessToken: 'a' }), 'applyToken.accessTokenExpiryTime: required');
  rejects(
    t,
    validateAntomApplyTokenResponse({ result: ok, accessToken: 'a', accessTokenExpiryTime: '2026-06-06 12:12:12' }),
    'applyToken.accessTokenExpiryTime: must be an ISO 8601 date-time with a UTC offset',
  );
  rejects(
    t,
    validateAntomApplyTokenResponse({ result: ok, accessToken: 'a', accessTokenExpiryTime: '2026-06-06T12:12:12Z', refreshTokenExpiryTime: '2026-02-30T00:00:00Z' }),
    'applyToken.refreshTokenExpiryTime: must be an ISO 8601 date-time',
  );
  rejects(t, validateAntomApplyTokenResponse({ result: ok, accessToken: 12345, accessTokenExpiryTime: '2026-06-06T12:12:12Z' }), 'applyToken.accessToken: must be a string');
});

test('a success validator refuses a non-S result (classification must come first)', (t) => {
  rejects(
    t,
    validateAntomApplyTokenResponse({ result: { resultStatus: 'F', resultCode: 'INVALID_AUTHCODE' } }),
    'applyToken.result.resultStatus: must be S for a success body',
  );
  rejects(t, validateRevokeResponse({ result: { resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } }), 'revoke.result.resultStatus: must be S');
  value(t, validateRevokeResponse({ result: ok }));
  value(t, validateCancelTokenResponse({ result: ok }));
});

test('consult success: any one destination suffices (normalUrl, scheme/applink URL, legacy authUrl, or a QR code)', (t) => {
  t.is(value(t, validateConsultResponse({ result: ok, normalUrl: 'https://wallet.example/auth?x=1' })).normalUrl, 'https://wallet.example/auth?x=1');
  value(t, validateConsultResponse({ result: ok, schemeUrl: 'gcash://auth', applinkUrl: 'https://l.example/a' }));
  value(t, validateConsultResponse({ result: ok, authUrl: 'https://legacy.example' }));
  const qr = value(t, validateConsultResponse({ result: ok, authCodeForm: { codeDetails: [{ displayType: 'TEXT', codeValue: 'https://qr.example/1' }] } }));
  t.is(qr.authCodeForm?.codeDetails[0]?.codeValue, 'https://qr.example/1');
});

test('consult success with nowhere to send the customer is rejected', (t) => {
  rejects(t, validateConsultResponse({ result: ok }), 'consult.(body): has none of schemeUrl, applinkUrl, normalUrl, authUrl, authCodeForm.codeDetails');
  rejects(t, validateConsultResponse({ result: ok, normalUrl: '', authCodeForm: { codeDetails: [] } }), 'consult.(body): has none of');
  rejects(t, validateConsultResponse({ result: ok, authCodeForm: { codeDetails: [{ displayType: 'TEXT' }] } }), 'consult.authCodeForm.codeDetails[0].codeValue: required');
  rejects(t, validatePrepareResponse({ result: ok, pspId: 'p' }), 'prepare.(body): has none of');
});

test('Alipay+ applyToken success: customerId, pspId, wallet info and expiry times', (t) => {
  const response = value(
    t,
    validateAlipayPlusApplyTokenResponse({
      result: ok,
      pspId: '1022172000000000001',
      acquirerId: '1022188000000000001',
      accessToken: 'a',
      accessTokenExpiryTime: '2027-01-01T00:00:00+07:00',
      customerId: 'cust-1',
      walletForAccountBinding: { walletName: 'GCash', walletLogo: { logoUrl: 'https://x' } },
    }),
  );
  t.is(response.customerId, 'cust-1');
  t.is(response.accessTokenExpiryTime.offsetMinutes, 420);
  t.deepEqual(response.walletForAccountBinding, { walletName: 'GCash', walletLogo: { logoUrl: 'https://x' } });
  rejects(t, validateAlipayPlusApplyTokenResponse({ result: ok, accessToken: 'a', accessTokenExpiryTime: '2027-01-01T00:00:00Z', walletForAccountBinding: 'GCash' }), 'applyToken.walletForAccountBinding: must be an object');
});
