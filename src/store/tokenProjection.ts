// The payment path's read model: per authorization, the access token (encrypted at rest) and its metadata, plus
// the lifecycle index (workflowIds sorted by access-token expiry) and the access-token digest → workflowId lookup
// used to route TOKEN_CANCELED notifications. Temporal is the source of truth; this can always be rebuilt.
//
// All three structures change together in one Lua script (atomic), and every write carries a monotonic `version`:
// a write older than what is stored is ignored, so a late or retried activity can never roll a token back.
// Keys touched: the projection hash, the lifecycle sorted set of its bucket and the lookup keys. All carry the
// authorization's bucket as hash tag (redisKeys.ts), so each script keeps to one slot and runs on Redis Cluster too;
// the old lookup key the script derives from the stored digest is in the same bucket, hence the same slot.
import type { RedisClient } from './redisClient';
import type { KeyRing } from '../codec/keyRing';
import { keyedDigest, keyedDigestsForLookup } from '../codec/keyedDigest';
import { LuaScript } from './luaScript';
import { PROJECTION_BUCKETS, redisKeys, type RedisKeys } from './redisKeys';
import { SecretBox } from './secretBox';

/**
 * 24 h: a versioned removal leaves a tombstone this long, so a delayed older write (an activity attempt that
 * outlived its timeout) cannot resurrect a revoked token; activity attempts are bounded far below a day.
 */
export const DEFAULT_TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000;

/** Default page size of expiringBefore: one lifecycle sweep batch. */
export const DEFAULT_EXPIRING_LIMIT = 100;

export const ACCESS_TOKEN_DIGEST_PURPOSE = 'access-token';
/** The ring key id the lookup digest was made with (the sealed token names its own), for `antom-auth keys audit`. */
export const TOKEN_DIGEST_KEY_ID_FIELD = 'accessTokenDigestKeyId';

/** The authenticated context of a projection's sealed token. */
export const tokenContext = (workflowId: string): string => `token:${workflowId}`;

/** Everything about a projected authorization except the token. Times are ISO 8601 strings. */
export interface TokenMetadata {
  workflowId: string;
  wallet: string;
  customerId: string;
  accessTokenExpiry: string;
  /** Absent when the wallet issues no refresh token (long-lived access token). */
  refreshTokenExpiry?: string;
  /** Masked by the wallet; safe to display. */
  userLoginId?: string;
  nextRefreshAt?: string;
  /** The workflow's state name (e.g. ACTIVE, REFRESHING). */
  state: string;
  updatedAt: string;
  /**
   * Monotonic per authorization across runs (e.g. workflow time in ms of the token's issue or of the projection):
   * a write with a lower version than the stored one is ignored; an equal version rewrites (idempotent retry).
   */
  version: number;
  /**
   * Which authorization under this workflow id the token belongs to (the workflow chain's first run id): a withdrawal
   * blocks further writes of that authorization only.
   */
  authorizationId?: string;
}

export interface ProjectedToken extends TokenMetadata {
  accessToken: string;
}

export type ProjectionWriteResult = 'written' | 'stale';
export type ProjectionRemoveResult = 'removed' | 'absent' | 'stale';

export interface TokenProjectionOptions {
  keyRing: KeyRing;
  keys?: RedisKeys;
  tombstoneTtlMs?: number;
  /** Now in ms (tests with a virtual clock); default Date.now. Decides whether a token is already expired. */
  clock?: () => number;
}

const PUT_SCRIPT = new LuaScript(`
local stored = redis.call('HGET', KEYS[1], 'version')
if stored then
  local storedVersion, version = tonumber(stored), tonumber(ARGV[1])
  if storedVersion > version then return 0 end
  if storedVersion == version and redis.call('HEXISTS', KEYS[1], 'removed') == 1 then return 0 end
end
local withdrawn = redis.call('HGET', KEYS[1], 'withdrawn')
if withdrawn and withdrawn == ARGV[6] then return 0 end
local oldDigest = redis.call('HGET', KEYS[1], 'accessTokenDigest')
if oldDigest and oldDigest ~= ARGV[5] then
  local oldKey = ARGV[4] .. oldDigest
  if redis.call('GET', oldKey) == ARGV[2] then redis.call('DEL', oldKey) end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('SET', KEYS[3], ARGV[2], 'PXAT', ARGV[3])
return 1
`);

