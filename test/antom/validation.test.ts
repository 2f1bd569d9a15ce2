// Outgoing request validation (src/antom/requests.ts + validation.ts): every rule has a failing input whose error
// names the field and the rule, and valid requests pass unchanged.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import {
  CLIENT_LENIENCY,
  receivedRequestValidators,
  LIMITS,
  validateAlipayPlusApplyTokenRequest,
  validateAntomApplyTokenRequest,
  validateCancelTokenRequest,
  validateConsultRequest,
  validatePrepareRequest,
  validateRevokeRequest,
} from '../../src/antom/requests';
import { formatIssues, requireValid, RequestValidationError, type Validation } from '../../src/antom/validation';
import { AntomError } from '../../src/antom/errors';

const consult = {
  customerBelongsTo: 'GCASH',
  authRedirectUrl: 'https://merchant.example/authorizations/return',
  scopes: ['AGREEMENT_PAY'],
  authState: 'state-7f1c',
  terminalType: 'WEB',
};
const codeGrant = { grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'code-123' };
const refreshGrant = { grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'refresh-456' };
const revoke = { accessToken: 'access-789' };
const prepare = {
  customerBelongsTo: 'GCASH',
  authClientId: 'merchant-1',
  authClientName: 'Merchant Ltd',
  authRedirectUrl: 'https://merchant.example/return',
  scopes: ['AGREEMENT_PAY'],
  authState: 'state-1',
  terminalType: 'WEB',
};
const apsCodeGrant = { authClientId: 'merchant-1', grantType: 'AUTHORIZATION_CODE', authCode: 'code-1' };
const cancelToken = { accessToken: 'access-1', authClientId: 'merchant-1' };

/** The full error text a caller would see, or undefined when valid. */
function errorText<T>(validation: Validation<T>): string | undefined {
  return validation.ok ? undefined : formatIssues(validation.messageName, validation.issues);
}

function rejects<T>(t: ExecutionContext, validation: Validation<T>, expected: string): void {
  const text = errorText(validation);
  if (text === undefined) {
    t.fail(`expected rejection "${expected}", but the request was accepted`);
    return;
  }
  t.true(text.includes(expected), `expected "${expected}" in "${text}"`);
}

function accepts<T>(t: ExecutionContext, validation: Validation<T>): T | undefined {
  if (!validation.ok) {
    t.fail(`expected acceptance, got: ${errorText(validation)}`);
    return undefined;
  }
  t.pass();
  return validation.value;
}

// ---------------------------------------------------------------------------------------------------------------
// Valid requests
// ---------------------------------------------------------------------------------------------------------------

test('valid requests of every kind pass and come back with the same fields', (t) => {
  t.deepEqual(accepts(t, validateConsultRequest(consult)), consult);
  t.deepEqual(accepts(t, validateAntomApplyTokenRequest(codeGrant)), codeGrant);
  t.deepEqual(accepts(t, validateAntomApplyTokenRequest(refreshGrant)), refreshGrant);
  t.deepEqual(accepts(t, validateRevokeRequest(revoke)), revoke);
  t.deepEqual(accepts(t, validatePrepareRequest(prepare)), prepare);
  t.deepEqual(accepts(t, validateAlipayPlusApplyTokenRequest(apsCodeGrant)), apsCodeGrant);
  t.deepEqual(accepts(t, validateCancelTokenRequest(cancelToken)), cancelToken);
});

test('a full consult with env, region and every optional field passes', (t) => {
  const full = {
    ...consult,
    terminalType: 'APP',
    osType: 'ANDROID',
    osVersion: '14',
    env: { terminalType: 'APP', osType: 'ANDROID', userAgent: 'Mozilla/5.0' },
    authClientId: 'sub-merchant',
    authNotifyUrl: 'https://merchant.example/notify',
    merchantRegion: 'SG',
    recurringPayment: 'true',
    merchantAccountId: 'acct-1',
    scopes: ['AGREEMENT_PAY', 'USER_INFO', 'BASE_USER_INFO'],
  };
  t.deepEqual(accepts(t, validateConsultRequest(full)), full);
});

