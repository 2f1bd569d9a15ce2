/**
 * The whole service for end-to-end tests, wired like `npm start` (src/main.ts) but with every part under the test's
 * control so it can be stopped and started again: its own Temporal dev server (free ports, optionally the Web UI with
 * the codec endpoint, optionally a SQLite file), a real Worker from createWorker on the production prebundle, the
 * sandbox (its wallet policies set over its HTTP admin API), Redis (the shared one under a unique prefix, or a test's
 * own redis-server), and the API over HTTP on a fixed port.
 *
 * The worker and the client hold their own connections to Temporal (not the dev server's), so they live through a
 * restart of the server on the same port.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { AntomClient } from '../../../src/antom/client';
import { createApiService, merchantPlatforms, notificationKeysFor, notificationKeysOfMerchants } from '../../../src/api/apiService';
import { allScopesKey } from '../../../src/apiKeys';
import { AuthorizationClient } from '../../../src/client';
import { createEncryptingDataConverter } from '../../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../../src/codec/keyRing';
import { loadConfig, type Config } from '../../../src/config';
import { freePort } from '../../../src/embeddedTemporal';
import { createLogger } from '../../../src/logger';
import { createServiceMetrics } from '../../../src/metrics';
import { defaultWalletPolicies, startSandbox, type RunningSandbox, type WalletPolicy } from '../../../src/sandbox';
import { buildWorkflowBundle, createWorker, type AuthorizationWorker } from '../../../src/worker';
import type { AuthorizationView } from '../../../src/workflows/definitions';
import { startDevServer, type DevServer } from '../../support/devServer';
import { reservePort, type ReservedPort } from '../../support/reservedPort';
import { antomKeys, fixtureKeyPaths, merchantKeys } from '../../support/fixtureKeys';
import { adminPost } from './sandboxAdmin';

export const E2E_MERCHANT = 'SANDBOX_E2E_MERCHANT';
export const E2E_API_KEY = `e2e-${randomBytes(12).toString('hex')}`;
const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let bundlePath: Promise<string> | undefined;
/** The production prebundle (WORKFLOW_BUNDLE_PATH), built once per test file. */
export function workflowBundlePath(): Promise<string> {
  bundlePath ??= buildWorkflowBundle(join(mkdtempSync(join(tmpdir(), 'antom-auth-e2e-bundle-')), 'workflow-bundle.js')).then((b) => b.path);
  return bundlePath;
}

export interface StackOptions {
  /** Serve the dev server's Web UI with `--ui-codec-endpoint <api>/codec` (as npm start does). */
  ui?: boolean;
  /** Persist Temporal to this SQLite file (restart tests). */
  dbFilename?: string;
  /** Redis to use; default the shared one (under a unique prefix). */
  redisUrl?: string;
  /** Wallet policies set through the sandbox's HTTP admin API before anything links. */
  walletPolicies?: Readonly<Record<string, WalletPolicy>>;
  /** The sandbox's notification resend schedule (sandbox ms before each attempt). */
  notificationScheduleMs?: readonly number[];
  /**
   * Several merchants instead of the one default merchant: registered in the sandbox, written to a MERCHANTS_FILE
   * (base URL the sandbox's, Antom's public key the sandbox's), which the worker and the API load as in production.
   */
  merchants?: readonly StackMerchant[];
}

export interface StackMerchant {
  id: string;
  platform: 'antom' | 'alipayplus';
  clientId: string;
  /** The merchant's private key file (it signs with it; the sandbox verifies with `publicKey`). */
  privateKeyPath: string;
  publicKey: KeyObject;
  authClientName?: string;
}

export class E2eStack {
  readonly logs: string[] = [];
  readonly prefix = `test:e2e:${randomBytes(6).toString('hex')}:`;
  readonly keyRing: KeyRing = parseKeyRingSpec(`e2e1:${generateEncryptionKey()}`);
  readonly taskQueue = `e2e-${randomBytes(4).toString('hex')}`;
  readonly logger = createLogger({ level: 'info', name: 'e2e' }, new Writable({ write: (chunk, _enc, done) => { this.logs.push(String(chunk)); done(); } }));
  devServer!: DevServer;
  temporalPort!: number;
  nativeConnection!: NativeConnection;
  connection!: Connection;
  client!: Client;
  sandbox!: RunningSandbox;
  redis!: Redis;
  worker: AuthorizationWorker | undefined;
  private workerRun: Promise<void> | undefined;
  app: FastifyInstance | undefined;
  apiPort!: number;
  antomClients: AntomClient[] = [];
  private merchantsFilePath: string | undefined;
  private reservedApiPort: ReservedPort | undefined;
  library!: AuthorizationClient;

