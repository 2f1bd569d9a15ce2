/**
 * `npm run bench:service` — the service's two hot paths over real HTTP on loopback, each next to a baseline measured
 * in the same process and run:
 *
 *   notification ingestion (POST /notifications/antom: RSA verify over the raw body, validate, authState lookup,
 *   two-phase Redis dedupe, deliver, exact ack) in requests/s at concurrency 32, vs a bare Fastify POST route that
 *   answers the same ack. Delivery goes through the real library (AuthorizationClient → workflow handle) to an
 *   in-process stand-in for Temporal's update, so Temporal's own latency is not in the number.
 *
 *   token read (GET /authorizations/:wallet/:customerId/token: bearer check, Redis HGETALL, AES-GCM open, JSON)
 *   latency p50/p99, sequential, vs a raw ioredis GET of a 200-byte value on the same Redis.
 *
 * Every notification is distinct (pre-signed, so signing is not measured): dedupe claims and confirms each one, as
 * for Antom's first delivery. Variants are interleaved over rounds and the median round reported. It reports; it
 * never fails on timing.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { NOTIFICATION_ACK_BODY } from '../src/antom/notificationAck';
import { formatSignatureHeader } from '../src/antom/signatureHeader';
import { signParts } from '../src/antom/signing';
import { createApiService, notificationKeysFor } from '../src/api/apiService';
import { allScopesKey } from '../src/apiKeys';
import type { AuthorizationWorkflowClient } from '../src/client';
import { generateEncryptionKey, parseKeyRingSpec } from '../src/codec/keyRing';
import { createLogger } from '../src/logger';
import { createServiceMetrics } from '../src/metrics';
import { AuthStateIndex } from '../src/store/authStateIndex';
import { redisKeys } from '../src/store/redisKeys';
import { TokenProjectionStore } from '../src/store/tokenProjection';
import { antomKeys, merchantKeys } from '../test/support/fixtureKeys';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const NOTIFICATIONS_PER_ROUND = Number(process.env.BENCH_NOTIFICATIONS ?? 2_000);
const READS_PER_ROUND = Number(process.env.BENCH_READS ?? 2_000);
const CONCURRENCY = 32;
const CLIENT_ID = 'SANDBOX_BENCH_MERCHANT';
const API_KEY = 'bench-api-key-0123456789abcdef';
const NOTIFY_PATH = '/notifications/antom';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

interface Signed {
  headers: Record<string, string>;
  body: string;
}

/** In-process stand-in for Temporal: every update is accepted at once. */
const acceptingWorkflows = {
  getHandle: () => ({
    executeUpdate: async () => ({ accepted: true, duplicate: false, state: 'APPLYING_TOKEN' }),
  }),
  executeUpdateWithStart: async () => {
    throw new Error('not used by this benchmark');
  },
} as unknown as AuthorizationWorkflowClient;

async function requestsPerSecond(pool: Pool, requests: Signed[], path: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const response = await pool.request({ method: 'POST', path, headers: request.headers, body: request.body });
        const text = await response.body.text();
        if (response.statusCode !== 200 || text !== NOTIFICATION_ACK_BODY) throw new Error(`unexpected answer ${response.statusCode}: ${text}`);
      }
    }),
  );
  return requests.length / ((performance.now() - started) / 1000);
}