test('null optionals mean absent: accepted, and gone from the JSON that is sent', (t) => {
  const value = accepts(t, validateAntomApplyTokenRequest({ ...refreshGrant, merchantAccountId: null, authCode: null }));
  t.is(JSON.stringify(value), JSON.stringify(refreshGrant));
});

test('terminalType and osType may come in env (newer docs) instead of the top level', (t) => {
  const { terminalType: _omit, ...withoutTerminal } = consult;
  accepts(t, validateConsultRequest({ ...withoutTerminal, env: { terminalType: 'MINI_APP', osType: 'IOS' } }));
});

// ---------------------------------------------------------------------------------------------------------------
// Shape: body, unknown fields, string typing, no "" optionals
// ---------------------------------------------------------------------------------------------------------------

test('a body that is not a JSON object is rejected as such', (t) => {
  for (const body of [null, undefined, 'x', 42, [codeGrant]]) {
    rejects(t, validateAntomApplyTokenRequest(body), 'applyToken.(body): must be a JSON object');
  }
});

test('unknown (e.g. misspelt) fields are rejected by name', (t) => {
  rejects(t, validateAntomApplyTokenRequest({ ...codeGrant, authcode: 'x' }), 'applyToken.authcode: unknown field');
  rejects(t, validateRevokeRequest({ ...revoke, merchantAcountId: 'x' }), 'revoke.merchantAcountId: unknown field');
});

test('every non-array value must be a string, numbers and booleans included', (t) => {
  rejects(t, validateConsultRequest({ ...consult, authState: 20 }), 'consult.authState: must be a string');
  rejects(t, validateConsultRequest({ ...consult, recurringPayment: true }), 'consult.recurringPayment: must be a string');
  rejects(t, validateConsultRequest({ ...consult, env: { userAgent: 5 } }), 'consult.env.userAgent: must be a string');
  rejects(t, validateRevokeRequest({ accessToken: { token: 'x' } }), 'revoke.accessToken: must be a string');
  rejects(t, validateConsultRequest({ ...consult, env: 'APP' }), 'consult.env: must be an object');
});

test('property: any non-string scalar in a string field is rejected naming the field', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.integer(), fc.double(), fc.boolean()), (value) => {
      const text = errorText(validateAntomApplyTokenRequest({ ...codeGrant, customerBelongsTo: value }));
      return text !== undefined && text.includes('applyToken.customerBelongsTo: must be a string');
    }),
  );
  t.pass();
});

test('optional fields are never "": each one is rejected by name', (t) => {
  const optionalsByRequest: [string, (input: unknown) => Validation<unknown>, object, string[]][] = [
    ['consult', validateConsultRequest, consult, ['osVersion', 'authClientId', 'authNotifyUrl', 'merchantAccountId', 'osType', 'merchantRegion', 'recurringPayment']],
    ['applyToken', validateAntomApplyTokenRequest, refreshGrant, ['merchantAccountId', 'merchantRegion']],
    ['revoke', validateRevokeRequest, revoke, ['merchantAccountId']],
    ['prepare', validatePrepareRequest, prepare, ['authClientDisplayName', 'referenceMerchantId', 'osVersion']],
    ['applyToken', validateAlipayPlusApplyTokenRequest, apsCodeGrant, ['passThroughInfo']],
    ['cancelToken', validateCancelTokenRequest, cancelToken, ['passThroughInfo']],
  ];
  for (const [name, validate, base, fields] of optionalsByRequest) {
    for (const field of fields) {
      const text = errorText(validate({ ...base, [field]: '' }));
      t.truthy(text?.includes(`${name}.${field}: `), `${name}.${field} = "" must be rejected (got ${String(text)})`);
    }
  }
  rejects(t, validateConsultRequest({ ...consult, osVersion: '' }), 'consult.osVersion: must not be "" (omit the field instead)');
});

