// applyToken through the real protocol client against the sandbox, with the journal in real Redis: both grants,
// both profiles; a retry of the same exchange (same requestId) after a lost result is answered from the journal
// without a second Antom call; tokens never appear in plaintext in Redis or in a log line.
import test from 'ava';
import type { ApplicationFailure } from '@temporalio/common';
import { createActivities, createActivityStore } from '../../src/activities';
import { EXCHANGE_LEASE_MS } from '../../src/activities/applyTokenActivity';
import { ApplyTokenJournal } from '../../src/store/applyTokenJournal';
import { redisKeys } from '../../src/store/redisKeys';
import type { TokenSet } from '../../src/workflows/activityContract';
import { assertNotStoredIn, consultAndApprove, createHarness, SUB_MERCHANT, type ActivityHarness } from './activityHarness';

const authCodeExchange = (requestId: string, authCode: string, wallet = 'GCASH') =>
  ({ requestId, profile: 'antom', wallet, grantType: 'AUTHORIZATION_CODE', authCode }) as const;
const refreshExchange = (requestId: string, refreshToken: string, wallet = 'GCASH') =>
  ({ requestId, profile: 'antom', wallet, grantType: 'REFRESH_TOKEN', refreshToken }) as const;

test('AUTHORIZATION_CODE then REFRESH_TOKEN (Antom, rotating GCASH): a usable token set each time', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', authCodeExchange('x1', authCode), { activityId: '1' });
  t.true(h.sandbox.admin.isAccessTokenUsable(first.accessToken));
  t.truthy(first.refreshToken);
  t.true(Date.parse(first.accessTokenExpiry) > Date.now() + 300 * 24 * 3_600_000, 'GCASH issues a 2-year token');
  t.true(first.accessTokenExpiry.endsWith('Z'), 'expiries are normalised to UTC');
  t.truthy(first.userLoginId);

  const refreshed = await h.run('applyToken', refreshExchange('x2', first.refreshToken!), { activityId: '2' });
  t.not(refreshed.accessToken, first.accessToken);
  t.not(refreshed.refreshToken, first.refreshToken, 'GCASH rotates the refresh token');
  t.true(h.sandbox.admin.isAccessTokenUsable(refreshed.accessToken));
  t.is(h.requestsTo('applyToken'), 2);
  const sent = h.sandbox.admin.requests().filter((r) => r.endpoint === 'applyToken');
  t.false(JSON.stringify(sent.map((r) => r.body)).includes('x1'), 'the requestId is never sent to Antom');

  const secrets = [authCode, first.accessToken, first.refreshToken!, refreshed.accessToken, refreshed.refreshToken!];
  await assertNotStoredIn(t, h, secrets);
  for (const secret of secrets) t.false(h.logLines.join('\n').includes(secret), 'a secret reached the log');
});

test('Alipay+ profile: both grants with authClientId and passThroughInfo', async (t) => {
  const h = await createHarness(t);
  const passThroughInfo = JSON.stringify({ merchantNote: 'hello' });
  const { authCode } = await consultAndApprove(h, 'GCASH', 'alipayplus', { authClientId: SUB_MERCHANT });
  const first = await h.run('applyToken', {
    requestId: 'a', profile: 'alipayplus', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode, authClientId: SUB_MERCHANT, passThroughInfo,
  });
  t.true(h.sandbox.admin.isAccessTokenUsable(first.accessToken));
  const refreshed = await h.run('applyToken', {
    requestId: 'b', profile: 'alipayplus', wallet: 'GCASH', grantType: 'REFRESH_TOKEN', refreshToken: first.refreshToken!, authClientId: SUB_MERCHANT, passThroughInfo,
  });
  t.true(h.sandbox.admin.isAccessTokenUsable(refreshed.accessToken));
  const sent = h.sandbox.admin.requests().filter((r) => r.path.startsWith('/aps/') && r.endpoint === 'applyToken');
  t.is(sent.length, 2, 'both calls went to the Alipay+ path');
  for (const request of sent) {
    const body = request.body as Record<string, unknown>;
    t.is(body.authClientId, SUB_MERCHANT);
    t.is(body.passThroughInfo, passThroughInfo);
  }
});

