// Retiring an ENCRYPTION_KEYS key, the Redis half (issue 13 §3), on a real Redis: the audit sees which key ids the
// projections, journal and dedupe marks depend on; reencrypt moves the projections (sealed token and lookup digest) to
// the current key, idempotently; after it (and the journal/dedupe entries expired or dropped) a ring without the old
// key still serves every token and finds every token's workflow.
import anyTest, { type TestFn } from 'ava';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { ApplyTokenJournal } from '../../src/store/applyTokenJournal';
import { reencryptRedis, redisKeyReferences } from '../../src/store/encryptionKeyMigration';
import { NotificationDedupe } from '../../src/store/notificationDedupe';
import { TokenProjectionStore, type ProjectedToken } from '../../src/store/tokenProjection';
import { keyRemovalVerdict } from '../../src/cli/keysCommand';
import { allKeys, onEveryRedis, type RedisTestContext } from './redisTestContext';

const test = onEveryRedis(anyTest as TestFn<RedisTestContext>);

const k1 = `k1:${generateEncryptionKey()}`;
const k2 = `k2:${generateEncryptionKey()}`;
const oldRing = parseKeyRingSpec(k1);
const rotated = parseKeyRingSpec(`${k2},${k1}`);
const newOnly = parseKeyRingSpec(k2);

const projection = (n: number): ProjectedToken => ({
  workflowId: `authorization:GCASH:cust-${n}`,
  wallet: 'GCASH',
  customerId: `cust-${n}`,
  accessToken: `access-token-${n}`,
  accessTokenExpiry: new Date(Date.now() + 86_400_000).toISOString(),
  state: 'ACTIVE',
  updatedAt: new Date().toISOString(),
  version: n,
});

const noHistory = { runs: [], runsByKeyId: {} };

test('audit → reencrypt → audit: projections move to the current key; a ring without the old key then reads them all', async (t) => {
  const { redis, keys } = t.context;
  const before = new TokenProjectionStore(redis, { keyRing: oldRing, keys });
  for (let n = 1; n <= 5; n++) await before.put(projection(n));
  await new ApplyTokenJournal(redis, { keyRing: oldRing, keys }).put({ grantType: 'REFRESH_TOKEN', refreshToken: 'r-1' }, { accessToken: 'x' });
  await new NotificationDedupe(redis, { keyRing: oldRing, keys }).deliverOnce({ type: 'TOKEN_CANCELED', accessToken: 'access-token-1' }, async () => 'ok');
  // One written after the rotation, already under k2.
  await new TokenProjectionStore(redis, { keyRing: rotated, keys }).put(projection(6));

  const found = await redisKeyReferences({ redis, keys });
  t.deepEqual(found.tokenProjections, { k1: 5, k2: 1 });
  t.is(found.applyTokenJournal.k1?.count, 1);
  t.is(found.notificationDedupe.k1?.count, 1);
  t.false(keyRemovalVerdict({ history: noHistory, redis: found }, 'k1', rotated).safe);

  const report = await reencryptRedis({ redis, keyRing: rotated, keys });
  t.like(report, { reencryptedProjections: 5, skippedConcurrent: 0, droppedJournalEntries: 0, droppedDedupeMarks: 0 });
  t.is(report.scanned.tokenProjections, 6);
  const again = await reencryptRedis({ redis, keyRing: rotated, keys });
  t.is(again.reencryptedProjections, 0, 'idempotent: a second run has nothing to do');

  const after = await redisKeyReferences({ redis, keys });
  t.deepEqual(after.tokenProjections, { k2: 6 });
  // The journal entry and dedupe mark cannot be re-keyed (their inputs are not stored): they keep k1 until they expire.
  const verdict = keyRemovalVerdict({ history: noHistory, redis: after }, 'k1', rotated);
  t.false(verdict.safe);
  t.true(verdict.heldBy.some((line) => line.includes('journal')));
  t.true(verdict.heldBy.some((line) => line.includes('dedupe')));

  const dropped = await reencryptRedis({ redis, keyRing: rotated, keys, dropUnrekeyable: true });
  t.like(dropped, { droppedJournalEntries: 1, droppedDedupeMarks: 1 });
  t.true(keyRemovalVerdict({ history: noHistory, redis: await redisKeyReferences({ redis, keys }) }, 'k1', rotated).safe);
  t.false(keyRemovalVerdict({ history: noHistory, redis: await redisKeyReferences({ redis, keys }) }, 'k2', rotated).safe, 'never the current key');

  const reader = new TokenProjectionStore(redis, { keyRing: newOnly, keys });
  for (let n = 1; n <= 6; n++) {
    t.is((await reader.get(`authorization:GCASH:cust-${n}`))?.accessToken, `access-token-${n}`);
    t.is(await reader.workflowIdForAccessToken(`access-token-${n}`), `authorization:GCASH:cust-${n}`, 'the lookup digest was re-keyed');
  }
  // The old lookup keys are gone: exactly one lookup per token remains.
  t.is((await allKeys(redis, keys.prefix)).filter((key) => key.includes(':token-by-access-token:')).length, 6);
});

test('reencrypt never overwrites a token written meanwhile (compare-and-set), and keeps the lookup\'s expiry', async (t) => {
  const { redis, keys } = t.context;
  const store = new TokenProjectionStore(redis, { keyRing: oldRing, keys });
  await store.put(projection(1));
  // A refresh lands between the read and the write: simulated by changing the stored sealed value first.
  const original = redis.hmget.bind(redis);
  let raced = false;
  (redis as unknown as { hmget: typeof redis.hmget }).hmget = (async (...args: Parameters<typeof redis.hmget>) => {
    const values = await original(...args);
    if (!raced) {
      raced = true;
      await new TokenProjectionStore(redis, { keyRing: rotated, keys }).put({ ...projection(1), accessToken: 'refreshed-token', version: 2 });
    }
    return values;
  }) as typeof redis.hmget;
  const report = await reencryptRedis({ redis, keyRing: rotated, keys });
  t.like(report, { reencryptedProjections: 0, skippedConcurrent: 1 });
  (redis as unknown as { hmget: typeof redis.hmget }).hmget = original;
  t.is((await new TokenProjectionStore(redis, { keyRing: newOnly, keys }).get(projection(1).workflowId))?.accessToken, 'refreshed-token');
  const workflowId = projection(1).workflowId;
  const lookup = await redis.pttl(keys.accessTokenLookup(keys.projectionBucket(workflowId), (await redis.hget(keys.tokenProjection(workflowId), 'accessTokenDigest'))!));
  t.true(lookup > 0 && lookup <= 86_400_000);
});
