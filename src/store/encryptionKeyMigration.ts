// Retiring an ENCRYPTION_KEYS key, the Redis half (issue 13 §3): which ring keys Redis still depends on, and moving
// what can be moved to the current key. Everything is found by SCAN (never KEYS), one entry at a time with a
// compare-and-set, so it runs beside a live service, can be interrupted and run again (idempotent, resumable).
//
// What depends on a key, by structure:
//   token projection (hash `token:<workflowId>`)  the sealed access token AND the digest of its lookup key
//       `token-by-access-token:<digest>` — both re-keyed here (the token is in the hash, so its digest can be remade);
//   applyToken journal `apply-token-journal:<digest>`  sealed response under a digest of the exact request (refresh
//       token, authCode): the request is not stored, so the digest cannot be remade. Reported with its expiry (≤ 7 days);
//   notification dedupe `notification:<digest>`  a mark under a digest of the notification's identity: likewise not
//       re-keyable, reported (≤ 48 h; a mark written before marks were tagged names no key: "untagged").
// `dropUnrekeyable` deletes journal entries and dedupe marks under a key other than the current one (or untagged),
// for an operator who will not wait for them to expire: an identical retry of an exchange answered before the
// rotation then calls Antom again, and a resent notification is delivered again (the workflow ignores a duplicate).
import { Cluster } from 'ioredis';
import type { RedisClient } from './redisClient';
import { PROJECTION_BUCKETS } from './redisKeys';
import type { KeyRing } from '../codec/keyRing';
import { keyedDigest } from '../codec/keyedDigest';
import { LuaScript } from './luaScript';
import { DELIVERED_MARK_PREFIX } from './notificationDedupe';
import type { RedisKeys } from './redisKeys';
import { SecretBox } from './secretBox';
import { ACCESS_TOKEN_DIGEST_PURPOSE, TOKEN_DIGEST_KEY_ID_FIELD, tokenContext } from './tokenProjection';

/** Key ids Redis depends on, per structure: how many entries, and (for the ones that only expire) the last expiry. */
export interface RedisKeyReferences {
  /** keyId → projections whose sealed token or lookup digest uses it. */
  readonly tokenProjections: Record<string, number>;
  /** keyId → journal entries (value and digest share the key), with the latest expiry (epoch ms). */
  readonly applyTokenJournal: Record<string, { count: number; lastExpiresAt: number }>;
  /** keyId (or "untagged") → delivered marks, with the latest expiry. Claims (≤ 60 s) are not counted. */
  readonly notificationDedupe: Record<string, { count: number; lastExpiresAt: number }>;
}

export interface ReencryptionReport {
  readonly scanned: { tokenProjections: number; applyTokenJournal: number; notificationDedupe: number };
  /** Projections moved to the current key (sealed token + lookup digest). */
  readonly reencryptedProjections: number;
  /** Changed concurrently (a refresh wrote a new token meanwhile): already under the current key, left alone. */
  readonly skippedConcurrent: number;
  readonly droppedJournalEntries: number;
  readonly droppedDedupeMarks: number;
}

const SCAN_COUNT = 200;

const isoOrNever = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : 'never');

/** SCAN on a single Redis, or on every master of a cluster (a SCAN sees one node's keys only). */
async function* scanKeys(redis: RedisClient, pattern: string): AsyncGenerator<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (batch.length > 0) yield batch;
    } while (cursor !== '0');
  }
}

/** The projection keys' common prefix within a bucket (`<prefix>{projection-NN}:token:`). */
const projectionPrefixOf = (keys: RedisKeys, bucket: number): string => `${keys.lifecycleIndex(bucket).slice(0, -'lifecycle'.length)}token:`;

/** Every token projection key, bucket by bucket, with its bucket and workflow id. */
async function* scanProjections(redis: RedisClient, keys: RedisKeys): AsyncGenerator<{ key: string; bucket: number; workflowId: string }[]> {
  for (let bucket = 0; bucket < PROJECTION_BUCKETS; bucket++) {
    const prefix = projectionPrefixOf(keys, bucket);
    for await (const batch of scanKeys(redis, `${escapeGlob(prefix)}*`)) {
      yield batch.map((key) => ({ key, bucket, workflowId: key.slice(prefix.length) }));
    }
  }
}

