/**
 * `npm run api`: the HTTP API alone (the worker runs elsewhere, e.g. docker-compose). Needs TEMPORAL_ADDRESS,
 * ENCRYPTION_KEYS (the worker's), API_KEYS and the Antom key files (Antom's public key verifies notifications; our
 * private key signs Alipay+ acknowledgements). Every missing setting is named on one line; no stack traces.
 * SIGINT/SIGTERM: stop accepting, finish in-flight requests, close Temporal and Redis.
 */
import { Client, Connection } from '@temporalio/client';
import { createRedisClient } from '../store/redisClient';
import { KeyConfigurationError } from '../antom/keys';
import { AntomKeySetError } from '../antom/signatureKeys';
import { createEncryptingDataConverter } from '../codec/dataConverter';
import { KeyRingConfigError, parseKeyRingSpec } from '../codec/keyRing';
import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger } from '../logger';
import { createServiceMetrics } from '../metrics';
import { clientConnectionOptions, describeTemporalConnection, loadTemporalConnection, TemporalConnectionConfigError, type TemporalConnectionMaterial } from '../temporalConnection';
import { webhookBacklogCounter } from '../store/webhookBacklog';
import { createApiService, merchantPlatforms, notificationKeysOfMerchants } from './apiService';
import { authorizationCounter } from './authorizationCounts';

/** Settings `npm start` can improvise but a standalone API cannot. */
export function standaloneProblems(config: Config): string[] {
  const problems: string[] = [];
  if (!config.temporal.address) problems.push('TEMPORAL_ADDRESS: required for `npm run api` (`npm start` embeds a dev server)');
  if (!config.encryptionKeys) problems.push('ENCRYPTION_KEYS: required — the same key ring as the worker');
  if (config.api.keys.length === 0) problems.push('API_KEYS: required — the backend routes accept only these bearer keys');
  if (config.merchants.length === 0) problems.push('ANTOM_BASE_URL / ANTOM_REGION and the ANTOM_* key files (or MERCHANTS_FILE): required to verify notifications');
  return problems;
}

export async function main(env: NodeJS.ProcessEnv = process.env, stderr: { write(text: string): unknown } = process.stderr): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) stderr.write(`antom-auth api: ${problem}\n`);
    return 2;
  }
  const problems = standaloneProblems(config);
  if (problems.length > 0) {
    for (const problem of problems) stderr.write(`antom-auth api: ${problem}\n`);
    return 2;
  }
  let keyRing;
  let notificationKeys;
  let temporalMaterial: TemporalConnectionMaterial;
  try {
    temporalMaterial = loadTemporalConnection(config.temporal);
  } catch (error) {
    if (!(error instanceof TemporalConnectionConfigError)) throw error;
    for (const problem of error.problems) stderr.write(`antom-auth api: ${problem}\n`);
    return 2;
  }
  try {
    keyRing = parseKeyRingSpec(config.encryptionKeys!);
    notificationKeys = notificationKeysOfMerchants(config.merchants);
  } catch (error) {
    if (error instanceof KeyRingConfigError) stderr.write(`antom-auth api: ENCRYPTION_KEYS: ${error.message}\n`);
    else if (error instanceof KeyConfigurationError) stderr.write(`antom-auth api: ${error.message}\n`);
    else if (error instanceof AntomKeySetError) for (const problem of error.problems) stderr.write(`antom-auth api: ${problem}\n`);
    else stderr.write(`antom-auth api: cannot read a key file (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`);
    return 2;
  }

  const logger = createLogger({ level: config.logLevel, name: 'api' });
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...clientConnectionOptions(temporalMaterial), connectTimeout: 5000 });
  } catch {
    stderr.write(`antom-auth api: cannot reach Temporal at TEMPORAL_ADDRESS=${config.temporal.address} (${describeTemporalConnection(config.temporal)})\n`);
    return 1;
  }
  const redis = createRedisClient(config.redis, { maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error'));
  const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
  const metrics = createServiceMetrics({
    countAuthorizationsByState: authorizationCounter(temporal.workflow),
    countPendingWebhookDeliveries: webhookBacklogCounter(redis, config.redis.keyPrefix),
  });
  const app = await createApiService({
    config,
    logger,
    keyRing,
    redis,
    workflowClient: temporal.workflow,
    temporalReady: () => connection.workflowService.getSystemInfo({}),
    notificationKeys,
    metrics,
    merchants: merchantPlatforms(config.merchants),
  });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  logger.info({ url, publicBaseUrl: config.api.publicBaseUrl }, 'API listening');

  return new Promise<number>((resolveExit) => {
    const stop = () => {
      void (async () => {
        await app.close();
        await connection.close();
        await redis.quit().catch(() => redis.disconnect());
        resolveExit(0);
      })();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`antom-auth api: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      process.exit(1);
    },
  );
}
