// The result table (src/antom/resultCodes.ts): every documented code, its status, its outcome, the per-endpoint
// override, and the defaults for codes nobody has reviewed.
import test from 'ava';
import fc from 'fast-check';
import { classifyResult, RESULT_CODES, type EndpointName, type ResultOutcome } from '../../src/antom/resultCodes';
import type { ResultStatus } from '../../src/antom/models';

const ENDPOINTS: EndpointName[] = ['consult', 'applyToken', 'revoke', 'prepare', 'cancelToken'];

// Transcribed from antom-api.md §3/§4 independently of the module, so a dropped or mis-statused code fails here.
const DOCUMENTED: Record<ResultStatus, string[]> = {
  S: ['SUCCESS'],
  U: ['AUTH_IN_PROCESS', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'UNKNOWN_EXCEPTION'],
  F: [
    'ACCESS_DENIED', 'CLIENT_FORBIDDEN_ACCESS_API', 'INVALID_ACCESS_TOKEN', 'INVALID_API', 'INVALID_CLIENT_STATUS',
    'INVALID_SIGNATURE', 'KEY_NOT_FOUND', 'MERCHANT_NOT_REGISTERED', 'NO_INTERFACE_DEF', 'NO_PAY_OPTIONS',
    'OAUTH_FAILED', 'PARAM_ILLEGAL', 'PAYMENT_NOT_QUALIFIED', 'PROCESS_FAIL', 'RISK_REJECT', 'SYSTEM_ERROR',
    'UNKNOWN_CLIENT', 'INVALID_AUTHCODE', 'INVALID_REFRESH_TOKEN', 'USER_NOT_EXIST', 'USER_STATUS_ABNORMAL',
    'EXPIRED_REFRESH_TOKEN', 'INVALID_CLIENT', 'MEDIA_TYPE_NOT_ACCEPTABLE', 'METHOD_NOT_SUPPORTED',
  ],
};

const STATUSES: ResultStatus[] = ['S', 'F', 'U'];

test('every code in antom-api.md is in the table with its documented status, and nothing else is', (t) => {
  const documented = STATUSES.flatMap((status) => DOCUMENTED[status].map((code) => [code, status] as const));
  for (const [code, status] of documented) {
    t.is(RESULT_CODES[code]?.status, status, code);
  }
  t.deepEqual(Object.keys(RESULT_CODES).sort(), documented.map(([code]) => code).sort());
});

test('SUCCESS with S is success on every endpoint', (t) => {
  for (const endpoint of ENDPOINTS) {
    t.deepEqual(classifyResult(endpoint, { resultStatus: 'S', resultCode: 'SUCCESS' }), {
      outcome: 'success',
      known: true,
      basis: 'table',
    });
  }
});

test('U codes (AUTH_IN_PROCESS included) are unknown-retry', (t) => {
  for (const code of DOCUMENTED.U) {
    for (const endpoint of ENDPOINTS) t.is(classifyResult(endpoint, { resultStatus: 'U', resultCode: code }).outcome, 'unknown-retry');
  }
});

test('DESIGN.md customer-final codes are customer-final wherever they occur', (t) => {
  for (const code of ['INVALID_AUTHCODE', 'INVALID_REFRESH_TOKEN', 'EXPIRED_REFRESH_TOKEN', 'USER_NOT_EXIST', 'USER_STATUS_ABNORMAL']) {
    t.is(classifyResult('applyToken', { resultStatus: 'F', resultCode: code }).outcome, 'customer-final', code);
  }
});

test('DESIGN.md systemic codes are systemic-final: a bad key or client must not cost customers their authorization', (t) => {
  const systemic = [
    'INVALID_SIGNATURE', 'KEY_NOT_FOUND', 'ACCESS_DENIED', 'UNKNOWN_CLIENT', 'INVALID_CLIENT', 'INVALID_CLIENT_STATUS',
    'CLIENT_FORBIDDEN_ACCESS_API', 'NO_INTERFACE_DEF', 'PARAM_ILLEGAL', 'PROCESS_FAIL', 'SYSTEM_ERROR',
  ];
  for (const code of systemic) {
    for (const endpoint of ENDPOINTS) {
      t.is(classifyResult(endpoint, { resultStatus: 'F', resultCode: code }).outcome, 'systemic-final', `${code} on ${endpoint}`);
    }
  }
});

