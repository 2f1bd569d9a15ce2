import anyTest, { type TestFn } from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { AuthStateIndex, DEFAULT_AUTH_STATE_TTL_MS } from '../../src/store/authStateIndex';
import { onEveryRedis, type RedisTestContext } from './redisTestContext';

const test = onEveryRedis(anyTest as TestFn<RedisTestContext>);

test('maps authState to workflowId with the default 24 h TTL', async (t) => {
  const index = new AuthStateIndex(t.context.redis, { keys: t.context.keys });
  await index.put('state-123', 'authorization:TNG:c9');
  t.is(await index.get('state-123'), 'authorization:TNG:c9');
  t.is(await index.get('state-unknown'), undefined);
  t.is(await index.get(''), undefined);
  const ttl = await t.context.redis.pttl(t.context.keys.authState('state-123'));
  t.true(ttl > DEFAULT_AUTH_STATE_TTL_MS - 60_000 && ttl <= DEFAULT_AUTH_STATE_TTL_MS);
  await index.remove('state-123');
  t.is(await index.get('state-123'), undefined);
});

test('entries expire after their TTL', async (t) => {
  const index = new AuthStateIndex(t.context.redis, { keys: t.context.keys, ttlMs: 80 });
  await index.put('state-short', 'wf-1');
  t.is(await index.get('state-short'), 'wf-1');
  await delay(200);
  t.is(await index.get('state-short'), undefined);
});
