import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { DecryptionFailedError } from '../../src/codec/aesGcm';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { TokenProjectionStore, type ProjectedToken } from '../../src/store/tokenProjection';
import { assertNotStored, everythingStored, onEveryRedis, type RedisTestContext } from './redisTestContext';

const test = onEveryRedis(anyTest as TestFn<RedisTestContext>);

const oldKey = generateEncryptionKey();
const ring = parseKeyRingSpec(`k1:${oldKey}`);
const rotatedRing = parseKeyRingSpec(`k2:${generateEncryptionKey()},k1:${oldKey}`);

function projection(overrides: Partial<ProjectedToken> = {}): ProjectedToken {
  return {
    workflowId: 'authorization:GCASH:cust-1',
    wallet: 'GCASH',
    customerId: 'cust-1',
    accessToken: 'AT-plaintext-7c1e5a9b3d',
    accessTokenExpiry: '2027-01-01T00:00:00Z',
    refreshTokenExpiry: '2027-06-01T00:00:00Z',
    userLoginId: '63*****1234',
    nextRefreshAt: '2026-12-22T00:00:00Z',
    state: 'ACTIVE',
    updatedAt: '2025-01-01T00:00:00Z',
    version: 1,
    ...overrides,
  };
}

test('put then get returns the token and metadata; getMetadata never carries the token', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  const written = projection({ refreshTokenExpiry: undefined });
  t.is(await store.put(written), 'written');
  const { refreshTokenExpiry: _omitted, ...expected } = written;
  t.deepEqual(await store.get(written.workflowId), expected);
  const metadata = await store.getMetadata(written.workflowId);
  const { accessToken: _token, ...expectedMetadata } = expected;
  t.deepEqual(metadata, expectedMetadata);
  t.false('accessToken' in (metadata ?? {}));
  t.is(await store.get('authorization:GCASH:nobody'), undefined);
});

test('no plaintext token anywhere in Redis (keys, values, DUMP), for projections and lookups', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  const tokens = ['AT-first-9a8b7c6d5e', 'AT-second-1f2e3d4c5b'];
  await store.put(projection({ accessToken: tokens[0] }));
  await store.put(projection({ workflowId: 'authorization:DANA:c2', wallet: 'DANA', customerId: 'c2', accessToken: tokens[1] }));
  for (const token of tokens) await assertNotStored(t, token);
  t.true((await everythingStored(t.context.redis, t.context.prefix)).includes('63*****1234'), 'the scan sees stored metadata');
});

test('lifecycle index: expiringBefore is ordered by expiry, strict, limited, metadata only', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  const expiries = ['2028-03-01T00:00:00Z', '2027-05-01T00:00:00Z', '2029-01-01T00:00:00Z', '2027-09-01T00:00:00Z', '2027-07-01T00:00:00Z'];
  await Promise.all(expiries.map((expiry, i) => store.put(projection({ workflowId: `wf-${i}`, customerId: `c${i}`, accessToken: `AT-${i}-secret`, accessTokenExpiry: expiry }))));
  const soon = await store.expiringBefore(new Date('2028-03-01T00:00:00Z'));
  t.deepEqual(soon.map((m) => m.accessTokenExpiry), ['2027-05-01T00:00:00Z', '2027-07-01T00:00:00Z', '2027-09-01T00:00:00Z']);
  t.deepEqual(soon.map((m) => m.workflowId), ['wf-1', 'wf-4', 'wf-3']);
  for (const metadata of soon) t.false(JSON.stringify(metadata).includes('secret'));
  t.deepEqual((await store.expiringBefore(Date.parse('2030-01-01T00:00:00Z'), 2)).map((m) => m.workflowId), ['wf-1', 'wf-4']);
  t.deepEqual(await store.expiringBefore(Date.parse('2026-01-01T00:00:00Z')), []);
  // A refresh moves the entry; a removal drops it.
  await store.put(projection({ workflowId: 'wf-1', customerId: 'c1', accessToken: 'AT-1b-secret', accessTokenExpiry: '2029-06-01T00:00:00Z', version: 2 }));
  await store.remove('wf-4');
  t.deepEqual((await store.expiringBefore(Date.parse('2030-01-01T00:00:00Z'))).map((m) => m.workflowId), ['wf-3', 'wf-0', 'wf-2', 'wf-1']);
});

test('an older version never overwrites a newer one; an equal version rewrites', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  t.is(await store.put(projection({ version: 5, accessToken: 'AT-v5' })), 'written');
  t.is(await store.put(projection({ version: 4, accessToken: 'AT-v4', state: 'REFRESHING' })), 'stale');
  t.is((await store.get(projection().workflowId))?.accessToken, 'AT-v5');
  t.is(await store.workflowIdForAccessToken('AT-v4'), undefined, 'a stale write leaves no lookup');
  t.is(await store.put(projection({ version: 5, accessToken: 'AT-v5', state: 'REFRESHING' })), 'written');
  t.is((await store.getMetadata(projection().workflowId))?.state, 'REFRESHING');
});