test('required fields that are missing, null or "" are rejected by name', (t) => {
  const { authState: _a, ...noAuthState } = consult;
  rejects(t, validateConsultRequest(noAuthState), 'consult.authState: required');
  rejects(t, validateConsultRequest({ ...consult, customerBelongsTo: null }), 'consult.customerBelongsTo: required');
  rejects(t, validateConsultRequest({ ...consult, authState: '' }), 'consult.authState: must not be empty');
  rejects(t, validateAntomApplyTokenRequest({ customerBelongsTo: 'GCASH', authCode: 'x' }), 'applyToken.grantType: required');
  rejects(t, validateAntomApplyTokenRequest({ grantType: 'AUTHORIZATION_CODE', authCode: 'x' }), 'applyToken.customerBelongsTo: required');
  rejects(t, validateRevokeRequest({}), 'revoke.accessToken: required');
  rejects(t, validateConsultRequest({ ...consult, scopes: undefined }), 'consult.scopes: required');
  rejects(t, validateConsultRequest({ ...consult, authRedirectUrl: undefined }), 'consult.authRedirectUrl: required');
});

// ---------------------------------------------------------------------------------------------------------------
// Conditional fields
// ---------------------------------------------------------------------------------------------------------------

test('applyToken: authCode is required with AUTHORIZATION_CODE and refreshToken with REFRESH_TOKEN', (t) => {
  rejects(
    t,
    validateAntomApplyTokenRequest({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH' }),
    'applyToken.authCode: required when grantType is AUTHORIZATION_CODE',
  );
  rejects(
    t,
    validateAntomApplyTokenRequest({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH' }),
    'applyToken.refreshToken: required when grantType is REFRESH_TOKEN',
  );
  rejects(
    t,
    validateAlipayPlusApplyTokenRequest({ authClientId: 'm', grantType: 'REFRESH_TOKEN' }),
    'applyToken.refreshToken: required when grantType is REFRESH_TOKEN',
  );
});

test('applyToken: the other grant\'s credential must not ride along', (t) => {
  rejects(
    t,
    validateAntomApplyTokenRequest({ ...codeGrant, refreshToken: 'r' }),
    'applyToken.refreshToken: must be absent when grantType is AUTHORIZATION_CODE',
  );
  rejects(
    t,
    validateAlipayPlusApplyTokenRequest({ ...apsCodeGrant, grantType: 'REFRESH_TOKEN', refreshToken: 'r' }),
    'applyToken.authCode: must be absent when grantType is REFRESH_TOKEN',
  );
});

test('consult: osType is required for APP, WAP and MINI_APP but not for WEB', (t) => {
  for (const terminalType of ['APP', 'WAP', 'MINI_APP']) {
    rejects(
      t,
      validateConsultRequest({ ...consult, terminalType }),
      `consult.osType: required when terminalType is ${terminalType}`,
    );
    accepts(t, validateConsultRequest({ ...consult, terminalType, osType: 'IOS' }));
    accepts(t, validateConsultRequest({ ...consult, terminalType, env: { osType: 'ANDROID' } }));
  }
  accepts(t, validateConsultRequest({ ...consult, terminalType: 'WEB' }));
  rejects(t, validatePrepareRequest({ ...prepare, terminalType: 'APP' }), 'prepare.osType: required when terminalType is APP');
});

test('consult: a terminalType is required, at the top level or in env, and the two must agree', (t) => {
  const { terminalType: _omit, ...withoutTerminal } = consult;
  rejects(t, validateConsultRequest(withoutTerminal), 'consult.terminalType: required (here or as env.terminalType)');
  rejects(t, validateConsultRequest({ ...consult, env: { terminalType: 'APP', osType: 'IOS' } }), 'consult.terminalType: contradicts env.terminalType');
  rejects(
    t,
    validateConsultRequest({ ...consult, terminalType: 'APP', osType: 'IOS', env: { osType: 'ANDROID' } }),
    'consult.osType: contradicts env.osType',
  );
});

test('prepare: authClientId, authClientName and terminalType are required', (t) => {
  for (const field of ['authClientId', 'authClientName', 'terminalType']) {
    rejects(t, validatePrepareRequest({ ...prepare, [field]: undefined }), `prepare.${field}: required`);
  }
});

test('Alipay+ applyToken and cancelToken: authClientId is required', (t) => {
  rejects(t, validateAlipayPlusApplyTokenRequest({ ...apsCodeGrant, authClientId: undefined }), 'applyToken.authClientId: required');
  rejects(t, validateCancelTokenRequest({ accessToken: 'a' }), 'cancelToken.authClientId: required');
  rejects(t, validateCancelTokenRequest({ authClientId: 'm' }), 'cancelToken.accessToken: required');
});

// ---------------------------------------------------------------------------------------------------------------
// Enums and scopes
// ---------------------------------------------------------------------------------------------------------------

test('enums: grantType, terminalType, osType, recurringPayment', (t) => {
  rejects(t, validateAntomApplyTokenRequest({ ...codeGrant, grantType: 'CLIENT_CREDENTIALS' }), 'applyToken.grantType: must be one of AUTHORIZATION_CODE|REFRESH_TOKEN');
  rejects(t, validateConsultRequest({ ...consult, terminalType: 'DESKTOP' }), 'consult.terminalType: must be one of WEB|WAP|APP|MINI_APP');
  rejects(t, validateConsultRequest({ ...consult, osType: 'WINDOWS' }), 'consult.osType: must be one of IOS|ANDROID');
  rejects(t, validateConsultRequest({ ...consult, env: { osType: 'ios' } }), 'consult.env.osType: must be one of IOS|ANDROID');
  rejects(t, validateConsultRequest({ ...consult, recurringPayment: 'yes' }), 'consult.recurringPayment: must be one of true|false');
});

test('merchantRegion: only US, JP, PK, SG, as two upper-case letters', (t) => {
  for (const region of ['US', 'JP', 'PK', 'SG']) accepts(t, validateConsultRequest({ ...consult, merchantRegion: region }));
  for (const region of ['CN', 'us', 'USA', 'U', 'HK']) {
    rejects(t, validateConsultRequest({ ...consult, merchantRegion: region }), 'consult.merchantRegion: must be one of US|JP|PK|SG');
    rejects(t, validateAntomApplyTokenRequest({ ...codeGrant, merchantRegion: region }), 'applyToken.merchantRegion: must be one of US|JP|PK|SG');
  }
});

test('property: any merchantRegion outside {US,JP,PK,SG} is rejected', (t) => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1 }).filter((s) => !['US', 'JP', 'PK', 'SG'].includes(s)),
      (region) => errorText(validateConsultRequest({ ...consult, merchantRegion: region }))?.includes('consult.merchantRegion: ') === true,
    ),
  );
  t.pass();
});

