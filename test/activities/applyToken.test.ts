// applyToken through the real protocol client against the sandbox, with the journal in real Redis: both grants,
// both profiles; a retry of the same activity after a lost result is answered from the journal without a second
// Antom call; tokens never appear in plaintext in Redis or in a log line.
import test from 'ava';
import type { ApplicationFailure } from '@temporalio/common';
import type { TokenSet } from '../../src/workflows/activityContract';
import { createActivities, createActivityStore } from '../../src/activities';
import { assertNotStoredIn, consultAndApprove, createHarness, SUB_MERCHANT, type ActivityHarness } from './activityHarness';

test('AUTHORIZATION_CODE then REFRESH_TOKEN (Antom, rotating GCASH): a usable token set each time', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '1' });
  t.true(h.sandbox.admin.isAccessTokenUsable(first.accessToken));
  t.truthy(first.refreshToken);
  t.true(Date.parse(first.accessTokenExpiry) > Date.now() + 300 * 24 * 3_600_000, 'GCASH issues a 2-year token');
  t.true(first.accessTokenExpiry.endsWith('Z'), 'expiries are normalised to UTC');
  t.truthy(first.userLoginId);

  const refreshed = await h.run('applyToken', { profile: 'antom', wallet: 'GCASH', grantType: 'REFRESH_TOKEN', refreshToken: first.refreshToken! }, { activityId: '2' });
  t.not(refreshed.accessToken, first.accessToken);
  t.not(refreshed.refreshToken, first.refreshToken, 'GCASH rotates the refresh token');
  t.true(h.sandbox.admin.isAccessTokenUsable(refreshed.accessToken));
  t.is(h.requestsTo('applyToken'), 2);

  const secrets = [authCode, first.accessToken, first.refreshToken!, refreshed.accessToken, refreshed.refreshToken!];
  await assertNotStoredIn(t, h, secrets);
  for (const secret of secrets) t.false(h.logLines.join('\n').includes(secret), 'a secret reached the log');
});

test('Alipay+ profile: both grants with authClientId and passThroughInfo', async (t) => {
  const h = await createHarness(t);
  const passThroughInfo = JSON.stringify({ merchantNote: 'hello' });
  const { authCode } = await consultAndApprove(h, 'GCASH', 'alipayplus', { authClientId: SUB_MERCHANT });
  const first = await h.run('applyToken', {
    profile: 'alipayplus', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode, authClientId: SUB_MERCHANT, passThroughInfo,
  }, { activityId: 'a' });
  t.true(h.sandbox.admin.isAccessTokenUsable(first.accessToken));
  const refreshed = await h.run('applyToken', {
    profile: 'alipayplus', wallet: 'GCASH', grantType: 'REFRESH_TOKEN', refreshToken: first.refreshToken!, authClientId: SUB_MERCHANT, passThroughInfo,
  }, { activityId: 'b' });
  t.true(h.sandbox.admin.isAccessTokenUsable(refreshed.accessToken));
  const sent = h.sandbox.admin.requests().filter((r) => r.path.startsWith('/aps/') && r.endpoint === 'applyToken');
  t.is(sent.length, 2, 'both calls went to the Alipay+ path');
  for (const request of sent) {
    const body = request.body as Record<string, unknown>;
    t.is(body.authClientId, SUB_MERCHANT);
    t.is(body.passThroughInfo, passThroughInfo);
  }
});

test('a retry of the same activity after a lost result returns the journaled tokens without calling Antom again', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '7', attempt: 1 });
  // Attempt 1 succeeded but its result never reached the workflow: Temporal retries the identical input.
  const retried = await h.run('applyToken', { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '7', attempt: 2 });
  t.deepEqual(retried, first, 'the journaled result, including the original obtainedAt');
  t.is(h.requestsTo('applyToken'), 1, 'Antom was not asked a second time (it would answer INVALID_AUTHCODE)');
});

test('lost refresh response after rotation: the retry recovers the new tokens, no INVALID_REFRESH_TOKEN', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const initial = await h.run('applyToken', { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '1' });
  const refreshInput = { profile: 'antom', wallet: 'GCASH', grantType: 'REFRESH_TOKEN', refreshToken: initial.refreshToken! } as const;
  const rotated = await h.run('applyToken', refreshInput, { activityId: '2', attempt: 1 });
  const recovered = await h.run('applyToken', refreshInput, { activityId: '2', attempt: 2 });
  t.is(recovered.refreshToken, rotated.refreshToken);
  t.true(h.sandbox.admin.isAccessTokenUsable(recovered.accessToken));
  t.is(h.requestsTo('applyToken'), 2, 'one authCode exchange and one refresh');

  // Without the journal (a separate activity), the wallet would reject the rotated-away refresh token.
  const separate = (await t.throwsAsync(h.run('applyToken', refreshInput, { activityId: '3' }))) as ApplicationFailure;
  t.is(separate.type, 'INVALID_REFRESH_TOKEN');
});

test('a separate activity with an identical request (non-rotating wallet, refresh-now) really calls Antom', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'TNG');
  const initial = await h.run('applyToken', { profile: 'antom', wallet: 'TNG', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '1' });
  const input = { profile: 'antom', wallet: 'TNG', grantType: 'REFRESH_TOKEN', refreshToken: initial.refreshToken! } as const;
  const firstRefresh: TokenSet = await h.run('applyToken', input, { activityId: '2' });
  const refreshNow: TokenSet = await h.run('applyToken', input, { activityId: '3' });
  t.is(firstRefresh.refreshToken, initial.refreshToken, 'TNG does not rotate');
  t.not(refreshNow.accessToken, firstRefresh.accessToken, 'a fresh token, not the journaled one');
  t.is(h.requestsTo('applyToken'), 3);
});

test('the journal is scoped to the workflow run: another run retrying the same activity id is not answered from it', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const input = { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode } as const;
  await h.run('applyToken', input, { runId: 'run-a', activityId: '1' });
  const other = (await t.throwsAsync(h.run('applyToken', input, { runId: 'run-b', activityId: '1', attempt: 2 }))) as ApplicationFailure;
  t.is(other.type, 'INVALID_AUTHCODE');
});

function activitiesWithDeadJournal(h: ActivityHarness) {
  const dead = createActivityStore({ redis: h.deadRedis(), keyRing: h.keyRing, keyPrefix: h.prefix });
  return createActivities({ ...h.deps, store: { ...h.store, applyTokenJournal: dead.applyTokenJournal } });
}

test('a journal lookup that fails on a retry fails retryably instead of calling Antom blind', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const input = { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode } as const;
  const failure = (await t.throwsAsync(h.run('applyToken', input, { attempt: 2 }, activitiesWithDeadJournal(h)))) as ApplicationFailure;
  t.is(failure.type, 'STORE_UNAVAILABLE');
  t.false(failure.nonRetryable);
  t.deepEqual(failure.details, [{ outcome: 'unknown-retry', resultCode: 'STORE_UNAVAILABLE' }]);
  t.is(h.requestsTo('applyToken'), 0);
});

test('with Redis down on the first attempt the token is still obtained and returned (nothing can be journaled yet)', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const input = { profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode } as const;
  const tokens = await h.run('applyToken', input, { attempt: 1 }, activitiesWithDeadJournal(h));
  t.true(h.sandbox.admin.isAccessTokenUsable(tokens.accessToken));
  t.true(h.logLines.some((line) => line.includes('journal write failed')), 'the unjournaled return is logged');
  t.false(h.logLines.join('\n').includes(tokens.accessToken));
});
