/**
 * Issue 12 §4, the authCode's minute: in Scan to Link (a QR on a web page, no redirect back) the AUTHCODE_CREATED
 * notification is the only way the authCode arrives, and the code dies one minute after issue; Antom's first resend
 * comes two minutes later. Here the customer consents while Temporal is down for 10 seconds: the API retries the
 * delivery inside the request (NOTIFICATION_DELIVERY_RETRY_MS, default 25 s) and the authorization becomes ACTIVE
 * within the minute, without any resend and without the redirect.
 *
 * Everything is real and this file's own: a Temporal dev server persisting to its own SQLite file (stopped and
 * restarted on the same port), a Worker (createWorker), the API (createApiService) listening on a port the sandbox
 * notifies, the sandbox on the real clock, Redis under a unique prefix.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { AntomClient } from '../../src/antom/client';
import { createApiService } from '../../src/api/apiService';
import { allScopesKey } from '../../src/apiKeys';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { loadConfig } from '../../src/config';
import { freePort } from '../../src/embeddedTemporal';
import { createLogger } from '../../src/logger';
import { createServiceMetrics } from '../../src/metrics';
import { startSandbox } from '../../src/sandbox';
import { createWorker } from '../../src/worker';
import { allKeys, REDIS_URL } from '../store/redisTestContext';
import { startDevServer, type DevServer } from '../support/devServer';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';

const MERCHANT = 'SANDBOX_OUTAGE_TEST_MERCHANT';
const API_KEY = 'outage-test-api-key-0123456789';
const OUTAGE_MS = 10_000;

test('Scan to Link: consent given during a 10-second Temporal outage arrives by AUTHCODE_CREATED alone and the authorization becomes ACTIVE within the code\'s minute', async (t) => {
  t.timeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'antom-auth-outage-'));
  const dbFilename = join(dir, 'temporal.sqlite');
  const temporalPort = await freePort(0);
  let server: DevServer | undefined = await startDevServer({ port: temporalPort, dbFilename });
  const address = server.address;

  const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  const prefix = `test:outage:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', name: 'outage-test' }, new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));
  const apiPort = await freePort(0);
  const url = `http://127.0.0.1:${apiPort}`;
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
    notificationPollIntervalMs: 25,
    // Longer than our in-request retries, so the first attempt's own answer is seen (Antom's timeout is unknown).
    notificationTimeoutMs: 60_000,
    logger: logger.child({ component: 'sandbox' }),
  });
  const common = { clientId: MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: sandbox.publicKey, baseUrl: sandbox.url };
  const antom = new AntomClient({ ...common, platform: 'antom' });
  const alipayplus = new AntomClient({ ...common, platform: 'alipayplus' });
  const taskQueue = `outage-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'debug',
  });
  // Connections of our own, not the server environment's: they must outlive the server process and reconnect.
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker(config, {
    connection: nativeConnection,
    antom: { antom, alipayplus },
    keyRing,
    redis,
    logger: logger.child({ component: 'worker' }),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter: createEncryptingDataConverter(keyRing) });
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const app = await createApiService({
    config: {
      ...config,
      api: { host: '127.0.0.1', port: apiPort, keys: [allScopesKey(API_KEY)], publicBaseUrl: url, resultPageUrl: `${url}/demo/result`, codecCorsOrigin: 'http://localhost:8233', demoEnabled: false },
    },
    logger: logger.child({ component: 'api' }),
    keyRing,
    redis,
    workflowClient: client.workflow,
    temporalReady: async () => undefined,
    notificationKeys: { publicKey: sandbox.publicKey, clientIds: [MERCHANT] },
    metrics,
  });
  await app.listen({ host: '127.0.0.1', port: apiPort });
  t.teardown(async () => {
    await app.close();
    worker.shutdown();
    await running.catch(() => undefined);
    await nativeConnection.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await server?.teardown();
    await antom.close();
    await alipayplus.close();
    await sandbox.close();
    const keys = await allKeys(redis, prefix);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });

  // A Scan to Link consult: terminalType WEB, the QR is shown on the merchant's page.
  const linked = await api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: 'GCASH', customerId: 'scan-to-link-1', terminalType: 'WEB' }) });
  t.is(linked.status, 200, await linked.clone().text());
  const answer = (await linked.json()) as { state: string; authState: string; qrImageUrl?: string };
  t.is(answer.state, 'AWAITING_AUTH_CODE');
  t.truthy(answer.qrImageUrl, 'a QR to scan');

  // Temporal goes away; the customer scans and approves in the wallet meanwhile. Only the notification carries the code.
  await server.teardown();
  server = undefined;
  const approvedAt = Date.now();
  const approved = sandbox.admin.approve({ authState: answer.authState, clientId: MERCHANT });
  t.truthy(approved.authCode);
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  server = await startDevServer({ port: temporalPort, dbFilename });
  const backAt = Date.now();

  // Nobody follows approved.redirectUrl: Scan to Link has no redirect back to the merchant.
  let state = '';
  while (Date.now() - approvedAt < 60_000) {
    const response = await api('/authorizations/GCASH/scan-to-link-1').catch(() => undefined);
    if (response?.ok) state = ((await response.json()) as { state: string }).state;
    if (state === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const activeAfterMs = Date.now() - approvedAt;
  t.log(`Temporal back ${backAt - approvedAt} ms after the consent; ACTIVE ${activeAfterMs} ms after it`);
  t.is(state, 'ACTIVE', 'the consent was not lost');
  t.true(activeAfterMs < 60_000, 'within the authCode\'s minute');

  const notification = sandbox.admin.notifications().find((n) => n.type === 'AUTHCODE_CREATED');
  t.is(notification?.attempts.length, 1, 'no resend was needed');
  t.is(notification?.status, 'ACKNOWLEDGED');
  const text = (await metrics.render()).body;
  t.regex(text, /antom_auth_notifications_total\{platform="antom",type="AUTHCODE_CREATED",outcome="delivered"\} 1/);
  // One request spanned the outage: sent while Temporal was down, answered 200 once it was back (the client's own
  // gRPC retries and ours, within NOTIFICATION_DELIVERY_RETRY_MS).
  t.true(notification!.attempts[0]!.at < backAt, 'the only attempt was sent during the outage');
  const tokenResponse = await api('/authorizations/GCASH/scan-to-link-1/token');
  t.is(tokenResponse.status, 200, 'the token serves payments');
  t.false(logs.join('').includes(approved.authCode), 'the authCode is never logged');
});
