/**
 * The worker: hosts the authorization workflow and its activities on the task queue.
 *
 *   const worker = await createWorker(loadConfig(), deps?);   // validates and connects, or throws WorkerStartupError
 *   await worker.run();                                         // until SIGINT/SIGTERM (or worker.shutdown())
 *
 *   deps (all optional; `npm start` passes what it embeds):
 *     connection            a NativeConnection (embedded dev server) instead of TEMPORAL_ADDRESS
 *     antom                 AntomClients per profile (e.g. both, against the embedded sandbox) instead of ANTOM_*
 *     keyRing               instead of ENCRYPTION_KEYS     redis   instead of REDIS_URL
 *     logger, alipayPlusAuthClient, startupTimeoutMs
 *     metrics               where Antom calls (clients built here; given ones carry their own onCall) and the refresh
 *                           lead time of each projection are recorded (src/metrics.ts ServiceMetrics)
 *
 * Inbound signal/update/start payloads without the codec's encryption are refused (signal dropped, update rejected,
 * start failed; src/codec/unencodedPayloads.ts) unless WORKER_ACCEPT_UNENCODED_PAYLOADS=true (development).
 *
 * Start-up checks, each failing with one line naming the setting: the key ring, the Antom key files, Redis (PING),
 * Temporal (connect) and the namespace's search attributes (present, with the right types), with short timeouts. Workflow code comes from WORKFLOW_BUNDLE_PATH when set (production,
 * built by `tsx src/worker.ts --bundle <out.js>`), else it is bundled at start from src/workflows. Payloads and
 * failures are encrypted by the shared data converter. Shutdown: the Temporal runtime turns SIGINT/SIGTERM into a
 * graceful worker shutdown (in-flight activities get the grace time), then Redis and the Antom pools are closed.
 *
 * With WORKER_METRICS_PORT set, `npm run worker` serves GET /metrics there: our metrics plus the Temporal SDK's
 * (the runtime's Prometheus exporter on a loopback port, merged per scrape).
 *
 *   npm run worker                       runs it;   tsx src/worker.ts --bundle dist/workflow-bundle.js   prebundles
 */
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createRedisClient, type RedisClient } from './store/redisClient';
import type { Logger } from 'pino';
import { createActivities, createActivityStore, type AlipayPlusAuthClient, type AntomClientsByProfile, type MerchantClient } from './activities';
import { isDefaultMerchant } from './workflows/authorizationIdentity';
import type { AntomKeySet } from './antom/signatureKeys';
import { AntomClient, type AntomClientOptions } from './antom/client';
import { createEncryptingDataConverter } from './codec/dataConverter';
import type { KeyRing } from './codec/keyRing';
import { UNENCODED_PAYLOAD_INTERCEPTORS_PATH } from './codec/unencodedPayloads';
import { ConfigError, loadConfig, type Config } from './config';
import { describeTemporalConnection } from './temporalConnection';
import { createLogger } from './logger';
import { createServiceMetrics } from './metrics';
import { installTemporalRuntimeWithMetrics, startMetricsServer, type MetricsServer } from './metricsEndpoint';
import { workerMetricsHooks, type WorkerMetrics } from './worker/metricsHooks';
import {
  checkRedis,
  checkSearchAttributes,
  connectTemporal,
  DEFAULT_STARTUP_TIMEOUT_MS,
  antomClientKeys,
  loadMerchantKeySetsOrExplain,
  loadTemporalMaterial,
  loadEncryptionKeyRing,
  WorkerStartupError,
} from './worker/startupChecks';
import { buildWorkflowBundle, WORKFLOWS_PATH } from './worker/workflowBundle';
import { SEARCH_ATTRIBUTES } from './workflows/definitions';
import { WebhookSender } from './webhooks/webhookSender';
import { webhookBacklogCounter } from './store/webhookBacklog';

export { buildWorkflowBundle } from './worker/workflowBundle';
export { WorkerStartupError } from './worker/startupChecks';

