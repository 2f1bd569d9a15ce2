/**
 * Unit-level API plumbing: the real app (buildApi) over a real Redis (own key prefix, cleaned up) with a recording
 * stand-in for the workflow operations, fixture keys for signing notifications as Antom would, and a log capture.
 * Integration tests (test/api/integration.test.ts) use the real workflows instead of RecordingOperations.
 */
import type { ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApi, type ApiSettings, type NotificationKeys } from '../../src/api/app';
import { createNotificationRouter, type NotificationRouter } from '../../src/api/notificationRouting';
import { RoutingDigester } from '../../src/codec/routingDigest';
import { allScopesKey } from '../../src/apiKeys';
import {
  AuthorizationNotFoundError,
  type AccessTokenRead,
  type AuthorizationOperations,
  type LinkCommand,
} from '../../src/api/authorizationOperations';
import { formatSignatureHeader } from '../../src/antom/signatureHeader';
import { signParts } from '../../src/antom/signing';
import { EncryptionCodec } from '../../src/codec/encryptionCodec';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../src/codec/keyRing';
import { createLogger } from '../../src/logger';
import { createServiceMetrics, type ServiceMetrics } from '../../src/metrics';
import { AuthStateIndex } from '../../src/store/authStateIndex';
import { NotificationDedupe } from '../../src/store/notificationDedupe';
import { UnroutedNotifications } from '../../src/store/unroutedNotifications';
import { DEFAULT_NOTIFICATION_SETTINGS, type NotificationSettings } from '../../src/config';
import { redisKeys, type RedisKeys } from '../../src/store/redisKeys';
import { TokenProjectionStore, type TokenMetadata } from '../../src/store/tokenProjection';
import type {
  AttentionFilter,
  AuthorizationView,
  DeliverAuthCodeRequest,
  DeliverAuthCodeResponse,
  LinkResponse,
} from '../../src/workflows/definitions';
import { allKeys, REDIS_URL } from '../store/redisTestContext';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';

export const API_KEY = 'test-api-key-0123456789abcdef';
export const CLIENT_ID = 'SANDBOX_TEST_MERCHANT';
export const PUBLIC_BASE_URL = 'http://api.test';
export const UI_ORIGIN = 'http://localhost:8233';

export type Call = { method: string; args: unknown[] };

/** The workflow side as a recorder: answers are scripted per test, every call is kept for assertions. */
export class RecordingOperations implements AuthorizationOperations {
  readonly calls: Call[] = [];
  views = new Map<string, AuthorizationView>();
  tokens = new Map<string, AccessTokenRead>();
  /** When set, every call throws it (e.g. Temporal unavailable). */
  failWith: Error | undefined;
  deliverAnswer: (workflowId: string, request: DeliverAuthCodeRequest) => DeliverAuthCodeResponse | Promise<DeliverAuthCodeResponse> = () => ({
    accepted: true,
    duplicate: false,
    state: 'APPLYING_TOKEN',
  });
  linkAnswer: (command: LinkCommand) => LinkResponse = (command) => ({
    workflowId: `authorization:${command.wallet}:${command.customerId}`,
    state: 'AWAITING_AUTH_CODE',
    alreadyLinked: false,
    link: { authState: 'state-1', normalUrl: 'https://wallet.test/consent?x=1', consultedAt: '2026-01-01T00:00:00.000Z' },
    authorizationDeadline: '2026-01-01T00:15:00.000Z',
  });

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failWith) throw this.failWith;
  }

  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async link(command: LinkCommand): Promise<LinkResponse> {
    this.record('link', command);
    return this.linkAnswer(command);
  }
  async getState(wallet: string, customerId: string): Promise<AuthorizationView | undefined> {
    this.record('getState', wallet, customerId);
    return this.views.get(`${wallet}/${customerId}`);
  }
  async cancel(wallet: string, customerId: string, reason?: string): Promise<AuthorizationView> {
    this.record('cancel', wallet, customerId, reason);
    const view = this.views.get(`${wallet}/${customerId}`);
    if (!view) throw new AuthorizationNotFoundError(`authorization:${wallet}:${customerId}`);
    return { ...view, state: 'REVOKED' };
  }
  async requestCancel(wallet: string, customerId: string, reason?: string): Promise<AuthorizationView> {
    this.record('requestCancel', wallet, customerId, reason);
    const view = this.views.get(`${wallet}/${customerId}`);
    if (!view) throw new AuthorizationNotFoundError(`authorization:${wallet}:${customerId}`);
    return { ...view, state: 'REVOKING' };
  }
  async refreshNow(wallet: string, customerId: string, reason?: string): Promise<void> {
    this.record('refreshNow', wallet, customerId, reason);
  }
  async operatorRetryWhere(filter: AttentionFilter, note?: string): Promise<string[]> {
    this.record('operatorRetryWhere', JSON.stringify(filter), note);
    return [];
  }
  async operatorRetry(wallet: string, customerId: string, note?: string): Promise<void> {
    this.record('operatorRetry', wallet, customerId, note);
  }
  async getAccessToken(wallet: string, customerId: string): Promise<AccessTokenRead | undefined> {
    this.record('getAccessToken', wallet, customerId);
    return this.tokens.get(`${wallet}/${customerId}`);
  }
  async expiringBefore(before: Date, limit: number, states?: readonly string[]): Promise<TokenMetadata[]> {
    this.record('expiringBefore', before, limit, ...(states ? [states] : []));
    return [];
  }
  async deliverAuthCode(workflowId: string, request: DeliverAuthCodeRequest): Promise<DeliverAuthCodeResponse> {
    this.record('deliverAuthCode', workflowId, request);
    return this.deliverAnswer(workflowId, request);
  }
  async walletCanceled(workflowId: string, reason?: string): Promise<void> {
    this.record('walletCanceled', workflowId, reason);
  }

  async linkUsed(workflowId: string, authState: string): Promise<void> {
    this.record('linkUsed', workflowId, authState);
  }
}