test('scopes: 1 to 4 distinct known values', (t) => {
  rejects(t, validateConsultRequest({ ...consult, scopes: [] }), 'consult.scopes: must have at least 1 entry');
  rejects(
    t,
    validateConsultRequest({ ...consult, scopes: ['AGREEMENT_PAY', 'USER_INFO', 'BASE_USER_INFO', 'AGREEMENT_PAY', 'USER_INFO'] }),
    'consult.scopes: must have at most 4 entries',
  );
  rejects(t, validateConsultRequest({ ...consult, scopes: ['AGREEMENT_PAY', 'PAY_EVERYTHING'] }), 'consult.scopes[1]: must be one of BASE_USER_INFO|USER_INFO|AGREEMENT_PAY');
  rejects(t, validateConsultRequest({ ...consult, scopes: ['AGREEMENT_PAY', 'AGREEMENT_PAY'] }), 'consult.scopes: must not repeat a scope');
  rejects(t, validateConsultRequest({ ...consult, scopes: 'AGREEMENT_PAY' }), 'consult.scopes: must be an array');
  rejects(t, validatePrepareRequest({ ...prepare, scopes: [3] }), 'prepare.scopes[0]: must be a string');
});

// ---------------------------------------------------------------------------------------------------------------
// URLs and maximum lengths
// ---------------------------------------------------------------------------------------------------------------

test('authRedirectUrl must be absolute; authNotifyUrl must be http(s)', (t) => {
  rejects(t, validateConsultRequest({ ...consult, authRedirectUrl: '/return' }), 'consult.authRedirectUrl: must be an absolute URL');
  accepts(t, validateConsultRequest({ ...consult, authRedirectUrl: 'merchantapp://auth/return' }));
  rejects(t, validateConsultRequest({ ...consult, authNotifyUrl: 'ftp://merchant.example/n' }), 'consult.authNotifyUrl: must be an absolute https/http URL');
  rejects(t, validatePrepareRequest({ ...prepare, authRedirectUrl: 'not a url' }), 'prepare.authRedirectUrl: must be an absolute URL');
});