/**
 * 30 s: an activity is one Antom call (seconds) or one Redis write; letting in-flight ones finish avoids a retry
 * that would have to be answered by the applyToken journal, and stays well inside an orchestrator's kill timeout.
 */
export const SHUTDOWN_GRACE_MS = 30_000;

/**
 * The worker's data converter and workflow interceptors: payloads are encrypted, and inbound ones that arrive without
 * our encryption are refused (src/codec/unencodedPayloads.ts) unless the development switch says otherwise. A
 * prebundle carries the interceptors itself (workflowBundle.ts), so they are only named when bundling at start.
 */
export function workerPayloadOptions(
  keyRing: KeyRing,
  worker: Pick<Config['worker'], 'acceptUnencodedPayloads' | 'bundlePath'>,
): Pick<WorkerOptions, 'dataConverter' | 'interceptors'> {
  const refuseUnencoded = !worker.acceptUnencodedPayloads;
  return {
    dataConverter: createEncryptingDataConverter(keyRing, { refuseUnencoded }),
    ...(refuseUnencoded && !worker.bundlePath ? { interceptors: { workflowModules: [UNENCODED_PAYLOAD_INTERCEPTORS_PATH] } } : {}),
  };
}

export interface WorkerDeps {
  connection?: NativeConnection;
  antom?: AntomClientsByProfile;
  /** With `antom`: the named merchants' clients (instead of MERCHANTS_FILE). */
  merchants?: Record<string, MerchantClient>;
  keyRing?: KeyRing;
  redis?: RedisClient;
  logger?: Logger;
  alipayPlusAuthClient?: AlipayPlusAuthClient;
  startupTimeoutMs?: number;
  metrics?: WorkerMetrics;
}

export interface AuthorizationWorker {
  readonly worker: Worker;
  /** Polls until shutdown, then releases what createWorker opened. */
  run(): Promise<void>;
  shutdown(): void;
}

interface ConfiguredClients {
  /** The default merchant's client by profile (empty when MERCHANTS_FILE has no `default`). */
  clients: AntomClientsByProfile;
  merchants: Record<string, MerchantClient>;
  owned: AntomClient[];
}

/**
 * One AntomClient per merchant. `keySets` (one per merchant, in order) when the caller parsed them already (npm start
 * also needs them for notifications); else every merchant's key files are read here, every problem reported at once.
 */
export function antomClientsFromConfig(config: Config, onCall: AntomClientOptions['onCall'], keySets?: readonly AntomKeySet[]): ConfiguredClients {
  if (config.merchants.length === 0) {
    throw new WorkerStartupError('configuration', [
      'ANTOM_BASE_URL / ANTOM_REGION (or MERCHANTS_FILE): not set — `npm run worker` needs an Antom endpoint (`npm start` embeds the sandbox)',
    ]);
  }
  const sets = keySets ?? loadMerchantKeySetsOrExplain(config.merchants);
  const result: ConfiguredClients = { clients: {}, merchants: {}, owned: [] };
  config.merchants.forEach((merchant, index) => {
    const client = new AntomClient({
      clientId: merchant.clientId,
      ...antomClientKeys(sets[index]!),
      ...(merchant.platform ? { platform: merchant.platform } : {}),
      ...(merchant.baseUrl ? { baseUrl: merchant.baseUrl } : {}),
      ...(merchant.region ? { region: merchant.region } : {}),
      sandbox: merchant.sandboxPath,
      ...(merchant.agentToken ? { agentToken: merchant.agentToken } : {}),
      ...(onCall ? { onCall } : {}),
    });
    result.owned.push(client);
    // One credential set is one platform: the default merchant's other profile fails as CONFIGURATION_ERROR.
    if (isDefaultMerchant(merchant.id)) result.clients = { [client.platform]: client };
    else {
      result.merchants[merchant.id] = {
        client,
        ...(merchant.alipayPlusAuthClientName ? { alipayPlusAuthClient: { name: merchant.alipayPlusAuthClientName } } : {}),
      };
    }
  });
  return result;
}