  private constructor(readonly options: StackOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** The UI and the API must be the same site for the codec cookie (SameSite=Lax): both on localhost. */
  get publicBaseUrl(): string {
    return this.options.ui ? `http://localhost:${this.apiPort}` : this.url;
  }

  static async start(options: StackOptions = {}): Promise<E2eStack> {
    const stack = new E2eStack(options);
    try {
      await stack.startAll();
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  private async startAll(): Promise<void> {
    // Held until the API listens: the dev server and the sandbox, started meanwhile on port 0, cannot be given it.
    this.reservedApiPort = await reservePort();
    this.apiPort = this.reservedApiPort.port;
    this.temporalPort = await freePort(0);
    const bundle = workflowBundlePath();
    await this.startTemporal();
    this.nativeConnection = await NativeConnection.connect({ address: this.devServer.address });
    this.connection = await Connection.connect({ address: this.devServer.address });
    this.client = new Client({ connection: this.connection, namespace: this.devServer.namespace, dataConverter: createEncryptingDataConverter(this.keyRing) });

    this.sandbox = await startSandbox({
      privateKey: antomKeys.privateKey,
      merchants: this.options.merchants
        // Alipay+ prepare carries no notify URL: the platform notifies the one the merchant registered.
        ? this.options.merchants.map((m) => ({ clientId: m.clientId, publicKey: m.publicKey, notifyUrl: `${this.publicBaseUrl}/notifications/${m.platform}` }))
        : [{ clientId: E2E_MERCHANT, publicKey: merchantKeys.publicKey }],
      notificationPollIntervalMs: 50,
      ...(this.options.notificationScheduleMs ? { notificationScheduleMs: this.options.notificationScheduleMs } : {}),
      logger: this.logger.child({ component: 'sandbox' }),
    });
    for (const [wallet, policy] of Object.entries(this.options.walletPolicies ?? {})) {
      await adminPost(this.sandbox, '/wallet-policies', { wallet, policy });
    }
    const common = { clientId: E2E_MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: this.sandbox.publicKey, baseUrl: this.sandbox.url };
    this.antomClients = [new AntomClient({ ...common, platform: 'antom' }), new AntomClient({ ...common, platform: 'alipayplus' })];

    this.redis = new Redis(this.options.redisUrl ?? SHARED_REDIS_URL, { maxRetriesPerRequest: 3 });
    this.redis.on('error', () => undefined);
    this.library = new AuthorizationClient({ workflowClient: this.client.workflow, redis: this.redis, keyRing: this.keyRing, keyPrefix: this.prefix, taskQueue: this.taskQueue });

    await this.startWorker(await bundle);
    await this.startApi();
  }

  private async startTemporal(): Promise<void> {
    this.devServer = await startDevServer({
      port: this.temporalPort,
      ...(this.options.dbFilename ? { dbFilename: this.options.dbFilename } : {}),
      ...(this.options.ui ? { ui: true, uiCodecEndpoint: `${this.publicBaseUrl}/codec` } : {}),
    });
  }

  /** Stops the dev server (its SQLite file stays) and starts it again on the same port; resolves when it answers. */
  async restartTemporal(downMs = 0): Promise<void> {
    await this.devServer.teardown();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startTemporal();
  }

  /** MERCHANTS_FILE for `merchants`: written once the sandbox's URL is known. */
  private merchantsFile(): string | undefined {
    if (!this.options.merchants) return undefined;
    this.merchantsFilePath ??= (() => {
      const path = join(mkdtempSync(join(tmpdir(), 'antom-auth-e2e-merchants-')), 'merchants.json');
      const merchants = this.options.merchants!.map((m) => ({
        id: m.id, platform: m.platform, clientId: m.clientId, baseUrl: this.sandbox.url,
        privateKeys: { 1: m.privateKeyPath }, publicKeys: { 1: fixtureKeyPaths.antomPublicPem },
        ...(m.authClientName ? { authClientName: m.authClientName } : {}),
      }));
      writeFileSync(path, JSON.stringify({ merchants }, null, 2));
      return path;
    })();
    return this.merchantsFilePath;
  }

  /** The configuration the worker (and, for merchants, the API) loads. */
  config(bundle = 'unused'): Config {
    const merchantsFile = this.merchantsFile();
    return loadConfig({
      TEMPORAL_ADDRESS: this.devServer.address,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      REDIS_URL: this.options.redisUrl ?? SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: this.prefix,
      WORKFLOW_BUNDLE_PATH: bundle,
      LOG_LEVEL: 'info',
      ...(merchantsFile ? { MERCHANTS_FILE: merchantsFile } : {}),
    });
  }

  private async startWorker(bundle: string): Promise<void> {
    const config = this.config(bundle);
    this.worker = await createWorker(config, {
      connection: this.nativeConnection,
      // With merchants the worker builds every merchant's client from MERCHANTS_FILE, as in production.
      ...(this.options.merchants ? {} : { antom: { antom: this.antomClients[0]!, alipayplus: this.antomClients[1]! } }),
      keyRing: this.keyRing,
      redis: this.redis,
      logger: this.logger.child({ component: 'worker' }),
      alipayPlusAuthClient: { name: 'antom-auth e2e merchant' },
    });
    this.workerRun = this.worker.run();
    this.workerRun.catch((error: unknown) => this.logs.push(`worker stopped: ${String(error)}`));
  }

  /** Starts the API on its port (again, after stopApi): as npm start wires it. */
  async startApi(): Promise<void> {
    const settings = {
      host: '127.0.0.1',
      port: this.apiPort,
      keys: [allScopesKey(E2E_API_KEY)],
      publicBaseUrl: this.publicBaseUrl,
      resultPageUrl: `${this.publicBaseUrl}/demo/result`,
      codecCorsOrigin: this.devServer.uiUrl ?? 'http://localhost:8233',
      demoEnabled: true,
    };
    // With merchants the API loads MERCHANTS_FILE as in production (read once here).
    const merchants = this.options.merchants ? this.config().merchants : undefined;
    this.app = await createApiService({
      config: { redis: { url: this.options.redisUrl ?? SHARED_REDIS_URL, keyPrefix: this.prefix }, temporal: { namespace: this.devServer.namespace, taskQueue: this.taskQueue, dataDir: 'unused' }, api: settings },
      logger: this.logger.child({ component: 'api' }),
      keyRing: this.keyRing,
      redis: this.redis,
      workflowClient: this.client.workflow,
      temporalReady: () => this.connection.workflowService.getSystemInfo({}),
      notificationKeys: merchants ? notificationKeysOfMerchants(merchants) : notificationKeysFor(E2E_MERCHANT, this.sandbox.publicKey, merchantKeys.privateKey),
      ...(merchants ? { merchants: merchantPlatforms(merchants) } : {}),
      metrics: createServiceMetrics({ defaultMetrics: false }),
      demoWallets: [...defaultWalletPolicies().keys(), ...Object.keys(this.options.walletPolicies ?? {})],
    });
    await this.reservedApiPort?.release();
    await this.app.listen({ host: '127.0.0.1', port: this.apiPort });
  }

  async stopApi(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  /** fetch against the API with the bearer key. */
  api(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, { ...init, headers: { authorization: `Bearer ${E2E_API_KEY}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) } });
  }

  async view(wallet: string, customerId: string): Promise<AuthorizationView | undefined> {
    const response = await this.api(`/authorizations/${wallet}/${customerId}`).catch(() => undefined);
    if (!response?.ok) return undefined;
    return (await response.json()) as AuthorizationView;
  }

  /** Polls the public state over the API until `predicate` holds; fails after `timeoutMs` naming the last view. */
  async waitForView(wallet: string, customerId: string, predicate: (view: AuthorizationView) => boolean, what: string, timeoutMs = 60_000): Promise<AuthorizationView> {
    return poll(() => this.view(wallet, customerId), (v) => v !== undefined && predicate(v), `${wallet}/${customerId} ${what}`, timeoutMs) as Promise<AuthorizationView>;
  }

  async close(): Promise<void> {
    await this.reservedApiPort?.release();
    await this.app?.close().catch(() => undefined);
    if (this.worker) {
      this.worker.shutdown();
      await this.workerRun?.catch(() => undefined);
    }
    await Promise.all(this.antomClients.map((c) => c.close().catch(() => undefined)));
    await this.sandbox?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    await this.nativeConnection?.close().catch(() => undefined);
    await this.devServer?.teardown().catch(() => undefined);
    if (this.redis) {
      if (this.redis.status === 'ready') {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
          cursor = next;
          keys.push(...batch);
        } while (cursor !== '0');
        if (keys.length > 0) await this.redis.del(...keys);
      }
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }
}

/** Calls `read` until `done(value)`, every `intervalMs`; throws after `timeoutMs` with the last value read. */
export async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 600)}${lastError ? `; last error: ${String(lastError)}` : ''}`);
}
