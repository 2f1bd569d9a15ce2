/**
 * Wires the API from its running parts — one Redis connection, a Temporal workflow client (real, or the offline test
 * environment's), the key ring — the same way for `npm start`, `npm run api` and the integration tests:
 *
 *   const app = await createApiService({ config, logger, keyRing, redis, workflowClient, temporalReady,
 *                                        notificationKeys, metrics, demoWallets? });
 *   notificationKeysFor(clientId, platformPublicKey, merchantPrivateKey)  → the same from keys already parsed
 *   notificationKeysOf(clientId, keySet)      → the same from a parsed key set (several keyVersions)
 *   notificationKeysOfMerchants(config.merchants) → every merchant's: the default one's as above, named ones by client-id
 *   merchantPlatforms(config.merchants)       → the merchants the routes accept, with their platform
 */
import type { KeyObject } from 'node:crypto';
import type { RedisClient } from '../store/redisClient';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadAntomKeySets, type AntomKeySet } from '../antom/signatureKeys';
import { AuthorizationClient, type AuthorizationWorkflowClient } from '../client';
import { EncryptionCodec } from '../codec/encryptionCodec';
import type { KeyRing } from '../codec/keyRing';
import { RoutingDigester } from '../codec/routingDigest';
import type { Config, MerchantConnection, NotificationSettings } from '../config';
import { isDefaultMerchant } from '../workflows/authorizationIdentity';
import type { Profile } from '../workflows/definitions';
import type { MerchantNotificationKeys } from './notificationSignature';
import type { ServiceMetrics } from '../metrics';
import { AuthStateIndex } from '../store/authStateIndex';
import { NotificationDedupe } from '../store/notificationDedupe';
import { redisKeys } from '../store/redisKeys';
import { TokenProjectionStore } from '../store/tokenProjection';
import { UnroutedNotifications } from '../store/unroutedNotifications';
import { buildApi, type ApiSettings, type NotificationKeys } from './app';
import { createNotificationRouter } from './notificationRouting';
import { operationsFromClient } from './clientOperations';

export interface ApiServiceParts {
  readonly config: Pick<Config, 'redis' | 'temporal'> & { readonly api: ApiSettings; readonly notifications?: NotificationSettings };
  readonly logger: Logger;
  readonly keyRing: KeyRing;
  readonly redis: RedisClient;
  readonly workflowClient: AuthorizationWorkflowClient;
  /** Resolves when Temporal answers (readiness). */
  readonly temporalReady: () => Promise<unknown>;
  readonly notificationKeys: NotificationKeys;
  readonly metrics: ServiceMetrics;
  readonly demoWallets?: readonly string[];
  /** The merchants served (merchantPlatforms(config.merchants)); absent: only the default merchant. */
  readonly merchants?: ReadonlyMap<string, Profile | undefined>;
  /** Now in ms for notification request-times and first sightings (tests with a virtual clock); default Date.now. */
  readonly clock?: () => number;
}

export async function createApiService(parts: ApiServiceParts): Promise<FastifyInstance> {
  const { config, redis, keyRing } = parts;
  const keys = redisKeys(config.redis.keyPrefix);
  const client = new AuthorizationClient({
    workflowClient: parts.workflowClient,
    redis,
    keyRing,
    keyPrefix: config.redis.keyPrefix,
    taskQueue: config.temporal.taskQueue,
  });
  const authStates = new AuthStateIndex(redis, { keys });
  const tokens = new TokenProjectionStore(redis, { keyRing, keys });
  const visibility = parts.workflowClient.list ? { list: parts.workflowClient.list.bind(parts.workflowClient) } : undefined;
  return buildApi({
    settings: config.api,
    logger: parts.logger,
    operations: operationsFromClient(client),
    store: {
      authStates,
      tokens,
      dedupe: new NotificationDedupe(redis, { keyRing, keys }),
      unrouted: new UnroutedNotifications(redis, { keyRing, keys }),
      router: createNotificationRouter({
        authStates,
        tokens,
        ...(visibility ? { visibility } : {}),
        digester: new RoutingDigester(keyRing, config.notifications?.routingKey),
        logger: parts.logger,
      }),
    },
    ...(config.notifications ? { notificationSettings: config.notifications } : {}),
    ...(parts.clock ? { clock: parts.clock } : {}),
    notificationKeys: parts.notificationKeys,
    codec: new EncryptionCodec(keyRing),
    metrics: parts.metrics,
    readiness: { temporal: parts.temporalReady, redis: () => redis.ping() },
    ...(parts.demoWallets ? { demoWallets: parts.demoWallets } : {}),
    ...(parts.merchants ? { merchants: parts.merchants } : {}),
  });
}

/** The platform's public key verifies notifications for `clientId`; our private key signs Alipay+ acknowledgements. */
export function notificationKeysFor(clientId: string, platformPublicKey: KeyObject, merchantPrivateKey: KeyObject): NotificationKeys {
  return { publicKey: platformPublicKey, clientIds: [clientId], alipayPlusResponseSigner: { clientId, privateKey: merchantPrivateKey } };
}

/** The same from a key set: every public key by keyVersion, the signing key (and its version) for acknowledgements. */
export function notificationKeysOf(clientId: string, keySet: AntomKeySet): NotificationKeys {
  return {
    publicKeys: keySet.antomPublicKeys,
    clientIds: [clientId],
    alipayPlusResponseSigner: { clientId, privateKey: keySet.signing.privateKey, keyVersion: keySet.signing.keyVersion },
  };
}

/**
 * Every merchant's notification keys: the default merchant's (if any) as notificationKeysOf, each named merchant's
 * under its client-id. `keySets` (one per merchant, in order) when already parsed; else the key files are read here
 * (AntomKeySetError listing every merchant's problems).
 */
export function notificationKeysOfMerchants(
  merchants: readonly MerchantConnection[],
  keySets: readonly AntomKeySet[] = loadAntomKeySets(merchants.map((merchant) => merchant.keys)),
): NotificationKeys {
  const defaultIndex = merchants.findIndex((merchant) => isDefaultMerchant(merchant.id));
  const keys: NotificationKeys = defaultIndex < 0 ? { clientIds: [] } : notificationKeysOf(merchants[defaultIndex]!.clientId, keySets[defaultIndex]!);
  const named = new Map<string, MerchantNotificationKeys>();
  merchants.forEach((merchant, index) => {
    if (isDefaultMerchant(merchant.id)) return;
    const keySet = keySets[index]!;
    named.set(merchant.clientId, {
      merchantId: merchant.id,
      publicKeys: keySet.antomPublicKeys,
      alipayPlusResponseSigner: { clientId: merchant.clientId, privateKey: keySet.signing.privateKey, keyVersion: keySet.signing.keyVersion },
    });
  });
  return named.size > 0 ? { ...keys, merchants: named } : keys;
}

/** The merchants the routes accept (id → platform; undefined: the ANTOM_* merchant, whose client decides, takes either profile). */
export function merchantPlatforms(merchants: readonly MerchantConnection[]): ReadonlyMap<string, Profile | undefined> {
  return new Map(merchants.map((merchant) => [merchant.id, merchant.platform]));
}