function alipayPlusAuthClientOf(config: Config, deps: WorkerDeps): { alipayPlusAuthClient?: AlipayPlusAuthClient } {
  if (deps.alipayPlusAuthClient) return { alipayPlusAuthClient: deps.alipayPlusAuthClient };
  const name = config.merchants.find((merchant) => isDefaultMerchant(merchant.id))?.alipayPlusAuthClientName;
  return name ? { alipayPlusAuthClient: { name } } : {};
}

export async function createWorker(config: Config, deps: WorkerDeps = {}): Promise<AuthorizationWorker> {
  const timeoutMs = deps.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const logger = deps.logger ?? createLogger({ level: config.logLevel, name: 'worker' });

  // Local configuration first: nothing is connected while a key is wrong.
  const keyRing = deps.keyRing ?? loadEncryptionKeyRing(config);
  const hooks = deps.metrics ? workerMetricsHooks(deps.metrics) : undefined;
  const { clients, merchants, owned } = deps.antom
    ? { clients: deps.antom, merchants: deps.merchants ?? {}, owned: [] as AntomClient[] }
    : antomClientsFromConfig(config, hooks?.onCall);

  const closeOwnedClients = () => Promise.all(owned.map((client) => client.close()));
  let temporalMaterial;
  try {
    temporalMaterial = deps.connection ? undefined : loadTemporalMaterial(config);
  } catch (error) {
    await closeOwnedClients();
    throw error;
  }
  const [redisProblem, temporal] = await Promise.all([
    deps.redis ? Promise.resolve(undefined) : checkRedis(config.redis, timeoutMs),
    deps.connection ? Promise.resolve({ connection: deps.connection }) : connectTemporal(temporalMaterial!, timeoutMs),
  ]);
  const problems = [redisProblem, 'problem' in temporal ? temporal.problem : undefined].filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    if ('connection' in temporal && !deps.connection) await temporal.connection.close();
    await closeOwnedClients();
    throw new WorkerStartupError('unreachable', problems);
  }
  const connection = (temporal as { connection: NativeConnection }).connection;
  const searchAttributeProblem = await checkSearchAttributes(connection, config.temporal.namespace, Object.values(SEARCH_ATTRIBUTES), timeoutMs);
  if (searchAttributeProblem) {
    if (!deps.connection) await connection.close();
    await closeOwnedClients();
    throw new WorkerStartupError('configuration', [searchAttributeProblem]);
  }
  const redis = deps.redis ?? createRedisClient(config.redis, { maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error'));

  // WEBHOOK_URL unset: no sender, and deliverWebhook answers not-configured (the workflow then emits nothing more).
  const webhookSender = config.webhooks ? new WebhookSender(config.webhooks) : undefined;
  const activities = createActivities({
    antom: clients,
    merchants,
    store: createActivityStore({
      redis,
      keyRing,
      keyPrefix: config.redis.keyPrefix,
      requestsPerSecond: config.rateLimitPerSecond,
      ...(config.notifications.routingKey ? { routingKey: config.notifications.routingKey } : {}),
    }),
    logger,
    ...alipayPlusAuthClientOf(config, deps),
    ...(hooks ? { onProjected: hooks.onProjected } : {}),
    webhooks: { ...(webhookSender ? { sender: webhookSender } : {}), ...(hooks ? { onAttempt: hooks.onWebhookAttempt } : {}) },
  });
  deps.metrics?.setWebhookBacklogCounter?.(webhookBacklogCounter(redis, config.redis.keyPrefix));

  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...(config.worker.bundlePath ? { workflowBundle: { codePath: config.worker.bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
      activities,
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      ...workerPayloadOptions(keyRing, config.worker),
      shutdownGraceTime: SHUTDOWN_GRACE_MS,
    });
  } catch (error) {
    await webhookSender?.close();
    if (!deps.redis) redis.disconnect();
    if (!deps.connection) await connection.close();
    await closeOwnedClients();
    if (config.worker.bundlePath && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new WorkerStartupError('configuration', [`WORKFLOW_BUNDLE_PATH: ${config.worker.bundlePath} does not exist`]);
    }
    throw error;
  }

  const release = async () => {
    await webhookSender?.close().catch(() => undefined);
    if (!deps.redis) await redis.quit().catch(() => redis.disconnect());
    await closeOwnedClients();
    if (!deps.connection) await connection.close();
  };
  logger.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, temporal: deps.connection ? 'given connection' : describeTemporalConnection(config.temporal), prebundled: Boolean(config.worker.bundlePath), profiles: Object.keys(clients), merchants: Object.keys(merchants), webhooks: config.webhooks ? new URL(config.webhooks.url).origin : 'off' },
    'worker ready',
  );
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await release();
        logger.info('worker stopped');
      }
    },
    shutdown() {
      worker.shutdown();
    },
  };
}

