// First sightings of unroutable notifications and the capped operator record, on a real Redis.
import anyTest, { type TestFn } from 'ava';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { UnroutedNotifications } from '../../src/store/unroutedNotifications';
import { allKeys, onEveryRedis, type RedisTestContext } from './redisTestContext';

const test = onEveryRedis(anyTest as TestFn<RedisTestContext>);
const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);

test('the first sighting is kept (with a TTL); later ones return it; other identities have their own', async (t) => {
  const store = new UnroutedNotifications(t.context.redis, { keyRing, keys: t.context.keys, firstSeenTtlMs: 60_000 });
  const identity = { type: 'TOKEN_CANCELED', accessToken: 'AT-first-seen-secret-000001' };
  t.is(await store.firstSeen(identity, 1_000), 1_000);
  t.is(await store.firstSeen({ ...identity }, 9_000), 1_000);
  t.is(await store.firstSeen({ ...identity, accessToken: 'AT-other' }, 9_000), 9_000);
  const keys = await allKeys(t.context.redis, t.context.prefix);
  t.is(keys.length, 2);
  t.false(keys.join().includes('AT-first-seen'), 'keyed digests, never the token');
  t.true((await t.context.redis.pttl(keys[0]!)) > 0);
});

test('records are newest first and capped', async (t) => {
  const store = new UnroutedNotifications(t.context.redis, { keyRing, keys: t.context.keys, limit: 3 });
  for (let i = 0; i < 5; i++) {
    await store.record({ at: `2026-01-01T00:00:0${i}.000Z`, platform: 'antom', type: 'TOKEN_CANCELED', reason: 'unrouted', accessTokenDigest: `d${i}` });
  }
  const recent = await store.recent(10);
  t.deepEqual(recent.map((r) => r.accessTokenDigest), ['d4', 'd3', 'd2']);
  t.deepEqual((await store.recent(1)).map((r) => r.accessTokenDigest), ['d4']);
});
