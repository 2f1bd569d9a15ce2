import anyTest, { type TestFn } from 'ava';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { ApplyTokenJournal, DEFAULT_JOURNAL_TTL_MS } from '../../src/store/applyTokenJournal';
import { allKeys, assertNotStored, onEveryRedis, type RedisTestContext } from './redisTestContext';

const test = onEveryRedis(anyTest as TestFn<RedisTestContext>);

const oldKey = generateEncryptionKey();
const ring = parseKeyRingSpec(`k1:${oldKey}`);
const request = { grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'RT-old-55aa66bb' };
const response = {
  accessToken: 'AT-new-77cc88dd', accessTokenExpiryTime: '2027-01-01T00:00:00Z',
  refreshToken: 'RT-new-99ee00ff', refreshTokenExpiryTime: '2027-06-01T00:00:00Z', userLoginId: '63***34',
};

test('a retried identical request gets the journaled response; other requests do not', async (t) => {
  const journal = new ApplyTokenJournal<typeof response>(t.context.redis, { keyRing: ring, keys: t.context.keys });
  t.is(await journal.get(request), undefined);
  await journal.put(request, response);
  t.deepEqual(await journal.get({ refreshToken: 'RT-old-55aa66bb', customerBelongsTo: 'GCASH', grantType: 'REFRESH_TOKEN' }), response);
  t.is(await journal.get({ ...request, refreshToken: 'RT-other' }), undefined);
  t.is(await journal.get({ ...request, customerBelongsTo: 'DANA' }), undefined);
  t.is(await journal.get({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'RT-old-55aa66bb' }), undefined);
});

test('journal entries are encrypted, keyed by digest, and expire after 7 days by default', async (t) => {
  const journal = new ApplyTokenJournal(t.context.redis, { keyRing: ring, keys: t.context.keys });
  await journal.put(request, response);
  for (const secret of ['RT-old-55aa66bb', 'AT-new-77cc88dd', 'RT-new-99ee00ff']) await assertNotStored(t, secret);
  const [key] = await allKeys(t.context.redis, `${t.context.prefix}apply-token-journal:`);
  const ttl = await t.context.redis.pttl(key!);
  t.true(ttl > DEFAULT_JOURNAL_TTL_MS - 60_000 && ttl <= DEFAULT_JOURNAL_TTL_MS);
});

test('entries journaled before a key rotation are still found and readable', async (t) => {
  await new ApplyTokenJournal(t.context.redis, { keyRing: ring, keys: t.context.keys }).put(request, response);
  const rotated = parseKeyRingSpec(`k2:${generateEncryptionKey()},k1:${oldKey}`);
  t.deepEqual(await new ApplyTokenJournal(t.context.redis, { keyRing: rotated, keys: t.context.keys }).get(request), response);
});

test('an entry is unreadable without its key (no silent plaintext fallback)', async (t) => {
  await new ApplyTokenJournal(t.context.redis, { keyRing: ring, keys: t.context.keys }).put(request, response);
  const stranger = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  // Same key id, different key material: the digest differs, so it is simply not found.
  t.is(await new ApplyTokenJournal(t.context.redis, { keyRing: stranger, keys: t.context.keys }).get(request), undefined);
});