/**
 * Withdraws the authorization's token from the payment path at once (merchant cancel accepted, TOKEN_CANCELED
 * received), before the workflow acts: projection, lifecycle entry and lookup go, and a tombstone names the withdrawn
 * authorization (ARGV[3], else the stored one) so no later write of that authorization — a refresh or reproject
 * already in flight — can put a token back. A later authorization under the same workflow id is a new id.
 */
const WITHDRAW_SCRIPT = new LuaScript(`
local stored = redis.call('HMGET', KEYS[1], 'version', 'authorizationId', 'accessTokenDigest', 'withdrawn')
local authorizationId = ARGV[3]
if authorizationId == '' then authorizationId = stored[2] or stored[4] or '' end
if stored[3] then
  local lookupKey = ARGV[2] .. stored[3]
  if redis.call('GET', lookupKey) == ARGV[1] then redis.call('DEL', lookupKey) end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'version', stored[1] or '0', 'removed', '1', 'withdrawn', authorizationId)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if authorizationId == '' then return 0 end
return 1
`);

const REMOVE_SCRIPT = new LuaScript(`
local stored = redis.call('HGET', KEYS[1], 'version')
if ARGV[3] ~= '' and stored and tonumber(stored) > tonumber(ARGV[3]) then return -1 end
local digest = redis.call('HGET', KEYS[1], 'accessTokenDigest')
if digest then
  local lookupKey = ARGV[2] .. digest
  if redis.call('GET', lookupKey) == ARGV[1] then redis.call('DEL', lookupKey) end
end
local existed = redis.call('HEXISTS', KEYS[1], 'accessToken')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'version', ARGV[3], 'removed', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return existed
`);

const METADATA_FIELDS = [
  'workflowId', 'wallet', 'customerId', 'accessTokenExpiry', 'refreshTokenExpiry', 'userLoginId', 'nextRefreshAt',
  'state', 'updatedAt', 'version', 'authorizationId',
] as const;

function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`${field} is not an ISO 8601 time`);
  return ms;
}

function metadataFromFields(values: readonly (string | null | undefined)[]): TokenMetadata | undefined {
  const [workflowId, wallet, customerId, accessTokenExpiry, refreshTokenExpiry, userLoginId, nextRefreshAt, state, updatedAt, version, authorizationId] = values;
  if (!workflowId || !wallet || !customerId || !accessTokenExpiry || !state || !updatedAt || !version) return undefined;
  return {
    workflowId, wallet, customerId, accessTokenExpiry,
    ...(refreshTokenExpiry ? { refreshTokenExpiry } : {}),
    ...(userLoginId ? { userLoginId } : {}),
    ...(nextRefreshAt ? { nextRefreshAt } : {}),
    state, updatedAt, version: Number(version),
    ...(authorizationId ? { authorizationId } : {}),
  };
}

export class TokenProjectionStore {
  private readonly keys: RedisKeys;
  private readonly box: SecretBox;
  private readonly tombstoneTtlMs: number;

  constructor(private readonly redis: RedisClient, private readonly options: TokenProjectionOptions) {
    this.keys = options.keys ?? redisKeys();
    this.box = new SecretBox(options.keyRing);
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS;
  }

