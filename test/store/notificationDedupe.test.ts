import anyTest, { type TestFn } from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { DEFAULT_DELIVERED_TTL_MS, NotificationDedupe } from '../../src/store/notificationDedupe';
import { allKeys, assertNotStored, onEveryRedis, type RedisTestContext } from './redisTestContext';

const test = onEveryRedis(anyTest as TestFn<RedisTestContext>);

const oldKey = generateEncryptionKey();
const ring = parseKeyRingSpec(`k1:${oldKey}`);
const notification = { authorizationNotifyType: 'TOKEN_CANCELED', authState: 'st-1', accessToken: 'AT-cancel-me-42' };

test('first claim delivers; while in flight a repeat is in-progress; after confirm it is a duplicate for 48 h', async (t) => {
  const dedupe = new NotificationDedupe(t.context.redis, { keyRing: ring, keys: t.context.keys });
  const claim = await dedupe.claim(notification);
  t.is(claim.status, 'claimed');
  t.is((await dedupe.claim(notification)).status, 'in-progress');
  if (claim.status === 'claimed') await claim.confirm();
  t.is((await dedupe.claim({ accessToken: 'AT-cancel-me-42', authState: 'st-1', authorizationNotifyType: 'TOKEN_CANCELED' })).status, 'duplicate', 'key order does not matter');
  t.is((await dedupe.claim({ ...notification, authState: 'st-2' })).status, 'claimed', 'another notification is not a duplicate');
  const keys = await allKeys(t.context.redis, `${t.context.prefix}notification:`);
  const [key] = keys.sort();
  const ttls = await Promise.all(keys.map((k) => t.context.redis.pttl(k)));
  t.truthy(key);
  t.true(ttls.some((ttl) => ttl > DEFAULT_DELIVERED_TTL_MS - 60_000 && ttl <= DEFAULT_DELIVERED_TTL_MS));
  await assertNotStored(t, 'AT-cancel-me-42');
});

test('a failed delivery releases the claim, so the resend is delivered', async (t) => {
  const dedupe = new NotificationDedupe(t.context.redis, { keyRing: ring, keys: t.context.keys });
  await t.throwsAsync(dedupe.deliverOnce(notification, async () => { throw new Error('temporal unavailable'); }), { message: 'temporal unavailable' });
  const retried = await dedupe.deliverOnce(notification, async () => 'signalled');
  t.deepEqual(retried, { status: 'delivered', result: 'signalled' });
  t.deepEqual(await dedupe.deliverOnce(notification, async () => 'again'), { status: 'duplicate' });
});

test('a crash between claim and confirm does not lose the notification: the claim expires', async (t) => {
  // 1 s: the second claim must come while the first is held, even on a loaded machine.
  const dedupe = new NotificationDedupe(t.context.redis, { keyRing: ring, keys: t.context.keys, claimTtlMs: 1_000 });
  t.is((await dedupe.claim(notification)).status, 'claimed'); // the process dies here
  t.is((await dedupe.claim(notification)).status, 'in-progress');
  await delay(1_200);
  t.is((await dedupe.claim(notification)).status, 'claimed');
});

test('a late release never erases a delivered mark', async (t) => {
  const dedupe = new NotificationDedupe(t.context.redis, { keyRing: ring, keys: t.context.keys, claimTtlMs: 50 });
  const slow = await dedupe.claim(notification);
  await delay(120);
  const fast = await dedupe.claim(notification);
  if (fast.status === 'claimed') await fast.confirm();
  if (slow.status === 'claimed') await slow.release();
  t.is((await dedupe.claim(notification)).status, 'duplicate');
});

test('concurrent deliveries from two connections deliver exactly once', async (t) => {
  const dedupes = [t.context.redis, t.context.connect()].map((redis) => new NotificationDedupe(redis, { keyRing: ring, keys: t.context.keys }));
  let deliveries = 0;
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) => dedupes[i % 2]!.deliverOnce(notification, async () => { deliveries++; await delay(20); })),
  );
  t.is(deliveries, 1);
  t.is(results.filter((r) => r.status === 'delivered').length, 1);
  t.is((await dedupes[0]!.claim(notification)).status, 'duplicate');
});

test('after key rotation a notification delivered under the old key is still a duplicate', async (t) => {
  await new NotificationDedupe(t.context.redis, { keyRing: ring, keys: t.context.keys }).deliverOnce(notification, async () => undefined);
  const rotated = parseKeyRingSpec(`k2:${generateEncryptionKey()},k1:${oldKey}`);
  t.is((await new NotificationDedupe(t.context.redis, { keyRing: rotated, keys: t.context.keys }).claim(notification)).status, 'duplicate');
});
