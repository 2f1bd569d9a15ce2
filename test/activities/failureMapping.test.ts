// Each way an Antom call can end badly, produced by the real sandbox, must reach the workflow as the
// ApplicationFailure its decision table expects: type = result code (or local type), retryability by outcome,
// details [{ outcome, resultCode }] — and never the authCode or a token in the message or the details.
import test, { type ExecutionContext } from 'ava';
import { ApplicationFailure } from '@temporalio/common';
import type { FaultEffect } from '../../src/sandbox';
import type { ActivityFailureDetails } from '../../src/workflows/activityContract';
import { consultAndApprove, createHarness, type ActivityHarness } from './activityHarness';

async function applyFailure(t: ExecutionContext, h: ActivityHarness, authCode: string): Promise<ApplicationFailure> {
  const error = await t.throwsAsync(h.run('applyToken', { requestId: 'exchange', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }));
  t.true(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  const failure = error as ApplicationFailure;
  const visible = JSON.stringify({ message: failure.message, details: failure.details, type: failure.type });
  t.false(visible.includes(authCode), 'the authCode leaked into the failure');
  return failure;
}

function assertFailure(t: ExecutionContext, failure: ApplicationFailure, type: string, outcome: ActivityFailureDetails['outcome'], nonRetryable: boolean): void {
  t.is(failure.type, type);
  t.is(failure.nonRetryable, nonRetryable, `nonRetryable for ${type}`);
  t.deepEqual(failure.details, [{ outcome, resultCode: type }]);
}

const faultCases: { title: string; effect: FaultEffect; type: string; outcome: ActivityFailureDetails['outcome']; nonRetryable: boolean }[] = [
  { title: 'F customer-level (INVALID_AUTHCODE)', effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_AUTHCODE', process: false }, type: 'INVALID_AUTHCODE', outcome: 'customer-final', nonRetryable: true },
  { title: 'F systemic (INVALID_SIGNATURE)', effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_SIGNATURE', process: false }, type: 'INVALID_SIGNATURE', outcome: 'systemic-final', nonRetryable: true },
  { title: 'F systemic (KEY_NOT_FOUND)', effect: { type: 'result', resultStatus: 'F', resultCode: 'KEY_NOT_FOUND', process: false }, type: 'KEY_NOT_FOUND', outcome: 'systemic-final', nonRetryable: true },
  { title: 'U (UNKNOWN_EXCEPTION)', effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION', process: false }, type: 'UNKNOWN_EXCEPTION', outcome: 'unknown-retry', nonRetryable: false },
  { title: 'HTTP 503', effect: { type: 'httpError', status: 503, process: false }, type: 'TRANSPORT_ERROR', outcome: 'unknown-retry', nonRetryable: false },
  { title: 'dropped connection', effect: { type: 'drop', process: false }, type: 'TRANSPORT_ERROR', outcome: 'unknown-retry', nonRetryable: false },
  { title: 'unsigned response', effect: { type: 'unsigned' }, type: 'UNVERIFIABLE_RESPONSE', outcome: 'unknown-retry', nonRetryable: false },
  { title: 'wrongly signed response', effect: { type: 'wrongSignature' }, type: 'UNVERIFIABLE_RESPONSE', outcome: 'unknown-retry', nonRetryable: false },
  { title: 'malformed JSON', effect: { type: 'malformedJson', process: false }, type: 'UNVERIFIABLE_RESPONSE', outcome: 'unknown-retry', nonRetryable: false },
];

for (const c of faultCases) {
  test(`applyToken: ${c.title} → ${c.type}, ${c.nonRetryable ? 'non-retryable' : 'retryable'}`, async (t) => {
    const h = await createHarness(t);
    const { authCode } = await consultAndApprove(h, 'GCASH');
    h.sandbox.admin.addFault({ endpoint: 'applyToken', effect: c.effect });
    const failure = await applyFailure(t, h, authCode);
    assertFailure(t, failure, c.type, c.outcome, c.nonRetryable);
    t.is(h.requestsTo('applyToken'), 1, 'the request was sent once');
  });
}

test('applyToken: a genuinely used authCode is answered INVALID_AUTHCODE by the sandbox and mapped non-retryable', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  await h.run('applyToken', { requestId: 'first', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode });
  // A separate exchange (not a retry of the first): the journal does not answer it, Antom does.
  const failure = await applyFailure(t, h, authCode);
  assertFailure(t, failure, 'INVALID_AUTHCODE', 'customer-final', true);
});

test('a request the protocol layer refuses → REQUEST_INVALID, non-retryable, nothing sent', async (t) => {
  const h = await createHarness(t);
  const error = await t.throwsAsync(
    h.run('applyToken', { requestId: 'r', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode: 'some-code', merchantRegion: 'XX' }),
  );
  const failure = error as ApplicationFailure;
  assertFailure(t, failure, 'REQUEST_INVALID', 'systemic-final', true);
  t.regex(failure.message, /merchantRegion/);
  t.false(failure.message.includes('some-code'));
  t.is(h.requestsTo('applyToken'), 0);
});

test('a refresh without a refresh token is refused locally as REQUEST_INVALID', async (t) => {
  const h = await createHarness(t);
  const failure = (await t.throwsAsync(h.run('applyToken', { requestId: 'r', profile: 'antom', wallet: 'GCASH', grantType: 'REFRESH_TOKEN' }))) as ApplicationFailure;
  assertFailure(t, failure, 'REQUEST_INVALID', 'systemic-final', true);
  t.regex(failure.message, /refreshToken/);
  t.is(h.requestsTo('applyToken'), 0);
});

test('a profile without a configured client → CONFIGURATION_ERROR, non-retryable', async (t) => {
  const h = await createHarness(t, { profiles: ['antom'] });
  const failure = (await t.throwsAsync(
    h.run('applyToken', { requestId: 'r', profile: 'alipayplus', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode: 'x', authClientId: 'SUB' }),
  )) as ApplicationFailure;
  assertFailure(t, failure, 'CONFIGURATION_ERROR', 'systemic-final', true);
  t.regex(failure.message, /no alipayplus client/);
});

test('a merchant this worker does not know → CONFIGURATION_ERROR, nothing sent with another merchant\'s keys', async (t) => {
  const h = await createHarness(t);
  const failure = (await t.throwsAsync(
    h.run('applyToken', { requestId: 'r', profile: 'antom', merchantId: 'shop-unknown', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode: 'x' }),
  )) as ApplicationFailure;
  assertFailure(t, failure, 'CONFIGURATION_ERROR', 'systemic-final', true);
  t.regex(failure.message, /merchant shop-unknown is not configured on this worker/);
  t.is(h.requestsTo('applyToken'), 0);
  // The default merchant's name is the absence of one: its clients serve it.
  const revoked = await h.run('revoke', { profile: 'antom', merchantId: 'default', wallet: 'GCASH', accessToken: 'unknown-token-0123456789' });
  t.deepEqual(revoked, { alreadyRevoked: true });
});

test('consult: F from Antom keeps its code; the authState was indexed before the call', async (t) => {
  const h = await createHarness(t);
  h.sandbox.admin.addFault({ endpoint: 'consult', effect: { type: 'result', resultStatus: 'F', resultCode: 'ACCESS_DENIED', process: false } });
  const failure = (await t.throwsAsync(
    h.run('consult', { profile: 'antom', wallet: 'GCASH', authState: 'state-denied', options: { authRedirectUrl: 'https://m.example/r', terminalType: 'WEB' } }, { workflowId: 'authorization:GCASH:c9' }),
  )) as ApplicationFailure;
  assertFailure(t, failure, 'ACCESS_DENIED', 'systemic-final', true);
  t.is(await h.store.authStateIndex.get('state-denied'), 'authorization:GCASH:c9');
});

test('revoke: U and transport failures are retryable with their codes', async (t) => {
  const h = await createHarness(t);
  h.sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION', process: false } });
  h.sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'httpError', status: 502, process: false } });
  const token = 'access-token-that-must-not-leak-0123456789';
  const first = (await t.throwsAsync(h.run('revoke', { profile: 'antom', wallet: 'GCASH', accessToken: token }))) as ApplicationFailure;
  assertFailure(t, first, 'UNKNOWN_EXCEPTION', 'unknown-retry', false);
  const second = (await t.throwsAsync(h.run('revoke', { profile: 'antom', wallet: 'GCASH', accessToken: token }))) as ApplicationFailure;
  assertFailure(t, second, 'TRANSPORT_ERROR', 'unknown-retry', false);
  t.regex(second.message, /HTTP 502/);
  for (const failure of [first, second]) t.false(JSON.stringify({ m: failure.message, d: failure.details }).includes(token));
  t.false(h.logLines.join('').includes(token));
});