test('concurrent writes from two connections in any order end at the highest version, with one lookup entry', async (t) => {
  const stores = [t.context.redis, t.context.connect()].map((redis) => new TokenProjectionStore(redis, { keyRing: ring, keys: t.context.keys }));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 12 }), async (versions) => {
      const workflowId = `wf-concurrent-${run++}`;
      await Promise.all(versions.map((version, i) => stores[i % 2]!.put(projection({ workflowId, version, accessToken: `AT-${workflowId}-${version}` }))));
      const top = Math.max(...versions);
      const stored = await stores[0]!.get(workflowId);
      t.is(stored?.version, top);
      t.is(stored?.accessToken, `AT-${workflowId}-${top}`);
      const found = await Promise.all(versions.map((v) => stores[1]!.workflowIdForAccessToken(`AT-${workflowId}-${v}`)));
      t.is(found.filter((id) => id === workflowId).length, 1, 'only the current token maps to the workflow');
      t.is(found[versions.indexOf(top)], workflowId);
    }),
    { numRuns: 25 },
  );
});

test('access token lookup follows refreshes and removal', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  await store.put(projection({ accessToken: 'AT-old', version: 1 }));
  t.is(await store.workflowIdForAccessToken('AT-old'), projection().workflowId);
  await store.put(projection({ accessToken: 'AT-new', version: 2 }));
  t.is(await store.workflowIdForAccessToken('AT-old'), undefined);
  t.is(await store.workflowIdForAccessToken('AT-new'), projection().workflowId);
  t.is(await store.remove(projection().workflowId), 'removed');
  t.is(await store.workflowIdForAccessToken('AT-new'), undefined);
  t.is(await store.get(projection().workflowId), undefined);
  t.is(await store.remove(projection().workflowId), 'absent');
});

test('a versioned removal leaves a tombstone that keeps older and equal writes out', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys, tombstoneTtlMs: 60_000 });
  const { workflowId } = projection();
  await store.put(projection({ version: 10 }));
  t.is(await store.remove(workflowId, { version: 9 }), 'stale', 'a removal older than the projection is ignored');
  t.truthy(await store.get(workflowId));
  t.is(await store.remove(workflowId, { version: 11 }), 'removed');
  t.is(await store.put(projection({ version: 10 })), 'stale', 'a late older write cannot resurrect the token');
  t.is(await store.put(projection({ version: 11 })), 'stale');
  t.is(await store.get(workflowId), undefined);
  t.is(await store.getMetadata(workflowId), undefined);
  t.deepEqual(await store.expiringBefore(Date.parse('2100-01-01T00:00:00Z')), []);
  const ttl = await t.context.redis.pttl(t.context.keys.tokenProjection(workflowId));
  t.true(ttl > 0 && ttl <= 60_000);
  t.is(await store.put(projection({ version: 12, accessToken: 'AT-relinked' })), 'written', 'a newer link is accepted');
  t.is((await store.get(workflowId))?.accessToken, 'AT-relinked');
  const liveTtl = await t.context.redis.pttl(t.context.keys.tokenProjection(workflowId));
  const untilExpiry = Date.parse(projection().accessTokenExpiry) - Date.now();
  t.true(Math.abs(liveTtl - untilExpiry) < 5_000, 'a live projection expires with its token');
});

test('the value and its lookup expire with the token; an already expired token is not projected', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  const soon = new Date(Date.now() + 3_000).toISOString();
  t.is(await store.put(projection({ accessTokenExpiry: soon, accessToken: 'AT-short-lived' })), 'written');
  t.is(await store.workflowIdForAccessToken('AT-short-lived'), projection().workflowId);
  await new Promise((resolve) => setTimeout(resolve, 3_200));
  t.is(await store.get(projection().workflowId), undefined, 'Redis dropped it at expiry');
  t.is(await store.workflowIdForAccessToken('AT-short-lived'), undefined);
  t.is(await store.put(projection({ accessTokenExpiry: new Date(Date.now() - 1).toISOString(), version: 2 })), 'stale');
});

test('a withdrawal takes the token out at once and keeps that authorization out; a later authorization may project', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  const { workflowId } = projection();
  t.is(await store.put(projection({ version: 5, authorizationId: 'chain-1' })), 'written');
  t.is(await store.withdraw(workflowId), 'withdrawn');
  t.is(await store.get(workflowId), undefined);
  t.true(await store.isWithdrawn(workflowId));
  t.is(await store.workflowIdForAccessToken(projection().accessToken), undefined);
  t.deepEqual(await store.expiringBefore(Date.parse('2100-01-01T00:00:00Z')), []);
  // A refresh of the same authorization that was already in flight: a newer version, still kept out.
  t.is(await store.put(projection({ version: 9, accessToken: 'AT-refreshed', authorizationId: 'chain-1' })), 'stale');
  t.is(await store.get(workflowId), undefined);
  // Nothing projected yet: the caller names the authorization.
  t.is(await store.withdraw('authorization:GCASH:other', 'chain-7'), 'withdrawn');
  t.is(await store.put(projection({ workflowId: 'authorization:GCASH:other', version: 1, authorizationId: 'chain-7' })), 'stale');
  t.is(await store.withdraw('authorization:GCASH:nobody'), 'absent');
  // A new authorization under the same workflow id (relink after REVOKED).
  t.is(await store.put(projection({ version: 10, accessToken: 'AT-new-link', authorizationId: 'chain-2' })), 'written');
  t.is((await store.get(workflowId))?.accessToken, 'AT-new-link');
  t.false(await store.isWithdrawn(workflowId));
});

