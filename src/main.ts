/**
 * `npm start`: everything in one process for development —
 *   Temporal: the embedded dev server with its Web UI (SQLite under TEMPORAL_DATA_DIR) unless TEMPORAL_ADDRESS is set;
 *   Antom:    the embedded sandbox unless ANTOM_BASE_URL / ANTOM_REGION is set;
 *   the worker and the API (demo page on), then prints the URLs. Ctrl-C shuts down in order (API, worker, sandbox,
 *   Temporal, Redis); a second Ctrl-C exits at once.
 *
 * Start-up failures are one line each on stderr, no stack trace (the embedded server's download failing offline is
 * the common one: it names TEMPORAL_ADDRESS and TEMPORAL_CLI_PATH).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createRedisClient, describeRedisEndpoint, redisVariable, type RedisClient } from './store/redisClient';
import type { FastifyInstance } from 'fastify';
import { AntomClient } from './antom/client';
import { AntomKeySetError } from './antom/signatureKeys';
import type { NotificationKeys } from './api/app';
import { createEncryptingDataConverter } from './codec/dataConverter';
import { ConfigError, loadConfig, type Config } from './config';
import { allScopesKey } from './apiKeys';
import { devKeyRing, generateApiKey } from './devSecrets';
import { EmbeddedTemporalUnavailableError, startEmbeddedTemporal, type EmbeddedTemporal } from './embeddedTemporal';
import { createLogger } from './logger';
import { createServiceMetrics } from './metrics';
import { installTemporalRuntimeWithMetrics } from './metricsEndpoint';
import type { RunningSandbox } from './sandbox';
import type { AuthorizationWorker } from './worker';
import type { AntomClientsByProfile, MerchantClient } from './activities';
import { loadMerchantKeySetsOrExplain, WorkerStartupError } from './worker/startupChecks';
import {
  clientConnectionOptions,
  describeTemporalConnection,
  loadTemporalConnection,
  nativeConnectionOptions,
  TemporalConnectionConfigError,
  type TemporalConnectionMaterial,
} from './temporalConnection';

/** The sandbox's merchant in development (the SANDBOX_ prefix selects Antom's sandbox path, as the SDKs do). */
const DEV_CLIENT_ID = 'SANDBOX_ANTOM_AUTH_DEV';
/** Wallets offered on the demo page when talking to real Antom (the sandbox lists its own). */
const COMMON_WALLETS = ['GCASH', 'TNG', 'TRUEMONEY', 'DANA', 'ALIPAY_HK', 'KAKAOPAY'];

class StartupError extends Error {}

function fail(message: string): never {
  throw new StartupError(message);
}

/** npm start's development defaults: the demo is on unless DEMO_ENABLED says otherwise; an API key is generated. */
function devConfig(config: Config, env: NodeJS.ProcessEnv): { config: Config; generatedApiKey?: string } {
  const generatedApiKey = config.api.keys.length === 0 ? generateApiKey() : undefined;
  return {
    config: {
      ...config,
      api: {
        ...config.api,
        // A bare key: every scope, so one key drives the backend, the payment path and the codec in development.
        keys: generatedApiKey ? [allScopesKey(generatedApiKey)] : config.api.keys,
        demoEnabled: env.DEMO_ENABLED === undefined || env.DEMO_ENABLED === '' ? true : config.api.demoEnabled,
      },
    },
    ...(generatedApiKey ? { generatedApiKey } : {}),
  };
}

interface Running {
  app?: FastifyInstance;
  worker?: AuthorizationWorker;
  workerRun?: Promise<void>;
  sandbox?: RunningSandbox;
  temporal?: EmbeddedTemporal;
  clientConnection?: Connection;
  nativeConnection?: NativeConnection;
  antomClients: AntomClient[];
  redis?: RedisClient;
}

async function shutDown(running: Running): Promise<void> {
  await running.app?.close().catch(() => undefined);
  if (running.worker) {
    running.worker.shutdown();
    await running.workerRun?.catch(() => undefined);
  }
  await Promise.all(running.antomClients.map((client) => client.close().catch(() => undefined)));
  await running.sandbox?.close().catch(() => undefined);
  await running.clientConnection?.close().catch(() => undefined);
  if (!running.temporal) await running.nativeConnection?.close().catch(() => undefined);
  await running.temporal?.teardown().catch(() => undefined);
  await running.redis?.quit().catch(() => running.redis?.disconnect());
}

