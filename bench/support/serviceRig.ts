/**
 * The whole service on the real engine, for `bench:e2e` and `bench:storm`: a Temporal dev server of the benchmark's
 * own on free ports (never a shared one), the product worker from src/worker.ts (createWorker on the production
 * prebundle: start-up checks, the real activities, the shared Redis rate limiter), the API (createApiService) on a
 * free port, the real sandbox (real time, RSA both ways) and a real Redis under a unique key prefix (cleaned up; the
 * shared Redis is never flushed). Beside them, on the same server, a baseline worker on its own task queue runs the
 * minimal workflows of bench/support/e2eBaselineWorkflows.ts with no-op activities and the same data converter.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { AntomClient } from '../../src/antom/client';
import { createApiService } from '../../src/api/apiService';
import { allScopesKey } from '../../src/apiKeys';
import { createEncryptingDataConverter, FAILURE_CONVERTER_PATH } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../src/codec/keyRing';
import { loadConfig } from '../../src/config';
import { freePort } from '../../src/embeddedTemporal';
import { createLogger } from '../../src/logger';
import { createServiceMetrics } from '../../src/metrics';
import { startSandbox, type RunningSandbox, type WalletPolicy } from '../../src/sandbox';
import { buildWorkflowBundle, createWorker, type AuthorizationWorker } from '../../src/worker';
import { antomKeys, merchantKeys } from '../../test/support/fixtureKeys';
import { startDevServer, type DevServer } from '../../test/support/devServer';
import type { MinimalLinkActivities } from './e2eBaselineWorkflows';
import type { MinimalCycleActivities } from './minimalCycleWorkflow';

export const BENCH_MERCHANT = 'SANDBOX_BENCH_E2E';
export const BENCH_API_KEY = 'bench-e2e-api-key-0123456789abcdef';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ServiceRigOptions {
  /** ANTOM_RATE_LIMIT_RPS of the product worker. */
  rateLimitPerSecond: number;
  /** WORKER_MAX_CACHED_WORKFLOWS of both workers. */
  maxCachedWorkflows: number;
  walletPolicies?: Record<string, WalletPolicy>;
}

/** Counters of the baseline's no-op activities (to check the baseline really ran). */
export interface BaselineCounters {
  consults: number;
  refreshes: number;
  projections: number;
}

export class ServiceRig {
  readonly baselineCounters: BaselineCounters = { consults: 0, refreshes: 0, projections: 0 };
  private constructor(
    readonly server: DevServer,
    readonly sandbox: RunningSandbox,
    readonly redis: Redis,
    readonly prefix: string,
    readonly keyRing: KeyRing,
    readonly client: Client,
    readonly app: FastifyInstance,
    readonly apiUrl: string,
    readonly taskQueue: string,
    readonly baselineTaskQueue: string,
    readonly productWorker: Worker,
    readonly baselineWorker: Worker,
    private readonly closers: Array<() => Promise<unknown>>,
    private readonly counters: { value: BaselineCounters },
  ) {
    counters.value = this.baselineCounters;
  }