/** Every length-limited field: [message name, validator, valid base, field, limit]. */
const lengthLimits: [string, (input: unknown) => Validation<unknown>, Record<string, unknown>, string, number][] = [
  ['consult', validateConsultRequest, consult, 'customerBelongsTo', LIMITS.customerBelongsTo],
  ['consult', validateConsultRequest, consult, 'authState', LIMITS.authState],
  ['consult', validateConsultRequest, consult, 'osVersion', LIMITS.osVersion],
  ['consult', validateConsultRequest, consult, 'authClientId', LIMITS.authClientId],
  ['consult', validateConsultRequest, consult, 'merchantAccountId', LIMITS.merchantAccountId],
  ['applyToken', validateAntomApplyTokenRequest, codeGrant, 'authCode', CLIENT_LENIENCY.antomAuthCode],
  ['applyToken', receivedRequestValidators.antom.applyToken, codeGrant, 'authCode', LIMITS.antomAuthCode],
  ['applyToken', validateAntomApplyTokenRequest, refreshGrant, 'refreshToken', LIMITS.refreshToken],
  ['applyToken', validateAntomApplyTokenRequest, codeGrant, 'customerBelongsTo', LIMITS.customerBelongsTo],
  ['revoke', validateRevokeRequest, revoke, 'accessToken', LIMITS.accessToken],
  ['revoke', validateRevokeRequest, revoke, 'merchantAccountId', LIMITS.merchantAccountId],
  ['prepare', validatePrepareRequest, prepare, 'authClientId', LIMITS.authClientId],
  ['prepare', validatePrepareRequest, prepare, 'authClientName', LIMITS.authClientName],
  ['prepare', validatePrepareRequest, prepare, 'referenceMerchantId', LIMITS.referenceMerchantId],
  ['prepare', validatePrepareRequest, prepare, 'authState', LIMITS.authState],
  ['applyToken', validateAlipayPlusApplyTokenRequest, apsCodeGrant, 'authCode', LIMITS.alipayPlusAuthCode],
  ['applyToken', validateAlipayPlusApplyTokenRequest, apsCodeGrant, 'passThroughInfo', LIMITS.passThroughInfo],
  ['cancelToken', validateCancelTokenRequest, cancelToken, 'accessToken', LIMITS.accessToken],
];

test('the documented limits: Antom authCode ≤64 (our client lets ≤128 through), Alipay+ authCode ≤64, tokens ≤128, authState ≤256', (t) => {
  t.is(LIMITS.antomAuthCode, 64);
  t.is(CLIENT_LENIENCY.antomAuthCode, 128);
  t.is(LIMITS.alipayPlusAuthCode, 64);
  t.is(LIMITS.accessToken, 128);
  t.is(LIMITS.refreshToken, 128);
  t.is(LIMITS.authState, 256);
  t.is(LIMITS.customerBelongsTo, 64);
  t.is(LIMITS.authRedirectUrl, 1024);
  t.is(LIMITS.passThroughInfo, 20000);
});

test('property: every length-limited field accepts exactly its limit and rejects anything longer, naming the field', (t) => {
  for (const [name, validate, base, field, limit] of lengthLimits) {
    accepts(t, validate({ ...base, [field]: 'x'.repeat(limit) }));
    fc.assert(
      fc.property(fc.string({ minLength: limit + 1, maxLength: limit + 40, unit: 'grapheme-ascii' }), (value) => {
        const text = errorText(validate({ ...base, [field]: value }));
        return text !== undefined && text.includes(`${name}.${field}: must be at most ${limit} characters`);
      }),
      { numRuns: 25 },
    );
  }
});

test('URL fields reject anything over 1024 characters', (t) => {
  const long = `https://merchant.example/${'a'.repeat(1000)}`;
  rejects(t, validateConsultRequest({ ...consult, authRedirectUrl: long }), 'consult.authRedirectUrl: must be at most 1024 characters');
  rejects(t, validateConsultRequest({ ...consult, authNotifyUrl: long }), 'consult.authNotifyUrl: must be at most 1024 characters');
});

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