export async function main(env: NodeJS.ProcessEnv = process.env, out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const running: Running = { antomClients: [] };
  let config: Config;
  let generatedApiKey: string | undefined;
  try {
    ({ config, generatedApiKey } = devConfig(loadConfig(env), env));
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`antom-auth: ${problem}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, name: 'antom-auth' });
  // Before any Temporal connection: the runtime's options (metrics exporter, signals) are fixed once installed.
  // No runtime signal handlers: main orders the shutdown itself.
  const metrics = createServiceMetrics(await installTemporalRuntimeWithMetrics({ logger, shutdownSignals: [] }));

  try {
    const { keyRing, file: keyFile } = devKeyRing(config.encryptionKeys, config.temporal.dataDir);

    // Temporal: a configured server, or the embedded dev server (fails fast and clearly offline).
    let temporalAddress = config.temporal.address;
    let temporalUi: string | undefined;
    let temporalMaterial: TemporalConnectionMaterial;
    if (!temporalAddress) {
      running.temporal = await startEmbeddedTemporal({
        dataDir: config.temporal.dataDir,
        namespace: config.temporal.namespace,
        ...(config.temporal.cliPath ? { cliPath: config.temporal.cliPath } : {}),
        uiCodecEndpoint: `${config.api.publicBaseUrl}/codec`,
      });
      temporalAddress = running.temporal.address;
      temporalUi = running.temporal.uiUrl;
      if (temporalUi !== config.api.codecCorsOrigin) {
        // The preferred UI port was taken: the codec endpoint only answers CODEC_CORS_ORIGIN.
        logger.warn(`the Temporal UI runs on ${temporalUi}, not CODEC_CORS_ORIGIN=${config.api.codecCorsOrigin}: set CODEC_CORS_ORIGIN=${temporalUi} to read payloads in it`);
      }
      running.nativeConnection = running.temporal.env.nativeConnection;
      temporalMaterial = { address: temporalAddress, tls: false };
    } else {
      // TLS files and the API key: the same material as `npm run worker` / `npm run api` (src/temporalConnection.ts).
      temporalMaterial = loadTemporalConnection(config.temporal);
      running.nativeConnection = await NativeConnection.connect(nativeConnectionOptions(temporalMaterial)).catch(() =>
        fail(`antom-auth: cannot reach Temporal at TEMPORAL_ADDRESS=${temporalAddress} (${describeTemporalConnection(config.temporal)})`),
      );
    }
    // Loaded only now, so a Temporal that cannot start is reported without waiting for the worker's bundler.
    const [{ createWorker, antomClientsFromConfig }, { startSandbox, defaultWalletPolicies }, { createApiService, merchantPlatforms, notificationKeysFor, notificationKeysOfMerchants }, { authorizationCounter }] = await Promise.all([
      import('./worker.js'),
      import('./sandbox/index.js'),
      import('./api/apiService.js'),
      import('./api/authorizationCounts.js'),
    ]);
    running.clientConnection = await Connection.connect(clientConnectionOptions(temporalMaterial));
    const temporalClient = new Client({
      connection: running.clientConnection,
      namespace: config.temporal.namespace,
      dataConverter: createEncryptingDataConverter(keyRing),
    });

    // Antom: the configured platform, or the embedded sandbox with a fresh merchant key pair.
    let notificationKeys: NotificationKeys;
    let demoWallets = COMMON_WALLETS;
    const onCall = metrics.recordAntomCall;
    let configured: { clients: AntomClientsByProfile; merchants: Record<string, MerchantClient> } | undefined;
    if (config.merchants.length > 0) {
      // Every merchant (the ANTOM_* one as `default`, or MERCHANTS_FILE's): its own client, keys and platform.
      // Each key file is parsed once, for the clients and the notification keys alike.
      const keySets = loadMerchantKeySetsOrExplain(config.merchants);
      const built = antomClientsFromConfig(config, onCall, keySets);
      running.antomClients.push(...built.owned);
      configured = built;
      notificationKeys = notificationKeysOfMerchants(config.merchants, keySets);
    } else {
      const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
      running.sandbox = await startSandbox({
        merchants: [{ clientId: DEV_CLIENT_ID, publicKey: merchant.publicKey, notifyUrl: `${config.api.publicBaseUrl}/notifications/antom` }],
        logLevel: 'warn',
      });
      const common = { clientId: DEV_CLIENT_ID, privateKey: merchant.privateKey as KeyObject, antomPublicKey: running.sandbox.publicKey, baseUrl: running.sandbox.url, onCall };
      running.antomClients.push(new AntomClient({ ...common, platform: 'antom' }), new AntomClient({ ...common, platform: 'alipayplus' }));
      notificationKeys = notificationKeysFor(DEV_CLIENT_ID, running.sandbox.publicKey, merchant.privateKey);
      demoWallets = [...defaultWalletPolicies().keys()];
    }
    const [antomClient, alipayPlusClient] = running.antomClients;

    running.redis = createRedisClient(config.redis, { maxRetriesPerRequest: 3 });
    running.redis.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error'));
    await running.redis.ping().catch(() => fail(`antom-auth: cannot reach ${describeRedisEndpoint(config.redis)} (${redisVariable(config.redis)})`));

    running.worker = await createWorker(config, {
      connection: running.nativeConnection,
      antom: configured ? configured.clients : { antom: antomClient, alipayplus: alipayPlusClient },
      ...(configured ? { merchants: configured.merchants } : {}),
      keyRing,
      redis: running.redis,
      logger: logger.child({ component: 'worker' }),
      alipayPlusAuthClient: { name: 'antom-auth development merchant' },
      metrics,
    });
    running.workerRun = running.worker.run();
    // Handled below once the API is up; until then a worker failure must not be an unhandled rejection (a crash).
    running.workerRun.catch(() => undefined);

    running.app = await createApiService({
      config,
      logger: logger.child({ component: 'api' }),
      keyRing,
      redis: running.redis,
      workflowClient: temporalClient.workflow,
      temporalReady: () => running.clientConnection!.workflowService.getSystemInfo({}),
      notificationKeys,
      metrics,
      demoWallets,
      ...(config.merchants.length > 0 ? { merchants: merchantPlatforms(config.merchants) } : {}),
    });
    // Gauges by state need visibility; registered here, now that the client exists.
    metrics.setAuthorizationCounter(authorizationCounter(temporalClient.workflow));
    const listening = await running.app.listen({ host: config.api.host, port: config.api.port });

    const lines = [
      'antom-auth is running:',
      `  API           ${listening}   (public base URL ${config.api.publicBaseUrl})`,
      ...(config.api.demoEnabled ? [`  demo          ${config.api.publicBaseUrl}/demo`] : []),
      `  Temporal      ${temporalAddress}${running.temporal ? ' (embedded dev server)' : ` (${describeTemporalConnection(config.temporal)})`}`,
      ...(temporalUi ? [`  Temporal UI   ${temporalUi}   (codec endpoint: ${config.api.publicBaseUrl}/codec)`] : []),
      `  codec login   ${config.api.publicBaseUrl}/codec/login   (sign in there so the Temporal UI can decode payloads)`,
      ...(running.sandbox ? [`  sandbox       ${running.sandbox.url}   (admin ${running.sandbox.adminUrl})`] : []),
      `  metrics       ${config.api.publicBaseUrl}/metrics   (send the API key: Authorization: Bearer <key>)`,
      ...(generatedApiKey ? [`  API key       ${generatedApiKey}   (generated for this run; set API_KEYS to keep one)`] : []),
      ...(keyFile ? [`  dev key ring  ${keyFile}`] : []),
      'Press Ctrl-C to stop.',
    ];
    out.write(`${lines.join('\n')}\n`);
  } catch (error) {
    await shutDown(running);
    if (error instanceof EmbeddedTemporalUnavailableError || error instanceof StartupError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof TemporalConnectionConfigError) {
      for (const problem of error.problems) process.stderr.write(`antom-auth: ${problem}\n`);
      return 2;
    }
    if (error instanceof WorkerStartupError) {
      for (const problem of error.problems) process.stderr.write(`antom-auth: ${problem}\n`);
      return error.kind === 'configuration' ? 2 : 1;
    }
    if (error instanceof AntomKeySetError) {
      for (const problem of error.problems) process.stderr.write(`antom-auth: ${problem}\n`);
      return 2;
    }
    process.stderr.write(`antom-auth: cannot start (${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)})\n`);
    return 1;
  }

  // Runs until Ctrl-C (or SIGTERM): first signal shuts down in order, a second one exits at once.
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) {
        process.exit(130);
      }
      stopping = true;
      out.write('antom-auth: shutting down (Ctrl-C again to force)\n');
      void shutDown(running).then(() => resolveExit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void running.workerRun?.catch((error: unknown) => {
      logger.error({ err: error }, 'worker stopped unexpectedly');
      if (!stopping) {
        stopping = true;
        void shutDown(running).then(() => resolveExit(1));
      }
    });
  });
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`antom-auth: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      process.exit(1);
    },
  );
}
