/**
 * What the activities need from the process that hosts them (the worker, or a test harness):
 *
 *   antom          one AntomClient per profile: { antom?: AntomClient (platform antom), alipayplus?: AntomClient
 *                  (platform alipayplus) }. A profile without a client fails its calls as CONFIGURATION_ERROR
 *                  (non-retryable): a worker that cannot reach a platform must not pretend it can.
 *   store          the Redis side: token projection, authState index, applyToken journal, rate limiter —
 *                  build it with createActivityStore({ redis, keyRing, keyPrefix?, requestsPerSecond? }).
 *   logger         pino; activities log codes and ids only, never tokens or authCodes.
 *   clock          epoch ms for consultedAt / obtainedAt / updatedAt (a virtual clock in tests). Default Date.now.
 *   alipayPlusAuthClient  the merchant identity Alipay+ shows on its consent page (prepare requires a legal name).
 *   merchants      the named merchants of MERCHANTS_FILE by id: each one AntomClient (its client-id, keys, platform)
 *                  and, for Alipay+, its auth client identity. An authorization with a merchantId uses only these;
 *                  `antom` / `alipayPlusAuthClient` serve the default merchant.
 *   onProjected    called with the metadata of each projection written (not of a stale one), e.g. to observe the
 *                  refresh lead time. Injected so the activities stay free of any metrics library; a hook that
 *                  throws is logged and ignored, never failing (and so retrying) the write.
 *   webhooks       { sender?: WebhookSender (WEBHOOK_URL + WEBHOOK_SECRETS), onAttempt?: attempts by outcome };
 *                  without a sender deliverWebhook answers not-configured and the workflow emits nothing more.
 */
import type { RedisClient } from '../store/redisClient';
import type { Logger } from 'pino';
import type { AntomClient } from '../antom/client';
import type { KeyRing } from '../codec/keyRing';
import { RoutingDigester } from '../codec/routingDigest';
import { ApplyTokenJournal } from '../store/applyTokenJournal';
import { AuthStateIndex } from '../store/authStateIndex';
import { ExchangeLeases } from '../store/exchangeLease';
import { RateLimiter } from '../store/rateLimiter';
import { redisKeys } from '../store/redisKeys';
import { TokenProjectionStore } from '../store/tokenProjection';
import { WebhookBacklog } from '../store/webhookBacklog';
import type { WebhookDeliveryDependencies } from './webhookActivity';
import type { Profile, TokenSet } from '../workflows/activityContract';

export type AntomClientsByProfile = Partial<Record<Profile, AntomClient>>;

export interface ActivityStore {
  tokenProjection: TokenProjectionStore;
  authStateIndex: AuthStateIndex;
  applyTokenJournal: ApplyTokenJournal<TokenSet>;
  /** One attempt of an applyToken exchange in flight at a time; whether it was ever sent. Optional: older wiring. */
  exchangeLeases?: ExchangeLeases;
  rateLimiter: RateLimiter;
  /** Keys the routing digest applyToken returns with each token (Temporal visibility routing). Optional: older wiring. */
  routingDigester?: RoutingDigester;
  /** Deliveries held back by a failing webhook receiver (the pending gauge). Optional: older wiring. */
  webhookBacklog?: WebhookBacklog;
}

/** One named merchant's credentials on the worker. */
export interface MerchantClient {
  readonly client: AntomClient;
  readonly alipayPlusAuthClient?: AlipayPlusAuthClient;
}

export interface AlipayPlusAuthClient {
  /** The auth client's registered legal name (prepare's authClientName). */
  name: string;
  displayName?: string;
  referenceMerchantId?: string;
}

/** What a written projection says about the token's lifecycle: metadata only, never the token. */
export interface ProjectedTokenEvent {
  readonly workflowId: string;
  readonly wallet: string;
  readonly state: string;
  readonly version: number;
  readonly accessTokenExpiry: string;
  readonly nextRefreshAt?: string;
}

export interface ActivityDependencies {
  antom: AntomClientsByProfile;
  store: ActivityStore;
  logger: Logger;
  clock?: () => number;
  alipayPlusAuthClient?: AlipayPlusAuthClient;
  merchants?: Readonly<Record<string, MerchantClient>>;
  onProjected?: (event: ProjectedTokenEvent) => void;
  webhooks?: WebhookDeliveryDependencies;
}

export interface ActivityStoreOptions {
  redis: RedisClient;
  /** The key ring of the payload codec: Redis values are sealed with it, lookups keyed by its digests. */
  keyRing: KeyRing;
  /** config.redis.keyPrefix; default the store's default prefix. */
  keyPrefix?: string;
  /** config.rateLimitPerSecond: per Antom endpoint, shared by every worker. */
  requestsPerSecond?: number;
  /** Longest a call waits for a rate-limit slot before failing retryably (RATE_LIMITED). */
  rateLimitMaxWaitMs?: number;
  /** Now in ms, for the projection's expiry check (tests with a virtual clock); default Date.now. */
  clock?: () => number;
  /** NOTIFICATION_ROUTING_KEY (config.notifications.routingKey); undefined: derived from the key ring. */
  routingKey?: string;
}

export function createActivityStore(options: ActivityStoreOptions): ActivityStore {
  const keys = redisKeys(options.keyPrefix);
  return {
    tokenProjection: new TokenProjectionStore(options.redis, { keyRing: options.keyRing, keys, ...(options.clock ? { clock: options.clock } : {}) }),
    authStateIndex: new AuthStateIndex(options.redis, { keys }),
    applyTokenJournal: new ApplyTokenJournal<TokenSet>(options.redis, { keyRing: options.keyRing, keys }),
    exchangeLeases: new ExchangeLeases(options.redis, { keys }),
    routingDigester: new RoutingDigester(options.keyRing, options.routingKey),
    webhookBacklog: new WebhookBacklog(options.redis, { keys, ...(options.clock ? { clock: options.clock } : {}) }),
    rateLimiter: new RateLimiter(options.redis, {
      keys,
      ...(options.requestsPerSecond === undefined ? {} : { defaultLimit: { requestsPerSecond: options.requestsPerSecond } }),
      ...(options.rateLimitMaxWaitMs === undefined ? {} : { maxWaitMs: options.rateLimitMaxWaitMs }),
    }),
  };
}