/** `npm run worker` and `tsx src/worker.ts --bundle <out.js>`. Returns the exit code. */
export async function main(args: readonly string[], stderr: { write(text: string): unknown } = process.stderr): Promise<number> {
  if (args[0] === '--bundle') {
    const out = args[1];
    if (!out) {
      stderr.write('usage: tsx src/worker.ts --bundle <out.js>\n');
      return 2;
    }
    const { path, bytes } = await buildWorkflowBundle(out);
    process.stdout.write(`workflow bundle written to ${path} (${bytes} bytes); set WORKFLOW_BUNDLE_PATH=${path}\n`);
    return 0;
  }
  let worker: AuthorizationWorker;
  let metricsServer: MetricsServer | undefined;
  try {
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, name: 'worker' });
    let metrics: WorkerMetrics | undefined;
    if (config.worker.metricsPort !== undefined) {
      const sdk: { temporalMetrics?: () => Promise<string> } = {};
      const serviceMetrics = createServiceMetrics({ temporalMetrics: () => sdk.temporalMetrics?.() ?? Promise.resolve('') });
      // The endpoint binds first, so the exporter's port probe can never take WORKER_METRICS_PORT itself.
      metricsServer = await startMetricsServer(serviceMetrics, { port: config.worker.metricsPort }).catch((error: NodeJS.ErrnoException) => {
        throw new WorkerStartupError('unreachable', [
          `WORKER_METRICS_PORT: cannot listen on port ${config.worker.metricsPort} (${error.code === 'EADDRINUSE' ? 'already in use' : (error.code ?? error.message)})`,
        ]);
      });
      // Before createWorker connects: the runtime's exporter is fixed once the runtime exists.
      Object.assign(sdk, await installTemporalRuntimeWithMetrics({ logger }));
      metrics = serviceMetrics;
      logger.info({ url: metricsServer.url }, 'worker metrics endpoint listening');
    }
    worker = await createWorker(config, { logger, ...(metrics ? { metrics } : {}) });
  } catch (error) {
    await metricsServer?.close();
    // One line per problem, no stack: this is what an operator reads in a crash-looping container's log.
    if (error instanceof ConfigError) {
      for (const problem of error.problems) stderr.write(`antom-auth worker: ${problem}\n`);
      return 2;
    }
    if (error instanceof WorkerStartupError) {
      for (const problem of error.problems) stderr.write(`antom-auth worker: ${problem}\n`);
      return error.kind === 'configuration' ? 2 : 1;
    }
    stderr.write(`antom-auth worker: cannot start (${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)})\n`);
    return 1;
  }
  try {
    await worker.run();
  } finally {
    await metricsServer?.close();
  }
  return 0;
}

if (require.main === module) {
  // Exit explicitly: a Temporal connection attempt that timed out may still hold the event loop open.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`antom-auth worker: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      process.exit(1);
    },
  );
}
