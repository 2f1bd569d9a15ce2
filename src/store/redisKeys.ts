// Every Redis key the store uses, under one configurable prefix (so deployments and tests can share a Redis).
// Secrets never appear in key names: tokens, requests and notification identities are keyed by a keyed digest.
// Target: one Redis (with replicas/AOF). The atomic scripts touch several keys, which Redis Cluster would reject
// across slots.

/** Default prefix; matches REDIS_KEY_PREFIX's default in config.ts. */
export const DEFAULT_KEY_PREFIX = 'antom-auth:';

export interface RedisKeys {
  readonly prefix: string;
  /** Hash: the token projection of one authorization. */
  tokenProjection(workflowId: string): string;
  /** Sorted set: workflowId scored by access-token expiry (ms). */
  lifecycleIndex(): string;
  /** Prefix of `accessToken digest → workflowId` keys (the Lua script derives old keys from it). */
  accessTokenLookupPrefix(): string;
  accessTokenLookup(tokenDigest: string): string;
  /** authState → workflowId (authState is not secret: it is echoed in the redirect URL). */
  authState(authState: string): string;
  notificationDedupe(identityDigest: string): string;
  applyTokenJournal(requestDigest: string): string;
  rateLimitBucket(endpoint: string): string;
  /** The owner of an applyToken exchange in flight (workflowId + the workflow's requestId, a UUID). */
  exchangeLease(workflowId: string, requestId: string): string;
  /** Set once an exchange's request was sent. */
  exchangeSent(workflowId: string, requestId: string): string;
  /** Hash: workflowId → `<last failed attempt ms>:<events waiting>` while its webhook delivery is failing. */
  webhookBacklog(): string;
}

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  return {
    prefix,
    tokenProjection: (workflowId) => `${prefix}token:${workflowId}`,
    lifecycleIndex: () => `${prefix}lifecycle`,
    accessTokenLookupPrefix: () => `${prefix}token-by-access-token:`,
    accessTokenLookup: (tokenDigest) => `${prefix}token-by-access-token:${tokenDigest}`,
    authState: (authState) => `${prefix}auth-state:${authState}`,
    notificationDedupe: (identityDigest) => `${prefix}notification:${identityDigest}`,
    applyTokenJournal: (requestDigest) => `${prefix}apply-token-journal:${requestDigest}`,
    rateLimitBucket: (endpoint) => `${prefix}rate-limit:${endpoint}`,
    exchangeLease: (workflowId, requestId) => `${prefix}exchange-lease:${workflowId}:${requestId}`,
    exchangeSent: (workflowId, requestId) => `${prefix}exchange-sent:${workflowId}:${requestId}`,
    webhookBacklog: () => `${prefix}webhook-backlog`,
  };
}