test('requireValid returns the value or throws a RequestValidationError that lists every issue', (t) => {
  t.deepEqual(requireValid(validateRevokeRequest(revoke)), revoke);
  const error = t.throws(() => requireValid(validateAntomApplyTokenRequest({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'x'.repeat(65) })), {
    instanceOf: RequestValidationError,
  });
  t.true(error instanceof AntomError);
  t.is(error.outcome, 'systemic-final');
  t.false(error.retryable);
  t.is(error.messageName, 'applyToken');
  t.deepEqual(error.issues.map((issue) => issue.field).sort(), ['authCode', 'customerBelongsTo']);
  t.is(
    error.message,
    'applyToken.customerBelongsTo: must be at most 64 characters; applyToken.authCode: required when grantType is AUTHORIZATION_CODE',
  );
});

test('property: a rejected secret (authCode, refreshToken, accessToken) never appears in the error message', (t) => {
  const secret = fc.string({ minLength: 129, maxLength: 200, unit: 'grapheme-ascii' }).map((s) => `SECRET${s}`);
  fc.assert(
    fc.property(secret, (value) => {
      const messages = [
        errorText(validateAntomApplyTokenRequest({ ...codeGrant, authCode: value })),
        errorText(validateAntomApplyTokenRequest({ ...refreshGrant, refreshToken: value })),
        errorText(validateRevokeRequest({ accessToken: value })),
        errorText(validateAntomApplyTokenRequest({ ...codeGrant, refreshToken: value })),
      ];
      return messages.every((message) => message !== undefined && !message.includes(value) && !message.includes('SECRET'));
    }),
    { numRuns: 50 },
  );
  t.pass();
});

// ---------- issue 15: the published documents and the official SDKs ----------

test('Alipay+ prepare accepts the USER_LOGIN_ID scope (alipayplus-applyToken-acqp.txt); Antom consult does not list it', (t) => {
  t.deepEqual(accepts(t, validatePrepareRequest({ ...prepare, scopes: ['AGREEMENT_PAY', 'USER_LOGIN_ID'] }))?.scopes, ['AGREEMENT_PAY', 'USER_LOGIN_ID']);
  t.regex(errorText(validateConsultRequest({ ...consult, scopes: ['AGREEMENT_PAY', 'USER_LOGIN_ID'] })) ?? '', /consult\.scopes\[1\]/);
});

test('Antom authCode: the sandbox enforces the documented 64, our client lets up to 128 through', (t) => {
  const codeGrant = { grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH' };
  accepts(t, validateAntomApplyTokenRequest({ ...codeGrant, authCode: 'c'.repeat(100) }));
  t.regex(errorText(receivedRequestValidators.antom.applyToken({ ...codeGrant, authCode: 'c'.repeat(65) })) ?? '', /applyToken\.authCode: must be at most 64 characters/);
  accepts(t, receivedRequestValidators.antom.applyToken({ ...codeGrant, authCode: 'c'.repeat(64) }));
});

test('the sandbox accepts the optional fields the official SDKs send; our client still refuses them (never sent by us)', (t) => {
  const sdkConsult = { ...consult, extendInfo: '{"k":"v"}', authMetaData: { accountHolderName: 'A. Holder' }, recurringPayment: true };
  const received = accepts(t, receivedRequestValidators.antom.consult(sdkConsult));
  t.is(received?.recurringPayment, 'true', 'a JSON boolean is read as its string form');
  t.is(accepts(t, receivedRequestValidators.antom.consult({ ...consult, recurringPayment: false }))?.recurringPayment, 'false');
  t.regex(errorText(receivedRequestValidators.antom.consult({ ...consult, recurringPayment: 1 })) ?? '', /recurringPayment/);
  accepts(t, receivedRequestValidators.antom.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'r', extendInfo: 'x' }));
  accepts(t, receivedRequestValidators.antom.revoke({ accessToken: 'a', extendInfo: 'x' }));
  const strict = errorText(validateConsultRequest(sdkConsult)) ?? '';
  t.regex(strict, /consult\.extendInfo: unknown field/);
  t.regex(strict, /consult\.recurringPayment/);
});