/** The key id a SecretBox value names (`v1.<keyId>.<sealed>`), or undefined. */
function sealedKeyId(value: string | null | undefined): string | undefined {
  const parts = value?.split('.');
  return parts && parts.length === 3 && parts[0] === 'v1' ? parts[1] : undefined;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Moves one projection to the current key if it still holds exactly the sealed value read (ARGV[1]): new sealed
 * token, new digest and its key id in the hash, the lookup under the new digest (same expiry), the old lookup gone.
 */
const REKEY_PROJECTION_SCRIPT = new LuaScript(`
if redis.call('HGET', KEYS[1], 'accessToken') ~= ARGV[1] then return 0 end
local oldDigest = redis.call('HGET', KEYS[1], 'accessTokenDigest')
redis.call('HSET', KEYS[1], 'accessToken', ARGV[2], 'accessTokenDigest', ARGV[3], '${TOKEN_DIGEST_KEY_ID_FIELD}', ARGV[4])
if oldDigest and oldDigest ~= ARGV[3] then
  local oldKey = ARGV[5] .. oldDigest
  if redis.call('GET', oldKey) == ARGV[6] then redis.call('DEL', oldKey) end
end
redis.call('SET', ARGV[5] .. ARGV[3], ARGV[6], 'PXAT', ARGV[7])
return 1
`);

export interface RedisKeyMigrationOptions {
  readonly redis: RedisClient;
  readonly keyRing: KeyRing;
  readonly keys: RedisKeys;
}

/** Which ring keys the Redis data under `keys.prefix` depends on (nothing is decrypted but key ids). */
export async function redisKeyReferences({ redis, keys }: Omit<RedisKeyMigrationOptions, 'keyRing'>): Promise<RedisKeyReferences> {
  const tokenProjections: Record<string, number> = {};
  const journal: Record<string, { count: number; lastExpiresAt: number }> = {};
  const dedupe: Record<string, { count: number; lastExpiresAt: number }> = {};
  const now = Date.now();
  const note = (table: Record<string, { count: number; lastExpiresAt: number }>, keyId: string, pttl: number) => {
    const entry = (table[keyId] ??= { count: 0, lastExpiresAt: 0 });
    entry.count += 1;
    entry.lastExpiresAt = Math.max(entry.lastExpiresAt, pttl > 0 ? now + pttl : Number.POSITIVE_INFINITY);
  };

  for await (const batch of scanProjections(redis, keys)) {
    // One command per key: on a cluster a batch's keys may lie in different slots.
    const rows = await Promise.all(batch.map(({ key }) => redis.hmget(key, 'accessToken', TOKEN_DIGEST_KEY_ID_FIELD).catch(() => undefined)));
    for (const values of rows) {
      if (!values) continue;
      const [sealed, digestKeyId] = values as [string | null, string | null];
      const ids = new Set([sealedKeyId(sealed), digestKeyId ?? sealedKeyId(sealed)].filter((id): id is string => id !== undefined));
      for (const id of ids) tokenProjections[id] = (tokenProjections[id] ?? 0) + 1;
    }
  }
  // Value and ttl per key, one key at a time: on a cluster a batch's keys lie in different slots (no pipeline).
  const valuesWithTtl = (batch: string[]) => Promise.all(batch.map(async (key) => [await redis.get(key), await redis.pttl(key)] as const));
  for await (const batch of scanKeys(redis, `${escapeGlob(keys.applyTokenJournal(''))}*`)) {
    for (const [value, pttl] of await valuesWithTtl(batch)) {
      const keyId = sealedKeyId(value);
      if (keyId !== undefined) note(journal, keyId, pttl);
    }
  }
  for await (const batch of scanKeys(redis, `${escapeGlob(keys.notificationDedupe(''))}*`)) {
    for (const [mark, pttl] of await valuesWithTtl(batch)) {
      if (mark === null || mark.startsWith('claimed:')) continue;
      note(dedupe, mark.startsWith(DELIVERED_MARK_PREFIX) ? mark.slice(DELIVERED_MARK_PREFIX.length) : 'untagged', pttl);
    }
  }
  return { tokenProjections, applyTokenJournal: journal, notificationDedupe: dedupe };
}

/**
 * Re-encrypts every token projection under the ring's current key (sealed token and lookup digest); with
 * `dropUnrekeyable`, deletes journal entries and delivered marks under other keys (see the top of this file).
 */
export async function reencryptRedis(options: RedisKeyMigrationOptions & { dropUnrekeyable?: boolean }): Promise<ReencryptionReport> {
  const { redis, keyRing, keys } = options;
  const box = new SecretBox(keyRing);
  const current = keyRing.currentKeyId;
  const scanned = { tokenProjections: 0, applyTokenJournal: 0, notificationDedupe: 0 };
  let reencryptedProjections = 0;
  let skippedConcurrent = 0;
  let droppedJournalEntries = 0;
  let droppedDedupeMarks = 0;
  for await (const batch of scanProjections(redis, keys)) {
    for (const { key, bucket, workflowId } of batch) {
      scanned.tokenProjections += 1;
      const [sealed, digestKeyId, expiry] = await redis.hmget(key, 'accessToken', TOKEN_DIGEST_KEY_ID_FIELD, 'accessTokenExpiry');
      if (!sealed || !expiry) continue; // a tombstone: nothing sealed
      if (sealedKeyId(sealed) === current && digestKeyId === current) continue;
      const accessToken = box.open(sealed, tokenContext(workflowId));
      const digest = keyedDigest(keyRing, ACCESS_TOKEN_DIGEST_PURPOSE, accessToken);
      const moved = await REKEY_PROJECTION_SCRIPT.run(
        redis,
        [key],
        [sealed, box.seal(accessToken, tokenContext(workflowId)), digest, current, keys.accessTokenLookupPrefix(bucket), workflowId, Date.parse(expiry)],
      );
      if (moved === 1) reencryptedProjections += 1;
      else skippedConcurrent += 1;
    }
  }
  for await (const batch of scanKeys(redis, `${escapeGlob(keys.applyTokenJournal(''))}*`)) {
    for (const key of batch) {
      scanned.applyTokenJournal += 1;
      if (!options.dropUnrekeyable) continue;
      const value = await redis.get(key);
      const keyId = sealedKeyId(value);
      if (value !== null && keyId !== current && (await DELETE_IF_SCRIPT.run(redis, [key], [value])) === 1) droppedJournalEntries += 1;
    }
  }
  for await (const batch of scanKeys(redis, `${escapeGlob(keys.notificationDedupe(''))}*`)) {
    for (const key of batch) {
      scanned.notificationDedupe += 1;
      if (!options.dropUnrekeyable) continue;
      const mark = await redis.get(key);
      if (mark === null || mark.startsWith('claimed:') || mark === DELIVERED_MARK_PREFIX + current) continue;
      if ((await DELETE_IF_SCRIPT.run(redis, [key], [mark])) === 1) droppedDedupeMarks += 1;
    }
  }
  return { scanned, reencryptedProjections, skippedConcurrent, droppedJournalEntries, droppedDedupeMarks };
}

const DELETE_IF_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** The key ids `references` depends on, with the structure that holds each (for "is removing X safe?"). */
export function redisKeyIdsIn(references: RedisKeyReferences): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (keyId: string, where: string) => found.set(keyId, [...(found.get(keyId) ?? []), where]);
  for (const [keyId, count] of Object.entries(references.tokenProjections)) add(keyId, `${count} token projection(s)`);
  for (const [keyId, { count, lastExpiresAt }] of Object.entries(references.applyTokenJournal)) {
    add(keyId, `${count} applyToken journal entr${count === 1 ? 'y' : 'ies'} (expire by ${isoOrNever(lastExpiresAt)})`);
  }
  for (const [keyId, { count, lastExpiresAt }] of Object.entries(references.notificationDedupe)) {
    add(keyId, `${count} notification dedupe mark(s) (expire by ${isoOrNever(lastExpiresAt)})`);
  }
  return found;
}
