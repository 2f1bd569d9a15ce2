// Typed errors (src/antom/errors.ts): the taxonomy each carries, messages without secrets, and errorForResult.
import test from 'ava';
import {
  AntomBusinessError,
  AntomError,
  AntomTransportError,
  AntomUnknownResultError,
  AntomUnverifiableResponseError,
  errorForResult,
  RequestValidationError,
} from '../../src/antom/errors';

test('transport errors are unknown-retry and say which failure, with the HTTP status for http-status', (t) => {
  const status = new AntomTransportError({ kind: 'http-status', endpoint: 'applyToken', httpStatus: 503 });
  t.true(status instanceof AntomError);
  t.is(status.outcome, 'unknown-retry');
  t.true(status.retryable);
  t.is(status.httpStatus, 503);
  t.is(status.name, 'AntomTransportError');
  t.is(status.message, 'applyToken: transport failure (HTTP 503)');

  const cause = new Error('socket hang up');
  const reset = new AntomTransportError({ kind: 'connection', endpoint: 'revoke', cause });
  t.is(reset.kind, 'connection');
  t.is(reset.cause, cause);
  t.is(reset.httpStatus, undefined);
  t.is(reset.message, 'revoke: transport failure (connection)');
});

test('an unverifiable response is never final: unknown-retry, with the untrusted claim kept apart', (t) => {
  const error = new AntomUnverifiableResponseError({ reason: 'missing-signature', endpoint: 'applyToken', claimedResultCode: 'INVALID_SIGNATURE' });
  t.is(error.outcome, 'unknown-retry');
  t.true(error.retryable);
  t.is(error.claimedResultCode, 'INVALID_SIGNATURE');
  t.is(error.message, 'applyToken: unverifiable response, missing-signature (claims INVALID_SIGNATURE)');

  const shape = new AntomUnverifiableResponseError({
    reason: 'invalid-shape',
    endpoint: 'applyToken',
    issues: [{ field: 'accessTokenExpiryTime', problem: 'required' }],
  });
  t.is(shape.message, 'applyToken: unverifiable response, invalid-shape: accessTokenExpiryTime required');
  t.deepEqual(shape.issues, [{ field: 'accessTokenExpiryTime', problem: 'required' }]);
});

test('business errors carry endpoint, code and outcome; resultMessage is a property, never in the message', (t) => {
  const error = new AntomBusinessError({
    endpoint: 'applyToken',
    resultCode: 'INVALID_AUTHCODE',
    resultMessage: 'authCode 281010133AB2F588 is invalid',
    outcome: 'customer-final',
  });
  t.is(error.outcome, 'customer-final');
  t.false(error.retryable);
  t.is(error.resultMessage, 'authCode 281010133AB2F588 is invalid');
  t.is(error.message, 'applyToken: failed with INVALID_AUTHCODE (customer-final)');
  t.false(error.message.includes('281010133AB2F588'));
});

test('errorForResult maps a verified result to nothing, a U error, or an F error with its outcome', (t) => {
  t.is(errorForResult('applyToken', { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' }), undefined);

  const unknown = errorForResult('applyToken', { resultStatus: 'U', resultCode: 'AUTH_IN_PROCESS' });
  t.true(unknown instanceof AntomUnknownResultError);
  t.is(unknown?.outcome, 'unknown-retry');
  t.is(unknown?.message, 'applyToken: result unknown (AUTH_IN_PROCESS)');

  const customer = errorForResult('applyToken', { resultStatus: 'F', resultCode: 'INVALID_REFRESH_TOKEN', resultMessage: 'x' });
  t.true(customer instanceof AntomBusinessError);
  t.is(customer?.outcome, 'customer-final');
  t.is(customer?.resultMessage, 'x');

  const gone = errorForResult('revoke', { resultStatus: 'F', resultCode: 'INVALID_ACCESS_TOKEN' });
  t.true(gone instanceof AntomBusinessError);
  t.is(gone?.outcome, 'already-done');

  t.is(errorForResult('consult', { resultStatus: 'F', resultCode: 'NEVER_SEEN_BEFORE' })?.outcome, 'systemic-final');
  // A contradiction (known F code reported as U) is not final.
  t.true(errorForResult('applyToken', { resultStatus: 'U', resultCode: 'INVALID_AUTHCODE' }) instanceof AntomUnknownResultError);
});

test('RequestValidationError names message, field and rule and is systemic (not retryable)', (t) => {
  const error = new RequestValidationError('applyToken', [{ field: 'authCode', problem: 'required when grantType is AUTHORIZATION_CODE' }]);
  t.is(error.message, 'applyToken.authCode: required when grantType is AUTHORIZATION_CODE');
  t.is(error.outcome, 'systemic-final');
  t.false(error.retryable);
  t.true(error instanceof AntomError);
  t.is(error.name, 'RequestValidationError');
});
