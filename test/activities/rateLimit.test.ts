// Every Antom call takes a slot of the shared Redis rate limiter first: calls beyond the rate wait for their slot,
// and a slot further away than the wait bound fails retryably (RATE_LIMITED) without sending anything.
import test from 'ava';
import type { ApplicationFailure } from '@temporalio/common';
import { createHarness, uniqueAuthState, webConsult } from './activityHarness';

test('calls beyond the rate wait for their slot (5/s, no burst → ten calls spread over ~1.8 s)', async (t) => {
  const h = await createHarness(t, { requestsPerSecond: 5, rateLimitMaxWaitMs: 5_000 });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      h.run('consult', { profile: 'antom', wallet: 'GCASH', authState: uniqueAuthState(`rl${i}`), options: webConsult() }, { activityId: String(i) }),
    ),
  );
  const elapsed = Date.now() - started;
  t.is(h.requestsTo('consult'), 10);
  // One every 200 ms (the default burst is 1): the 10th leaves ~1.8 s after the first; unlimited, the ten take ~150 ms.
  t.true(elapsed >= 1_500, `10 calls at 5/s took only ${elapsed} ms`);
  const sent = h.sandbox.admin.requests().filter((r) => r.endpoint === 'consult').map((r) => r.at);
  t.true(sent[9]! - sent[0]! >= 1_500, `the sandbox saw them spread out (${sent[9]! - sent[0]!} ms)`);
});

test('a slot beyond the wait bound → RATE_LIMITED, retryable with a retry delay, nothing sent', async (t) => {
  const h = await createHarness(t, { requestsPerSecond: 1, rateLimitMaxWaitMs: 50 });
  await h.run('revoke', { profile: 'antom', wallet: 'GCASH', accessToken: 'unknown-token-1111111111111111' }, { activityId: '1' });
  const failure = (await t.throwsAsync(
    h.run('revoke', { profile: 'antom', wallet: 'GCASH', accessToken: 'unknown-token-2222222222222222' }, { activityId: '2' }),
  )) as ApplicationFailure;
  t.is(failure.type, 'RATE_LIMITED');
  t.false(failure.nonRetryable);
  t.deepEqual(failure.details, [{ outcome: 'unknown-retry', resultCode: 'RATE_LIMITED' }]);
  t.true(typeof failure.nextRetryDelay === 'number' && failure.nextRetryDelay > 0);
  t.is(h.requestsTo('revoke'), 1, 'the limited call never reached Antom');
  t.truthy(await h.redis.exists(`${h.prefix}rate-limit:antom.revoke`), 'the bucket lives in the shared Redis');
});

test('a journal hit does not spend a rate-limit slot', async (t) => {
  const h = await createHarness(t, { requestsPerSecond: 1, rateLimitMaxWaitMs: 50 });
  const authState = uniqueAuthState();
  await h.run('consult', { profile: 'antom', wallet: 'GCASH', authState, options: webConsult() }); // spends the slot
  const { authCode } = h.sandbox.admin.approve({ authState });
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const input = { requestId: 'exchange-9', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode } as const;
  const tokens = await h.run('applyToken', input, { activityId: '9', attempt: 1 });
  // The bucket for applyToken is now empty; the retry must still be answered from the journal at once.
  t.deepEqual(await h.run('applyToken', input, { activityId: '9', attempt: 2 }), tokens);
});
