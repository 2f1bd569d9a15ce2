/**
 * The whole service for integration tests, wired like `npm start` (createApiService): the real workflow bundle, the
 * real activities against the real sandbox, real Redis (own prefix, cleaned up), the encrypting data converter, and
 * the API listening on a real port the sandbox notifies. Two engines:
 *   'offline'     the offline workflow environment (fast tier, virtual clock). It only runs workflow work when
 *                 something waits on it; `pump` keeps it moving in the background (like a worker polling) so HTTP
 *                 clients such as a browser see progress on their own.
 *   'dev server'  the real Temporal dev server (one per test file, shared) with a real Worker from src/worker.ts
 *                 (createWorker: start-up checks, the prebundled workflow code, the real activities) on its own
 *                 task queue, and a real Client. Real time.
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
import { allScopesKey } from '../../src/apiKeys';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../src/codec/keyRing';
import { reservePort } from '../support/reservedPort';
import { createLogger } from '../../src/logger';
import { createServiceMetrics, type ServiceMetrics } from '../../src/metrics';
import { defaultWalletPolicies, startSandbox, type RunningSandbox } from '../../src/sandbox';
import { allKeys, REDIS_URL } from '../store/redisTestContext';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { OfflineWorkflowEnvironment } from '../support/offlineEnvironment';
import { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { buildWorkflowBundle, createWorker } from '../../src/worker';
import { startDevServer, type DevServer } from '../support/devServer';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MERCHANT = 'SANDBOX_API_TEST_MERCHANT';
export const SERVICE_API_KEY = 'service-test-api-key-0123456789';

export type ServiceEngine = 'offline' | 'dev server';
export const SERVICE_ENGINES: readonly ServiceEngine[] = ['offline', 'dev server'];

let sharedDevServer: Promise<DevServer> | undefined;
let sharedBundlePath: Promise<string> | undefined;

/** One dev server per test process (file), torn down when the process's tests end. */
function devServerForThisFile(): Promise<DevServer> {
  sharedDevServer ??= startDevServer();
  return sharedDevServer;
}

/** The production prebundle (WORKFLOW_BUNDLE_PATH), built once per process. */
function workflowBundlePath(): Promise<string> {
  sharedBundlePath ??= buildWorkflowBundle(join(mkdtempSync(join(tmpdir(), 'antom-auth-bundle-')), 'workflow-bundle.js')).then((b) => b.path);
  return sharedBundlePath;
}

/** Call from a test file's `test.after.always` when it used the dev server engine. */
export async function stopSharedDevServer(): Promise<void> {
  const server = await sharedDevServer?.catch(() => undefined);
  sharedDevServer = undefined;
  await server?.teardown();
}

export interface Service {
  engine: ServiceEngine;
  /** The offline environment (engine 'offline' only). */
  env: OfflineWorkflowEnvironment | undefined;
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
  /** Every authCode, access token and refresh token that passed through the activities (for secrecy scans; offline engine). */
  secrets: Set<string>;
  /** ENCRYPTION_KEYS text of the key ring (for child processes such as the CLI). */
  keyRingSpec: string;
  /** host:port of the dev server (engine 'dev server'). */
  temporalAddress: string | undefined;
  /** fetch against the API with the bearer key. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Lets the offline environment process everything that is ready (as a polling worker would). */
  settle(): Promise<void>;
  /** Polls the public state until `predicate` holds (pumping the environment), or fails after `timeoutMs`. */
  waitForState(wallet: string, customerId: string, state: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export async function startService(
  t: ExecutionContext,
  options: { pump?: boolean; settings?: Partial<ApiSettings>; engine?: ServiceEngine } = {},
): Promise<Service> {
  const engine = options.engine ?? 'offline';
  const keyRingSpec = `k1:${generateEncryptionKey()}`;
  const keyRing = parseKeyRingSpec(keyRingSpec);
  const prefix = `test:service:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', name: 'service-test' }, new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));

  // The sandbox and the activities follow the environment's virtual clock once it exists.
  const virtual: { env?: OfflineWorkflowEnvironment } = {};
  const now = () => virtual.env?.now() ?? Date.now();
  // Held until the API listens: the sandbox and a dev server, started meanwhile on port 0, cannot be given it.
  const reserved = await reservePort();
  t.teardown(() => reserved.release());
  const port = reserved.port;
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
    store: createActivityStore({ redis, keyRing, keyPrefix: prefix, clock: now }),
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
  const taskQueue = `service-test-${randomBytes(4).toString('hex')}`;
  let env: OfflineWorkflowEnvironment | undefined;
  let workflowClient: import('@temporalio/client').WorkflowClient | OfflineWorkflowEnvironment['client']['workflow'];
  let stopEngine: () => Promise<void>;
  let temporalAddress: string | undefined;
  if (engine === 'offline') {
    env = await OfflineWorkflowEnvironment.create({
      workflowsPath: require.resolve('../../src/workflows'),
      activities,
      taskQueue,
      dataConverter: createEncryptingDataConverter(keyRing),
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    });
    virtual.env = env;
    workflowClient = env.client.workflow;
    const offline = env;
    stopEngine = () => offline.teardown();
  } else {
    const server = await devServerForThisFile();
    temporalAddress = server.address;
    const config = loadConfig({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      WORKFLOW_BUNDLE_PATH: await workflowBundlePath(),
      LOG_LEVEL: 'debug',
    });
    const worker = await createWorker(config, {
      connection: server.env.nativeConnection,
      antom: { antom, alipayplus },
      keyRing,
      redis,
      logger: logger.child({ component: 'worker' }),
      alipayPlusAuthClient: { name: 'antom-auth test merchant' },
    });
    const running = worker.run();
    const client = new Client({ connection: server.env.connection, namespace: server.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
    workflowClient = client.workflow;
    stopEngine = async () => {
      worker.shutdown();
      await running;
    };
  }
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const settings: ApiSettings = {
    host: '127.0.0.1',
    port,
    keys: [allScopesKey(SERVICE_API_KEY)],
    publicBaseUrl: url,
    resultPageUrl: `${url}/demo/result`,
    codecCorsOrigin: 'http://localhost:8233',
    demoEnabled: true,
    ...options.settings,
  };
  const app = await createApiService({
    config: { redis: { url: REDIS_URL, keyPrefix: prefix }, temporal: { namespace: 'default', taskQueue, dataDir: 'unused' }, api: settings },
    logger: logger.child({ component: 'api' }),
    keyRing,
    redis,
    workflowClient,
    temporalReady: async () => undefined,
    notificationKeys: {
      publicKey: sandbox.publicKey,
      clientIds: [MERCHANT],
      alipayPlusResponseSigner: { clientId: MERCHANT, privateKey: merchantKeys.privateKey },
    },
    metrics,
    demoWallets: [...defaultWalletPolicies().keys()],
    // The sandbox signs notifications with its (virtual) clock: the request-time window judges by the same one.
    clock: now,
  });
  await reserved.release();
  await app.listen({ host: '127.0.0.1', port });

  let pumping = (options.pump ?? true) && env !== undefined;
  let settling: Promise<void> | undefined;
  // A real worker polls by itself: settling there is giving it a moment (only used before asserting an absence).
  const offlineEnv = env;
  const settle = () =>
    (settling ??= (offlineEnv ? offlineEnv.runUntilIdle() : new Promise<void>((resolve) => setTimeout(resolve, 500))).finally(() => (settling = undefined)));
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
    await stopEngine();
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

  return { engine, keyRingSpec, temporalAddress, env, sandbox, redis, prefix, keyRing, app, url, metrics, logs, secrets, api, settle, waitForState };
}