  /** Atomically writes projection + lifecycle entry + token lookup, unless a newer version is stored. */
  async put(projection: ProjectedToken): Promise<ProjectionWriteResult> {
    const { workflowId, accessToken, version } = projection;
    if (!workflowId) throw new TypeError('workflowId must not be empty');
    if (!accessToken) throw new TypeError('accessToken must not be empty');
    if (!Number.isSafeInteger(version) || version < 0) throw new TypeError('version must be a non-negative safe integer');
    const expiryMs = epochMs(projection.accessTokenExpiry, 'accessTokenExpiry');
    for (const field of ['refreshTokenExpiry', 'nextRefreshAt', 'updatedAt'] as const) {
      const value = projection[field];
      if (value !== undefined) epochMs(value, field);
    }
    const digest = keyedDigest(this.options.keyRing, ACCESS_TOKEN_DIGEST_PURPOSE, accessToken);
    const fields: string[] = [];
    for (const field of METADATA_FIELDS) {
      const value = projection[field];
      if (value !== undefined && value !== '') fields.push(field, String(value));
    }
    fields.push('accessToken', this.box.seal(accessToken, tokenContext(workflowId)), 'accessTokenDigest', digest, TOKEN_DIGEST_KEY_ID_FIELD, this.options.keyRing.currentKeyId);
    if (expiryMs <= (this.options.clock ?? Date.now)()) return 'stale'; // an expired token is never projected (it would expire at once anyway)
    // The value expires with the token (PEXPIREAT): a second guard behind the read path's own expiry check.
    const bucket = this.keys.projectionBucket(workflowId);
    const written = await PUT_SCRIPT.run(
      this.redis,
      [this.keys.tokenProjection(workflowId), this.keys.lifecycleIndex(bucket), this.keys.accessTokenLookup(bucket, digest)],
      [version, workflowId, expiryMs, this.keys.accessTokenLookupPrefix(bucket), digest, projection.authorizationId ?? '', ...fields],
    );
    return written === 1 ? 'written' : 'stale';
  }

  /** The projection with the decrypted access token, or undefined (then rebuild it from the workflow). */
  async get(workflowId: string): Promise<ProjectedToken | undefined> {
    const hash = await this.redis.hgetall(this.keys.tokenProjection(workflowId));
    const metadata = metadataFromFields(METADATA_FIELDS.map((field) => hash[field]));
    if (!metadata || hash.removed || !hash.accessToken) return undefined;
    return { ...metadata, accessToken: this.box.open(hash.accessToken, tokenContext(workflowId)) };
  }

  /** Metadata only; the token is neither read nor decrypted. */
  async getMetadata(workflowId: string): Promise<TokenMetadata | undefined> {
    const values = await this.redis.hmget(this.keys.tokenProjection(workflowId), ...METADATA_FIELDS, 'removed');
    if (values[METADATA_FIELDS.length]) return undefined;
    return metadataFromFields(values);
  }

  /**
   * Removes projection, lifecycle entry and token lookup. With a version: only if the stored version is not newer,
   * and a tombstone keeps older writes out for tombstoneTtlMs. Without: unconditional (operator clean-up).
   */
  async remove(workflowId: string, options: { version?: number } = {}): Promise<ProjectionRemoveResult> {
    const bucket = this.keys.projectionBucket(workflowId);
    const result = await REMOVE_SCRIPT.run(
      this.redis,
      [this.keys.tokenProjection(workflowId), this.keys.lifecycleIndex(bucket)],
      [workflowId, this.keys.accessTokenLookupPrefix(bucket), options.version ?? '', this.tombstoneTtlMs],
    );
    return result === 1 ? 'removed' : result === -1 ? 'stale' : 'absent';
  }

  /**
   * Takes the authorization's token out of the payment path now (see WITHDRAW_SCRIPT). `authorizationId` names the
   * authorization when nothing is projected (else the stored one is used). 'withdrawn' when an authorization was
   * named or found; 'absent' when neither (nothing was ever projected and no id was given).
   */
  async withdraw(workflowId: string, authorizationId?: string): Promise<'withdrawn' | 'absent'> {
    const bucket = this.keys.projectionBucket(workflowId);
    const result = await WITHDRAW_SCRIPT.run(
      this.redis,
      [this.keys.tokenProjection(workflowId), this.keys.lifecycleIndex(bucket)],
      [workflowId, this.keys.accessTokenLookupPrefix(bucket), authorizationId ?? '', this.tombstoneTtlMs],
    );
    return result === 1 ? 'withdrawn' : 'absent';
  }