test('INVALID_ACCESS_TOKEN is already-done on revoke and cancelToken, systemic-final elsewhere', (t) => {
  const invalidToken = { resultStatus: 'F', resultCode: 'INVALID_ACCESS_TOKEN' } as const;
  t.is(classifyResult('revoke', invalidToken).outcome, 'already-done');
  t.is(classifyResult('cancelToken', invalidToken).outcome, 'already-done');
  for (const endpoint of ['consult', 'applyToken', 'prepare'] as const) {
    t.is(classifyResult(endpoint, invalidToken).outcome, 'systemic-final');
  }
});

test('unknown codes default by status: S → success, U → unknown-retry, F → systemic-final (never customer-final)', (t) => {
  t.deepEqual(classifyResult('applyToken', { resultStatus: 'S', resultCode: 'NEW_SUCCESS_FLAVOUR' }), {
    outcome: 'success',
    known: false,
    basis: 'unknown-code',
  });
  t.is(classifyResult('applyToken', { resultStatus: 'U', resultCode: 'SOMETHING_NEW' }).outcome, 'unknown-retry');
  t.is(classifyResult('applyToken', { resultStatus: 'F', resultCode: 'WALLET_SAYS_NO' }).outcome, 'systemic-final');
});

test('prototype names are not codes: "constructor" or "__proto__" are unknown codes', (t) => {
  for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    t.deepEqual(classifyResult('revoke', { resultStatus: 'F', resultCode: code }), {
      outcome: 'systemic-final',
      known: false,
      basis: 'unknown-code',
    });
  }
});

test('a known code with a contradicting status is unknown-retry (never acted on as final or as success)', (t) => {
  t.deepEqual(classifyResult('applyToken', { resultStatus: 'S', resultCode: 'INVALID_AUTHCODE' }), {
    outcome: 'unknown-retry',
    known: true,
    basis: 'status-mismatch',
  });
  t.is(classifyResult('applyToken', { resultStatus: 'F', resultCode: 'SUCCESS' }).outcome, 'unknown-retry');
  t.is(classifyResult('applyToken', { resultStatus: 'F', resultCode: 'AUTH_IN_PROCESS' }).outcome, 'unknown-retry');
  t.is(classifyResult('revoke', { resultStatus: 'U', resultCode: 'INVALID_ACCESS_TOKEN' }).outcome, 'unknown-retry');
});

const anyEndpoint = fc.constantFrom(...ENDPOINTS);
const anyStatus = fc.constantFrom(...STATUSES);
const anyCode = fc.oneof(fc.constantFrom(...Object.keys(RESULT_CODES)), fc.string({ maxLength: 64 }));

test('property: every classification is consistent with its status', (t) => {
  const allowedByStatus: Record<ResultStatus, ResultOutcome[]> = {
    S: ['success', 'unknown-retry'],
    U: ['unknown-retry'],
    F: ['customer-final', 'systemic-final', 'already-done', 'unknown-retry'],
  };
  fc.assert(
    fc.property(anyEndpoint, anyStatus, anyCode, (endpoint, resultStatus, resultCode) => {
      const { outcome, known, basis } = classifyResult(endpoint, { resultStatus, resultCode });
      if (!allowedByStatus[resultStatus].includes(outcome)) return false;
      // success only ever on S; already-done only for the token-removal endpoints; customer-final only from the table.
      if (outcome === 'success' && resultStatus !== 'S') return false;
      if (outcome === 'already-done' && endpoint !== 'revoke' && endpoint !== 'cancelToken') return false;
      if (outcome === 'customer-final' && !(known && basis === 'table')) return false;
      return known === Object.hasOwn(RESULT_CODES, resultCode);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('property: an unknown code is classified by its status alone, identically on every endpoint', (t) => {
  const expected: Record<ResultStatus, ResultOutcome> = { S: 'success', U: 'unknown-retry', F: 'systemic-final' };
  fc.assert(
    fc.property(
      anyEndpoint,
      anyStatus,
      fc.string({ maxLength: 64 }).filter((code) => !Object.hasOwn(RESULT_CODES, code)),
      (endpoint, resultStatus, resultCode) =>
        classifyResult(endpoint, { resultStatus, resultCode }).outcome === expected[resultStatus],
    ),
  );
  t.pass();
});