test('a retry of the same exchange after a lost result returns the journaled tokens without calling Antom again', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', authCodeExchange('ex-7', authCode), { activityId: '7', attempt: 1 });
  // Attempt 1 succeeded but its result never reached the workflow: Temporal retries the identical input.
  const retried = await h.run('applyToken', authCodeExchange('ex-7', authCode), { activityId: '7', attempt: 2 });
  t.deepEqual(retried, first, 'the journaled result, including the original obtainedAt');
  // An operator retry after a park schedules a new activity for the same exchange: the journal answers it too.
  const afterPark = await h.run('applyToken', authCodeExchange('ex-7', authCode), { activityId: '12', attempt: 1 });
  t.deepEqual(afterPark, first);
  t.is(h.requestsTo('applyToken'), 1, 'Antom was not asked again (it would answer INVALID_AUTHCODE)');
});

test('lost refresh response after rotation: the retry recovers the new tokens, no INVALID_REFRESH_TOKEN', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const initial = await h.run('applyToken', authCodeExchange('code', authCode));
  const rotated = await h.run('applyToken', refreshExchange('refresh-1', initial.refreshToken!), { attempt: 1 });
  const recovered = await h.run('applyToken', refreshExchange('refresh-1', initial.refreshToken!), { attempt: 2 });
  t.is(recovered.refreshToken, rotated.refreshToken);
  t.true(h.sandbox.admin.isAccessTokenUsable(recovered.accessToken));
  t.is(h.requestsTo('applyToken'), 2, 'one authCode exchange and one refresh');

  // Without the journal (a new exchange), the wallet rejects the rotated-away refresh token.
  const separate = (await t.throwsAsync(h.run('applyToken', refreshExchange('refresh-2', initial.refreshToken!)))) as ApplicationFailure;
  t.is(separate.type, 'INVALID_REFRESH_TOKEN');
});

test('a new exchange with a byte-identical request (non-rotating wallet, refresh-now) really calls Antom', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'TNG');
  const initial = await h.run('applyToken', authCodeExchange('code', authCode, 'TNG'));
  const firstRefresh: TokenSet = await h.run('applyToken', refreshExchange('r1', initial.refreshToken!, 'TNG'));
  const refreshNow: TokenSet = await h.run('applyToken', refreshExchange('r2', initial.refreshToken!, 'TNG'));
  t.is(firstRefresh.refreshToken, initial.refreshToken, 'TNG does not rotate');
  t.not(refreshNow.accessToken, firstRefresh.accessToken, 'a fresh token, not the journaled one');
  t.is(h.requestsTo('applyToken'), 3);
});

test('the journal is scoped to the workflow: another authorization with the same requestId is not answered from it', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  await h.run('applyToken', authCodeExchange('same', authCode), { workflowId: 'authorization:GCASH:a' });
  const other = (await t.throwsAsync(h.run('applyToken', authCodeExchange('same', authCode), { workflowId: 'authorization:GCASH:b', attempt: 2 }))) as ApplicationFailure;
  t.is(other.type, 'INVALID_AUTHCODE');
});

test('an exchange without a requestId is refused before anything is sent', async (t) => {
  const h = await createHarness(t);
  const failure = (await t.throwsAsync(h.run('applyToken', authCodeExchange('', 'some-code')))) as ApplicationFailure;
  t.is(failure.type, 'INVALID_ACTIVITY_INPUT');
  t.true(failure.nonRetryable);
  t.is(h.requestsTo('applyToken'), 0);
});

test('a journal lookup that fails fails retryably instead of calling Antom blind', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const dead = createActivityStore({ redis: h.deadRedis(), keyRing: h.keyRing, keyPrefix: h.prefix });
  const activities = createActivities({ ...h.deps, store: { ...h.store, applyTokenJournal: dead.applyTokenJournal } });
  const failure = (await t.throwsAsync(h.run('applyToken', authCodeExchange('r', authCode), {}, activities))) as ApplicationFailure;
  t.is(failure.type, 'STORE_UNAVAILABLE');
  t.false(failure.nonRetryable);
  t.deepEqual(failure.details, [{ outcome: 'unknown-retry', resultCode: 'STORE_UNAVAILABLE' }]);
  t.is(h.requestsTo('applyToken'), 0);
});

/** Reads work; every write fails (Redis went away between the lookup and the journal write). */
class UnwritableJournal extends ApplyTokenJournal<TokenSet> {
  writes = 0;
  override async put(): Promise<void> {
    this.writes += 1;
    throw new Error('Connection is closed.');
  }
}