test('key rotation: tokens written under the old key stay readable and findable', async (t) => {
  const before = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  await before.put(projection({ accessToken: 'AT-before-rotation' }));
  const after = new TokenProjectionStore(t.context.redis, { keyRing: rotatedRing, keys: t.context.keys });
  t.is((await after.get(projection().workflowId))?.accessToken, 'AT-before-rotation');
  t.is(await after.workflowIdForAccessToken('AT-before-rotation'), projection().workflowId);
  await after.put(projection({ accessToken: 'AT-before-rotation', version: 2 }));
  const sealed = await t.context.redis.hget(t.context.keys.tokenProjection(projection().workflowId), 'accessToken');
  t.regex(sealed ?? '', /^v1\.k2\./, 'new writes use the current key');
  t.is(await after.workflowIdForAccessToken('AT-before-rotation'), projection().workflowId);
});

test('a sealed token copied into another authorization fails to open', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  await store.put(projection({ workflowId: 'wf-a', accessToken: 'AT-a' }));
  await store.put(projection({ workflowId: 'wf-b', accessToken: 'AT-b' }));
  const sealedA = await t.context.redis.hget(t.context.keys.tokenProjection('wf-a'), 'accessToken');
  await t.context.redis.hset(t.context.keys.tokenProjection('wf-b'), 'accessToken', sealedA!);
  const error = await t.throwsAsync(store.get('wf-b'), { instanceOf: DecryptionFailedError });
  t.false(error.message.includes('AT-a'));
});

test('invalid input is rejected before anything is written', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  await t.throwsAsync(store.put(projection({ accessTokenExpiry: 'soon' })), { message: /accessTokenExpiry is not an ISO 8601 time/ });
  await t.throwsAsync(store.put(projection({ version: 1.5 })), { message: /version/ });
  await t.throwsAsync(store.put(projection({ accessToken: '' })), { message: /accessToken/ });
  t.is(await store.get(projection().workflowId), undefined);
});

test('expiringBefore merges the buckets in expiry order across chunk refills, with and without a state filter', async (t) => {
  const store = new TokenProjectionStore(t.context.redis, { keyRing: ring, keys: t.context.keys });
  // 25 authorizations in one bucket (more than a chunk: the merge must refill it) and 40 spread over the others.
  const crowded: string[] = [];
  const spread: string[] = [];
  for (let i = 0; crowded.length < 25 || spread.length < 40; i++) {
    const id = `authorization:GCASH:merge-${i}`;
    if (t.context.keys.projectionBucket(id) === 0) {
      if (crowded.length < 25) crowded.push(id);
    } else if (spread.length < 40) spread.push(id);
  }
  const base = Date.parse('2027-01-01T00:00:00Z');
  const all = [...crowded, ...spread].map((workflowId, i) => ({
    workflowId,
    // Interleaved expiries (and a few equal ones: the tie goes to the lower workflow id, as in one sorted set).
    expiry: base + ((i * 7919) % 61) * 3_600_000,
    state: i % 3 === 0 ? 'NEEDS_ATTENTION' : 'ACTIVE',
  }));
  await Promise.all(all.map((a) => store.put(projection({ workflowId: a.workflowId, accessToken: `AT-${a.workflowId}`, accessTokenExpiry: new Date(a.expiry).toISOString(), state: a.state }))));
  const order = [...all].sort((a, b) => a.expiry - b.expiry || (a.workflowId < b.workflowId ? -1 : 1));
  t.deepEqual((await store.expiringBefore(base + 100 * 3_600_000, 50)).map((m) => m.workflowId), order.slice(0, 50).map((a) => a.workflowId));
  const cutoff = base + 30 * 3_600_000;
  t.deepEqual((await store.expiringBefore(cutoff, 1000)).map((m) => m.workflowId), order.filter((a) => a.expiry < cutoff).map((a) => a.workflowId));
  const attention = order.filter((a) => a.state === 'NEEDS_ATTENTION');
  t.deepEqual((await store.expiringBefore(base + 100 * 3_600_000, 12, { states: ['NEEDS_ATTENTION'] })).map((m) => m.workflowId), attention.slice(0, 12).map((a) => a.workflowId));
  t.deepEqual(await store.expiringBefore(base + 100 * 3_600_000, 0), []);
});