export interface ApiHarness {
  app: FastifyInstance;
  operations: RecordingOperations;
  redis: Redis;
  keys: RedisKeys;
  keyRing: KeyRing;
  authStates: AuthStateIndex;
  tokens: TokenProjectionStore;
  unrouted: UnroutedNotifications;
  metrics: ServiceMetrics;
  /** Every log line written so far (JSON text). */
  logs: string[];
  settings: ApiSettings;
  codec: EncryptionCodec;
}

/** Redis only (no Temporal visibility here), with routing digests under the ring-derived key for operator records. */
const defaultRouter: NonNullable<HarnessOptions['router']> = ({ authStates, tokens, keyRing, logger }) =>
  createNotificationRouter({ authStates, tokens, digester: new RoutingDigester(keyRing), logger });

export interface HarnessOptions {
  settings?: Partial<ApiSettings>;
  readiness?: Record<string, () => Promise<unknown>>;
  withAlipayPlusSigner?: boolean;
  logLevel?: string;
  /** Replaces the notification keys (Antom's public key, our client-id, the Alipay+ signer). */
  notificationKeys?: NotificationKeys;
  /** Overrides of the NOTIFICATION_* settings (the rest keep their defaults). */
  notificationSettings?: Partial<NotificationSettings>;
  /** The clock notifications are judged by (request-time window, first sightings). */
  clock?: () => number;
  /** Builds the notification router (e.g. with Temporal visibility); default Redis only. */
  router?: (parts: { authStates: AuthStateIndex; tokens: TokenProjectionStore; keyRing: KeyRing; logger: import('pino').Logger }) => NotificationRouter;
  /** Another Redis (e.g. one the test stops); default the shared one. */
  redisUrl?: string;
}

export async function startApiHarness(t: ExecutionContext, options: HarnessOptions = {}): Promise<ApiHarness> {
  const redis = new Redis(options.redisUrl ?? REDIS_URL, { maxRetriesPerRequest: 1 });
  // A test that stops its own Redis sees the failures in the answers; the connection's events are not news.
  if (options.redisUrl) redis.on('error', () => undefined);
  const prefix = `test:api:${randomBytes(6).toString('hex')}:`;
  const keys = redisKeys(prefix);
  const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  const logs: string[] = [];
  const logger = createLogger(
    { level: options.logLevel ?? 'debug', name: 'api-test' },
    new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }),
  );
  const authStates = new AuthStateIndex(redis, { keys });
  const tokens = new TokenProjectionStore(redis, { keyRing, keys });
  const dedupe = new NotificationDedupe(redis, { keyRing, keys });
  const unrouted = new UnroutedNotifications(redis, { keyRing, keys });
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const operations = new RecordingOperations();
  const codec = new EncryptionCodec(keyRing);
  const settings: ApiSettings = {
    host: '127.0.0.1',
    port: 0,
    keys: [allScopesKey(API_KEY)],
    publicBaseUrl: PUBLIC_BASE_URL,
    resultPageUrl: `${PUBLIC_BASE_URL}/demo/result`,
    codecCorsOrigin: UI_ORIGIN,
    demoEnabled: true,
    ...options.settings,
  };
  const app = await buildApi({
    settings,
    logger,
    operations,
    store: {
      authStates,
      tokens,
      dedupe,
      unrouted,
      router: (options.router ?? defaultRouter)({ authStates, tokens, keyRing, logger }),
    },
    ...(options.notificationSettings ? { notificationSettings: { ...DEFAULT_NOTIFICATION_SETTINGS, ...options.notificationSettings } } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    notificationKeys: options.notificationKeys ?? {
      publicKey: antomKeys.publicKey,
      clientIds: [CLIENT_ID],
      ...(options.withAlipayPlusSigner === false ? {} : { alipayPlusResponseSigner: { clientId: CLIENT_ID, privateKey: merchantKeys.privateKey } }),
    },
    codec,
    metrics,
    readiness: options.readiness ?? { redis: () => redis.ping() },
    demoWallets: ['GCASH', 'TNG'],
  });
  t.teardown(async () => {
    await app.close();
    if (redis.status !== 'ready') return void redis.disconnect(); // a test stopped its own Redis
    const stored = await allKeys(redis, prefix);
    if (stored.length > 0) await redis.del(...stored);
    await redis.quit();
  });
  return { app, operations, redis, keys, keyRing, authStates, tokens, unrouted, metrics, logs, settings, codec };
}

export interface SignedNotification {
  headers: Record<string, string>;
  body: string;
}

/** A notification signed as Antom (the sandbox key pair) signs it, for the given path. */
export function signedNotification(
  path: string,
  body: unknown,
  options: { clientId?: string; time?: string; privateKey?: import('node:crypto').KeyObject } = {},
): SignedNotification {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const clientId = options.clientId ?? CLIENT_ID;
  const time = options.time ?? new Date().toISOString();
  const signature = signParts(options.privateKey ?? antomKeys.privateKey, { path, clientId, time, body: text });
  return {
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': clientId,
      'request-time': time,
      signature: formatSignatureHeader({ signature }),
    },
    body: text,
  };
}

export const bearer = { authorization: `Bearer ${API_KEY}` };
