// Every Redis key the store uses, under one configurable prefix (so deployments and tests can share a Redis).
// Secrets never appear in key names: tokens, requests and notification identities are keyed by a keyed digest.
//
// Redis Cluster: a Lua script may only touch keys of one hash slot, and only the part of a key between the first `{`
// and the next `}` (its hash tag) decides the slot. The token projection's script changes three structures at once —
// the projection, the lifecycle index and the access-token lookup — so they share a tag: the authorization's
// projection bucket, `{projection-NN}`, a stable hash of the workflow id into PROJECTION_BUCKETS. The lifecycle index
// is one sorted set per bucket (read merged), and a lookup by access token asks every bucket. Every other script or
// command touches one key. On a single Redis the tags are just characters in the name. The prefix must not contain
// `{` or `}` (config.ts refuses it): a brace there would become the tag.
import { createHash } from 'node:crypto';

/** Default prefix; matches REDIS_KEY_PREFIX's default in config.ts. */
export const DEFAULT_KEY_PREFIX = 'antom-auth:';

/**
 * 64 buckets: enough slots to spread the projections over the masters of any reasonable cluster (a bucket is one
 * slot, so one master), few enough that reading all of them — the expiring-token listing, a TOKEN_CANCELED lookup —
 * stays 64 small commands. Changing it moves every projection to another key: it is part of the key layout.
 */
export const PROJECTION_BUCKETS = 64;

export interface RedisKeys {
  readonly prefix: string;
  /** The projection bucket (0 … PROJECTION_BUCKETS-1) of an authorization: its hash tag. */
  projectionBucket(workflowId: string): number;
  /** Hash: the token projection of one authorization. */
  tokenProjection(workflowId: string): string;
  /** Sorted set of one bucket: workflowId scored by access-token expiry (ms). */
  lifecycleIndex(bucket: number): string;
  /** Prefix of the bucket's `accessToken digest → workflowId` keys (the Lua script derives old keys from it). */
  accessTokenLookupPrefix(bucket: number): string;
  accessTokenLookup(bucket: number, tokenDigest: string): string;
  /** authState → workflowId (authState is not secret: it is echoed in the redirect URL). */
  authState(authState: string): string;
  notificationDedupe(identityDigest: string): string;
  /** When an unroutable notification was first seen (ms), by keyed digest of its identity. */
  notificationFirstSeen(identityDigest: string): string;
  /** List: recent notifications acknowledged without an authorization (or of an unknown type), for operators. */
  unroutedNotifications(): string;
  applyTokenJournal(requestDigest: string): string;
  rateLimitBucket(endpoint: string): string;
  /** The owner of an applyToken exchange in flight (workflowId + the workflow's requestId, a UUID). */
  exchangeLease(workflowId: string, requestId: string): string;
  /** Set once an exchange's request was sent. */
  exchangeSent(workflowId: string, requestId: string): string;
  /** Hash: workflowId → `<last failed attempt ms>:<events waiting>` while its webhook delivery is failing. */
  webhookBacklog(): string;
}

/** Whether a key prefix keeps the hash tags working: no `{` or `}` in it. */
export function isClusterSafePrefix(prefix: string): boolean {
  return !/[{}]/.test(prefix);
}

export function projectionBucketOf(workflowId: string): number {
  return createHash('sha1').update(workflowId).digest().readUInt32BE(0) % PROJECTION_BUCKETS;
}

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  if (!isClusterSafePrefix(prefix)) throw new TypeError('the Redis key prefix must not contain { or } (they would become the hash tag)');
  const bucketTag = (bucket: number) => `${prefix}{projection-${String(bucket).padStart(2, '0')}}:`;
  return {
    prefix,
    projectionBucket: projectionBucketOf,
    tokenProjection: (workflowId) => `${bucketTag(projectionBucketOf(workflowId))}token:${workflowId}`,
    lifecycleIndex: (bucket) => `${bucketTag(bucket)}lifecycle`,
    accessTokenLookupPrefix: (bucket) => `${bucketTag(bucket)}token-by-access-token:`,
    accessTokenLookup: (bucket, tokenDigest) => `${bucketTag(bucket)}token-by-access-token:${tokenDigest}`,
    authState: (authState) => `${prefix}auth-state:${authState}`,
    notificationDedupe: (identityDigest) => `${prefix}notification:${identityDigest}`,
    notificationFirstSeen: (identityDigest) => `${prefix}notification-first-seen:${identityDigest}`,
    unroutedNotifications: () => `${prefix}notifications-unrouted`,
    applyTokenJournal: (requestDigest) => `${prefix}apply-token-journal:${requestDigest}`,
    rateLimitBucket: (endpoint) => `${prefix}rate-limit:${endpoint}`,
    exchangeLease: (workflowId, requestId) => `${prefix}exchange-lease:${workflowId}:${requestId}`,
    exchangeSent: (workflowId, requestId) => `${prefix}exchange-sent:${workflowId}:${requestId}`,
    webhookBacklog: () => `${prefix}webhook-backlog`,
  };
}