test('a journal write that keeps failing still returns the token (failing would guarantee a blind retry)', async (t) => {
  const h: ActivityHarness = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const journal = new UnwritableJournal(h.redis, { keyRing: h.keyRing, keys: redisKeys(h.prefix) });
  const activities = createActivities({ ...h.deps, store: { ...h.store, applyTokenJournal: journal } });
  const tokens = await h.run('applyToken', authCodeExchange('r', authCode), {}, activities);
  t.true(h.sandbox.admin.isAccessTokenUsable(tokens.accessToken));
  t.is(journal.writes, 3, 'retried in the activity before giving up');
  t.true(h.logLines.some((line) => line.includes('journal write failed')), 'the unjournaled return is logged');
  t.false(h.logLines.join('\n').includes(tokens.accessToken));
});

test('overlapping attempts of one exchange: the second waits (EXCHANGE_IN_FLIGHT, retryable) instead of spending the refresh token twice; the next one reads the journal', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', authCodeExchange('lease-1', authCode), { activityId: '1' });
  // The wallet is slow: the first attempt is still waiting when Temporal, past its startToClose, starts the next one.
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, delayMs: 1_500 });
  const slow = h.run('applyToken', refreshExchange('lease-2', first.refreshToken!), { activityId: '2', attempt: 1 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const overlapping = (await t.throwsAsync(h.run('applyToken', refreshExchange('lease-2', first.refreshToken!), { activityId: '2', attempt: 2 }))) as ApplicationFailure;
  t.is(overlapping.type, 'EXCHANGE_IN_FLIGHT');
  t.false(overlapping.nonRetryable);
  const refreshed = await slow;
  t.is(h.requestsTo('applyToken'), 2, 'Antom saw the refresh once');
  const third = await h.run('applyToken', refreshExchange('lease-2', first.refreshToken!), { activityId: '2', attempt: 3 });
  t.is(third.accessToken, refreshed.accessToken, 'answered from the journal');
  t.is(h.requestsTo('applyToken'), 2);
});

test('the exchange lease is short and renewed while its call is in flight, then released (a holder that stops renewing loses it: test/store/exchangeLease.test.ts)', async (t) => {
  const h = await createHarness(t, { responseTimeoutMs: 15_000 });
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', authCodeExchange('renew-1', authCode), { activityId: '1' });
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, delayMs: 8_000 });
  const slow = h.run('applyToken', refreshExchange('renew-2', first.refreshToken!), { activityId: '2' });
  const leaseTtl = async () => {
    const [key] = await h.redis.keys(`${h.prefix}exchange-lease:*`);
    return key === undefined ? -2 : h.redis.pttl(key);
  };
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const early = await leaseTtl();
  t.true(early > 0 && early <= EXCHANGE_LEASE_MS, `short lease: ${early} ms left`);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  // Without renewal ~EXCHANGE_LEASE_MS − 7 s would be left; the beat at 5 s renewed it.
  t.true((await leaseTtl()) > EXCHANGE_LEASE_MS - 5_000, 'renewed while the call is in flight');
  await slow;
  t.is(await leaseTtl(), -2, 'released once journaled');
});

test('an INVALID_REFRESH_TOKEN answering a retry of an exchange already sent is marked: it may only mean the first attempt succeeded', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const first = await h.run('applyToken', authCodeExchange('sent-1', authCode), { activityId: '1' });
  await h.run('applyToken', refreshExchange('sent-2', first.refreshToken!), { activityId: '2', attempt: 1 });
  // Its answer is lost and so is the journal (a Redis failover): the retry meets the rotated-away refresh token.
  for (const key of await h.redis.keys(`${h.prefix}apply-token-journal:*`)) await h.redis.del(key);
  const retried = (await t.throwsAsync(h.run('applyToken', refreshExchange('sent-2', first.refreshToken!), { activityId: '2', attempt: 2 }))) as ApplicationFailure;
  t.is(retried.type, 'INVALID_REFRESH_TOKEN');
  t.true((retried.details?.[0] as { mayHaveSucceeded?: boolean }).mayHaveSucceeded);
  // A first attempt of a new exchange with a dead token is the customer's problem, unmarked.
  const fresh = (await t.throwsAsync(h.run('applyToken', refreshExchange('sent-3', first.refreshToken!), { activityId: '3' }))) as ApplicationFailure;
  t.is(fresh.type, 'INVALID_REFRESH_TOKEN');
  t.falsy((fresh.details?.[0] as { mayHaveSucceeded?: boolean }).mayHaveSucceeded);
});
