// The applyToken exchange lease on a real Redis: one holder at a time, released and renewed only by its owner, and
// a holder that stops renewing (a dead worker) loses it when its ttl runs out.
import anyTest, { type TestFn } from 'ava';
import { ExchangeLeases } from '../../src/store/exchangeLease';
import { onEveryRedis, type RedisTestContext } from './redisTestContext';

const it = onEveryRedis(anyTest as TestFn<RedisTestContext>);

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

it('one holder at a time; the other is told how long the holder has left; release frees it', async (t) => {
  const leases = new ExchangeLeases(t.context.redis, { keys: t.context.keys });
  const first = await leases.acquire('wf', 'req', 'a', 10_000);
  t.true(first.acquired);
  const second = await leases.acquire('wf', 'req', 'b', 10_000);
  t.false(second.acquired);
  if (!second.acquired) t.true(second.retryAfterMs > 9_000 && second.retryAfterMs <= 10_000);
  t.true((await leases.acquire('wf', 'other-request', 'b', 10_000)).acquired, 'another exchange is another lease');
  if (first.acquired) await first.release();
  t.true((await leases.acquire('wf', 'req', 'b', 10_000)).acquired);
});

it('renew extends the lease for its owner only; a holder that stops renewing loses it after its ttl', async (t) => {
  const leases = new ExchangeLeases(t.context.redis, { keys: t.context.keys });
  const key = t.context.keys.exchangeLease('wf', 'req');
  const held = await leases.acquire('wf', 'req', 'a', 400);
  if (!held.acquired) return t.fail('not acquired');
  await sleep(250);
  t.true(await held.renew(), 'still ours');
  t.true((await t.context.redis.pttl(key)) > 300, 'renewed to the full ttl');
  await sleep(250);
  t.false((await leases.acquire('wf', 'req', 'b', 400)).acquired, 'the renewal kept it past its first ttl');
  // The holder dies: no more renewals.
  await sleep(500);
  const taken = await leases.acquire('wf', 'req', 'b', 10_000);
  t.true(taken.acquired, 'lapsed: the next attempt takes it');
  t.false(await held.renew(), 'the old holder is told it lost the lease');
  await held.release();
  t.is(await t.context.redis.get(key), 'b', 'and cannot release the new holder\'s lease');
});

it('sent is remembered independently of the lease', async (t) => {
  const leases = new ExchangeLeases(t.context.redis, { keys: t.context.keys });
  t.false(await leases.wasSent('wf', 'req'));
  await leases.markSent('wf', 'req');
  t.true(await leases.wasSent('wf', 'req'));
  t.false(await leases.wasSent('wf', 'other'));
});