async function latencies(count: number, call: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const prefix = `bench:service:${randomBytes(4).toString('hex')}:`;
  const keys = redisKeys(prefix);
  const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  const logger = createLogger({ level: 'silent' });
  const app = await createApiService({
    config: {
      redis: { url: REDIS_URL, keyPrefix: prefix },
      temporal: { namespace: 'default', taskQueue: 'antom-auth', dataDir: 'unused' },
      api: {
        host: '127.0.0.1', port: 0, keys: [allScopesKey(API_KEY)], publicBaseUrl: 'http://127.0.0.1', resultPageUrl: 'http://127.0.0.1/demo/result',
        codecCorsOrigin: 'http://localhost:8233', demoEnabled: false,
      },
    },
    logger,
    keyRing,
    redis,
    workflowClient: acceptingWorkflows,
    temporalReady: async () => undefined,
    notificationKeys: notificationKeysFor(CLIENT_ID, antomKeys.publicKey, merchantKeys.privateKey),
    metrics: createServiceMetrics(),
  });
  const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  const bare = Fastify();
  bare.post(NOTIFY_PATH, async (_request, reply) => reply.header('content-type', 'application/json; charset=UTF-8').send(NOTIFICATION_ACK_BODY));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  // Distinct, pre-signed AUTHCODE_CREATED notifications for authStates the index knows.
  const authStates = new AuthStateIndex(redis, { keys });
  const total = NOTIFICATIONS_PER_ROUND * ROUNDS;
  process.stdout.write(`preparing ${total} signed notifications…\n`);
  const notifications: Signed[] = [];
  for (let i = 0; i < total; i++) {
    const authState = `bench-state-${i}`;
    await authStates.put(authState, `authorization:GCASH:bench-${i}`);
    const body = JSON.stringify({ authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode: `bench-code-${i}-${randomBytes(6).toString('hex')}`, result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
    const time = new Date().toISOString();
    const signature = signParts(antomKeys.privateKey, { path: NOTIFY_PATH, clientId: CLIENT_ID, time, body });
    notifications.push({ headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': CLIENT_ID, 'request-time': time, signature: formatSignatureHeader({ signature }) }, body });
  }

  // One projected token to read.
  await new TokenProjectionStore(redis, { keyRing, keys }).put({
    workflowId: 'authorization:GCASH:bench-reader', wallet: 'GCASH', customerId: 'bench-reader', accessToken: `AT-${randomBytes(32).toString('hex')}`,
    accessTokenExpiry: '2030-01-01T00:00:00Z', state: 'ACTIVE', updatedAt: new Date().toISOString(), version: 1, userLoginId: '63****0001',
  });
  const rawKey = `${prefix}bench-raw`;
  await redis.set(rawKey, randomBytes(100).toString('hex'));

  const apiPool = new Pool(apiUrl, { connections: CONCURRENCY });
  const barePool = new Pool(bareUrl, { connections: CONCURRENCY });
  const readPool = new Pool(apiUrl, { connections: 1 });
  const readToken = async () => {
    const response = await readPool.request({ method: 'GET', path: '/authorizations/GCASH/bench-reader/token', headers: { authorization: `Bearer ${API_KEY}` } });
    if (response.statusCode !== 200) throw new Error(`token read answered ${response.statusCode}`);
    await response.body.json();
  };
  const rawGet = async () => {
    if ((await redis.get(rawKey)) === null) throw new Error('raw key missing');
  };
  // Warm-up: JIT, connections, Lua script caching.
  await requestsPerSecond(barePool, notifications.slice(0, 200), NOTIFY_PATH);
  await latencies(200, readToken);
  await latencies(200, rawGet);

  const ingest: number[] = [];
  const baseline: number[] = [];
  const tokenP50: number[] = [];
  const tokenP99: number[] = [];
  const rawP50: number[] = [];
  const rawP99: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batch = notifications.slice(round * NOTIFICATIONS_PER_ROUND, (round + 1) * NOTIFICATIONS_PER_ROUND);
    ingest.push(await requestsPerSecond(apiPool, batch, NOTIFY_PATH));
    baseline.push(await requestsPerSecond(barePool, batch, NOTIFY_PATH));
    const token = await latencies(READS_PER_ROUND, readToken);
    const raw = await latencies(READS_PER_ROUND, rawGet);
    tokenP50.push(percentile(token, 0.5));
    tokenP99.push(percentile(token, 0.99));
    rawP50.push(percentile(raw, 0.5));
    rawP99.push(percentile(raw, 0.99));
  }

  const f = (n: number, digits = 0) => n.toFixed(digits);
  const lines = [
    `bench:service — ${ROUNDS} rounds, median round; node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    '',
    `notification ingestion (verify + validate + lookup + dedupe + deliver + ack), concurrency ${CONCURRENCY}, ${NOTIFICATIONS_PER_ROUND} distinct notifications/round`,
    `  POST /notifications/antom      ${f(median(ingest))} req/s`,
    `  bare Fastify route (baseline)  ${f(median(baseline))} req/s`,
    `  ratio                          ${f(median(ingest) / median(baseline), 2)} of the bare route (${f(median(baseline) / median(ingest), 1)}× slower)`,
    '',
    `token read latency, sequential, ${READS_PER_ROUND} reads/round`,
    `  GET …/token over HTTP          p50 ${f(median(tokenP50), 3)} ms   p99 ${f(median(tokenP99), 3)} ms`,
    `  raw ioredis GET (baseline)     p50 ${f(median(rawP50), 3)} ms   p99 ${f(median(rawP99), 3)} ms`,
    `  ratio                          p50 ${f(median(tokenP50) / median(rawP50), 1)}×   p99 ${f(median(tokenP99) / median(rawP99), 1)}×`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  await apiPool.close();
  await barePool.close();
  await readPool.close();
  await app.close();
  await bare.close();
  const leftovers = await redis.keys(`${prefix}*`);
  for (let i = 0; i < leftovers.length; i += 1000) await redis.del(...leftovers.slice(i, i + 1000));
  await redis.quit();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:service failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