  /** Whether the workflow's token was withdrawn (a merchant cancel accepted, a TOKEN_CANCELED received). */
  async isWithdrawn(workflowId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.tokenProjection(workflowId), 'withdrawn')) === 1;
  }

  /**
   * Authorizations whose access token expires strictly before `before`, earliest first. Metadata only. With `states`,
   * only those whose projected state is one of them. The lifecycle index is one sorted set per bucket: they are read
   * in chunks and merged (by expiry, then workflow id — a sorted set's own order), until `limit` match.
   */
  async expiringBefore(before: Date | number, limit: number = DEFAULT_EXPIRING_LIMIT, options: { states?: readonly string[] } = {}): Promise<TokenMetadata[]> {
    const beforeMs = typeof before === 'number' ? before : before.getTime();
    if (!Number.isFinite(beforeMs)) throw new TypeError('before must be a valid time');
    const wanted = options.states && options.states.length > 0 ? new Set(options.states) : undefined;
    const page = wanted ? Math.max(limit, DEFAULT_EXPIRING_LIMIT) : limit;
    // Per bucket, a fraction of a page: most buckets contribute a few entries to any page.
    const chunk = Math.min(page, Math.max(10, Math.ceil(page / 8)));
    const buckets = Array.from({ length: PROJECTION_BUCKETS }, (_, bucket) => ({
      key: this.keys.lifecycleIndex(bucket), offset: 0, entries: [] as { workflowId: string; expiryMs: number }[], exhausted: false,
    }));
    const found: TokenMetadata[] = [];
    while (found.length < limit) {
      await Promise.all(buckets.filter((b) => b.entries.length === 0 && !b.exhausted).map(async (b) => {
        const reply = await this.redis.zrangebyscore(b.key, '-inf', `(${beforeMs}`, 'WITHSCORES', 'LIMIT', b.offset, chunk);
        for (let i = 0; i + 1 < reply.length; i += 2) b.entries.push({ workflowId: reply[i]!, expiryMs: Number(reply[i + 1]) });
        b.offset += reply.length / 2;
        if (reply.length / 2 < chunk) b.exhausted = true;
      }));
      // Merge while every bucket that may hold more has an entry buffered (else its next one could come first).
      const workflowIds: string[] = [];
      while (workflowIds.length < page) {
        let next: (typeof buckets)[number] | undefined;
        if (buckets.some((b) => b.entries.length === 0 && !b.exhausted)) break;
        for (const b of buckets) {
          const head = b.entries[0];
          if (!head) continue;
          const best = next?.entries[0];
          if (!best || head.expiryMs < best.expiryMs || (head.expiryMs === best.expiryMs && head.workflowId < best.workflowId)) next = b;
        }
        if (!next) break;
        workflowIds.push(next.entries.shift()!.workflowId);
      }
      if (workflowIds.length === 0) break;
      // One HMGET per projection (in its own slot): pipelined by the client, routed per node on a cluster.
      const metadata = await Promise.all(workflowIds.map((id) =>
        this.redis.hmget(this.keys.tokenProjection(id), ...METADATA_FIELDS).then((values) => metadataFromFields(values), () => undefined)));
      for (const entry of metadata) {
        if (entry && (!wanted || wanted.has(entry.state))) found.push(entry);
        if (found.length >= limit) break;
      }
    }
    return found;
  }

  /**
   * The workflow holding this access token (for TOKEN_CANCELED), found by keyed digest under any ring key. The lookup
   * lives in its authorization's bucket, which the token does not reveal: every bucket is asked (a rare event).
   */
  async workflowIdForAccessToken(accessToken: string): Promise<string | undefined> {
    if (!accessToken) return undefined;
    const digests = keyedDigestsForLookup(this.options.keyRing, ACCESS_TOKEN_DIGEST_PURPOSE, accessToken);
    const found = await Promise.all(Array.from({ length: PROJECTION_BUCKETS }, (_, bucket) =>
      this.redis.mget(...digests.map((digest) => this.keys.accessTokenLookup(bucket, digest)))));
    return found.flat().find((id): id is string => typeof id === 'string') ?? undefined;
  }
}