  static async start(options: ServiceRigOptions): Promise<ServiceRig> {
    // Quiet: worker state changes and the core's notes on terminated runs would drown the tables.
    installQuietRuntime();
    const closers: Array<() => Promise<unknown>> = [];
    const close = async () => {
      for (const closer of closers.reverse()) await closer().catch(() => undefined);
    };
    try {
      const keyRing = parseKeyRingSpec(`bench:${generateEncryptionKey()}`);
      const prefix = `bench:e2e:${randomBytes(6).toString('hex')}:`;
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
      closers.push(async () => {
        await deleteKeys(redis, prefix);
        await redis.quit();
      });
      const logger = createLogger({ level: 'silent', name: 'bench' });
      const sandbox = await startSandbox({
        privateKey: antomKeys.privateKey,
        merchants: [{ clientId: BENCH_MERCHANT, publicKey: merchantKeys.publicKey }],
        ...(options.walletPolicies ? { walletPolicies: options.walletPolicies } : {}),
        logger: logger.child({ component: 'sandbox' }),
      });
      closers.push(() => sandbox.close());
      const common = { clientId: BENCH_MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: sandbox.publicKey, baseUrl: sandbox.url };
      const antom = new AntomClient({ ...common, platform: 'antom', connections: 64 });
      const alipayplus = new AntomClient({ ...common, platform: 'alipayplus' });
      closers.push(() => antom.close(), () => alipayplus.close());

      const server = await startDevServer();
      closers.push(() => server.teardown());
      const bundleDir = mkdtempSync(join(tmpdir(), 'antom-auth-bench-'));
      closers.push(() => rm(bundleDir, { recursive: true, force: true }));
      const [productBundle, baselineBundle] = await Promise.all([
        buildWorkflowBundle(join(bundleDir, 'workflow-bundle.js')),
        bundleWorkflowCode({ workflowsPath: require.resolve('./e2eBaselineWorkflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') }),
      ]);

      const taskQueue = `bench-product-${randomBytes(3).toString('hex')}`;
      const config = loadConfig({
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        WORKFLOW_BUNDLE_PATH: productBundle.path,
        WORKER_MAX_CACHED_WORKFLOWS: String(options.maxCachedWorkflows),
        ANTOM_RATE_LIMIT_RPS: String(options.rateLimitPerSecond),
        LOG_LEVEL: 'silent',
      });
      const product: AuthorizationWorker = await createWorker(config, {
        connection: server.env.nativeConnection,
        antom: { antom, alipayplus },
        keyRing,
        redis,
        logger: logger.child({ component: 'worker' }),
        alipayPlusAuthClient: { name: 'antom-auth bench merchant' },
      });
      const productRunning = product.run();
      closers.push(async () => {
        product.shutdown();
        await productRunning;
      });

      const counters: { value: BaselineCounters } = { value: { consults: 0, refreshes: 0, projections: 0 } };
      const baselineActivities: MinimalLinkActivities & MinimalCycleActivities = {
        minimalConsult: async ({ step }) => {
          counters.value.consults += 1;
          return { url: `${sandbox.url}/baseline/${step}` };
        },
        minimalRefresh: async ({ tokenVersion }) => {
          counters.value.refreshes += 1;
          return { tokenVersion: tokenVersion + 1, expiresAt: Date.now() };
        },
        minimalProject: async () => {
          counters.value.projections += 1;
        },
      };
      const baselineTaskQueue = `bench-baseline-${randomBytes(3).toString('hex')}`;
      const baselineWorker = await Worker.create({
        connection: server.env.nativeConnection,
        namespace: server.namespace,
        taskQueue: baselineTaskQueue,
        workflowBundle: { code: baselineBundle.code },
        activities: baselineActivities,
        maxCachedWorkflows: options.maxCachedWorkflows,
        dataConverter: createEncryptingDataConverter(keyRing),
        shutdownGraceTime: 5_000,
      });
      const baselineRunning = baselineWorker.run();
      closers.push(async () => {
        baselineWorker.shutdown();
        await baselineRunning;
      });

      const client = new Client({ connection: server.env.connection, namespace: server.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
      // A free port can be taken between the probe and the listen on a busy machine: pick another then.
      let app: FastifyInstance | undefined;
      let apiUrl = '';
      for (let attempt = 1; app === undefined; attempt++) {
        const apiPort = await freePort(0);
        apiUrl = `http://127.0.0.1:${apiPort}`;
        const candidate = await createApiService({
          config: { redis: { url: REDIS_URL, keyPrefix: prefix }, temporal: { namespace: server.namespace, taskQueue, dataDir: 'unused' }, api: {
            host: '127.0.0.1', port: apiPort, keys: [allScopesKey(BENCH_API_KEY)], publicBaseUrl: apiUrl, resultPageUrl: `${apiUrl}/demo/result`,
            codecCorsOrigin: 'http://localhost:8233', demoEnabled: false,
          } },
          logger: logger.child({ component: 'api' }),
          keyRing,
          redis,
          workflowClient: client.workflow,
          temporalReady: async () => undefined,
          notificationKeys: { publicKey: sandbox.publicKey, clientIds: [BENCH_MERCHANT], alipayPlusResponseSigner: { clientId: BENCH_MERCHANT, privateKey: merchantKeys.privateKey } },
          metrics: createServiceMetrics({ defaultMetrics: false }),
        });
        try {
          await candidate.listen({ host: '127.0.0.1', port: apiPort });
          app = candidate;
        } catch (error) {
          await candidate.close().catch(() => undefined);
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
        }
      }
      const listening = app;
      closers.push(() => listening.close());
      return new ServiceRig(server, sandbox, redis, prefix, keyRing, client, listening, apiUrl, taskQueue, baselineTaskQueue, product.worker, baselineWorker, closers, counters);
    } catch (error) {
      await close();
      throw error;
    }
  }

  /** fetch against the API with the bearer key (every call the benchmarks make is idempotent: retried on a dropped socket). */
  api(path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${BENCH_API_KEY}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) };
    return fetchRetrying(`${this.apiUrl}${path}`, { ...init, headers });
  }

  async close(): Promise<void> {
    for (const closer of [...this.closers].reverse()) await closer().catch(() => undefined);
  }
}

let runtimeInstalled = false;
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
}

/**
 * fetch, retried (3 more times) when the connection drops before an answer: a keep-alive socket the server closed
 * just as it was reused, or a server starved on a loaded machine. Only for idempotent requests.
 */
export async function fetchRetrying(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= 4 || !(error instanceof TypeError)) throw error;
      await sleepMs(250 * attempt);
    }
  }
}

export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await scanKeys(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
