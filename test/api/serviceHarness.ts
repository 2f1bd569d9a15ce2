/**
 * The whole service for integration tests, wired like `npm start` (createApiService) but on the offline workflow
 * environment: the real workflow bundle, the real activities against the real sandbox, real Redis (own prefix,
 * cleaned up), the encrypting data converter, and the API listening on a real port the sandbox notifies.
 *
 * The offline environment only runs workflow work when something waits on it; `pump` keeps it moving in the
 * background (like a worker polling) so HTTP clients such as a browser see progress on their own.
 */
import type { ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createActivities, createActivityStore } from '../../src/activities';
import { AntomClient } from '../../src/antom/client';
import { createApiService } from '../../src/api/apiService';
import type { ApiSettings } from '../../src/api/app';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../src/codec/keyRing';
import { freePort } from '../../src/embeddedTemporal';
import { createLogger } from '../../src/logger';
import { createServiceMetrics, type ServiceMetrics } from '../../src/metrics';
import { defaultWalletPolicies, startSandbox, type RunningSandbox } from '../../src/sandbox';
import { allKeys, REDIS_URL } from '../store/redisTestContext';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { OfflineWorkflowEnvironment } from '../support/offlineEnvironment';

export const MERCHANT = 'SANDBOX_API_TEST_MERCHANT';
export const SERVICE_API_KEY = 'service-test-api-key-0123456789';

export interface Service {
  env: OfflineWorkflowEnvironment;
  sandbox: RunningSandbox;
  redis: Redis;
  prefix: string;
  keyRing: KeyRing;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> — also the public base URL Antom and the browser use. */
  url: string;
  metrics: ServiceMetrics;
  /** Every log line of the API, the activities and the sandbox (JSON text). */
  logs: string[];
  /** Every authCode, access token and refresh token that passed through the activities (for secrecy scans). */
  secrets: Set<string>;
  /** fetch against the API with the bearer key. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Lets the offline environment process everything that is ready (as a polling worker would). */
  settle(): Promise<void>;
  /** Polls the public state until `predicate` holds (pumping the environment), or fails after `timeoutMs`. */
  waitForState(wallet: string, customerId: string, state: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export async function startService(t: ExecutionContext, options: { pump?: boolean; settings?: Partial<ApiSettings> } = {}): Promise<Service> {
  const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  const prefix = `test:service:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', name: 'service-test' }, new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));

  // The sandbox and the activities follow the environment's virtual clock once it exists.
  const virtual: { env?: OfflineWorkflowEnvironment } = {};
  const now = () => virtual.env?.now() ?? Date.now();
  const port = await freePort(0);
  const url = `http://127.0.0.1:${port}`;
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
    clock: { now },
    requestTimeWindowMs: null,
    notificationPollIntervalMs: 25,
    logger: logger.child({ component: 'sandbox' }),
  });
  const common = { clientId: MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: sandbox.publicKey, baseUrl: sandbox.url };
  const antom = new AntomClient({ ...common, platform: 'antom' });
  const alipayplus = new AntomClient({ ...common, platform: 'alipayplus' });
  const realActivities = createActivities({
    antom: { antom, alipayplus },
    store: createActivityStore({ redis, keyRing, keyPrefix: prefix }),
    logger: logger.child({ component: 'activities' }),
    clock: now,
    alipayPlusAuthClient: { name: 'antom-auth test merchant' },
  });
  // Instrumented only to learn the secrets a scan must not find; behaviour is the real activities'.
  const secrets = new Set<string>();
  const remember = (...values: (string | undefined)[]) => values.forEach((v) => v && secrets.add(v));
  const activities = {
    ...realActivities,
    applyToken: async (input: Parameters<typeof realActivities.applyToken>[0]) => {
      remember(input.authCode, input.refreshToken);
      const tokens = await realActivities.applyToken(input);
      remember(tokens.accessToken, tokens.refreshToken);
      return tokens;
    },
  };
  const env = await OfflineWorkflowEnvironment.create({
    workflowsPath: require.resolve('../../src/workflows'),
    activities,
    dataConverter: createEncryptingDataConverter(keyRing),
  });
  virtual.env = env;
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const settings: ApiSettings = {
    host: '127.0.0.1',
    port,
    keys: [SERVICE_API_KEY],
    publicBaseUrl: url,
    resultPageUrl: `${url}/demo/result`,
    codecCorsOrigin: 'http://localhost:8233',
    demoEnabled: true,
    ...options.settings,
  };
  const app = await createApiService({
    config: { redis: { url: REDIS_URL, keyPrefix: prefix }, temporal: { namespace: 'default', taskQueue: env.taskQueue, dataDir: 'unused' }, api: settings },
    logger: logger.child({ component: 'api' }),
    keyRing,
    redis,
    workflowClient: env.client.workflow,
    temporalReady: async () => undefined,
    notificationKeys: {
      publicKey: sandbox.publicKey,
      clientIds: [MERCHANT],
      alipayPlusResponseSigner: { clientId: MERCHANT, privateKey: merchantKeys.privateKey },
    },
    metrics,
    demoWallets: [...defaultWalletPolicies().keys()],
  });
  await app.listen({ host: '127.0.0.1', port });

  let pumping = options.pump ?? true;
  let settling: Promise<void> | undefined;
  const settle = () => (settling ??= env.runUntilIdle().finally(() => (settling = undefined)));
  const pump = (async () => {
    while (pumping) {
      await settle().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  t.teardown(async () => {
    pumping = false;
    await pump;
    await app.close();
    await env.teardown();
    await antom.close();
    await alipayplus.close();
    await sandbox.close();
    const keys = await allKeys(redis, prefix);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${SERVICE_API_KEY}`, ...(init.headers as Record<string, string> | undefined) } });

  const waitForState = async (wallet: string, customerId: string, state: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, unknown> | undefined;
    while (Date.now() < deadline) {
      await settle().catch(() => undefined);
      const response = await api(`/authorizations/${wallet}/${customerId}`);
      if (response.ok) {
        last = (await response.json()) as Record<string, unknown>;
        if (last.state === state) return last;
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    throw new Error(`${wallet}/${customerId} did not reach ${state} (last: ${String(last?.state)})`);
  };

  return { env, sandbox, redis, prefix, keyRing, app, url, metrics, logs, secrets, api, settle, waitForState };
}
