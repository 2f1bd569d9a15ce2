// The worker's start-up checks, as an operator meets them: `npm run worker` with a broken setting prints one line
// naming the setting — no stack trace, no secret — and exits non-zero; plus the production prebundle entry.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEncryptionKey } from '../src/codec/keyRing';
import { loadConfig } from '../src/config';
import { freePort } from '../src/embeddedTemporal';
import { buildWorkflowBundle, createWorker, WorkerStartupError } from '../src/worker';
import { fixtureKeyPaths } from './support/fixtureKeys';

const ROOT = join(__dirname, '..');
const ENCRYPTION_KEY = generateEncryptionKey();

/** A complete, valid-looking environment; each test breaks one thing. */
const baseEnv = (): Record<string, string> => ({
  ENCRYPTION_KEYS: `k1:${ENCRYPTION_KEY}`,
  ANTOM_BASE_URL: 'http://127.0.0.1:9',
  ANTOM_CLIENT_ID: 'SANDBOX_MERCHANT_1',
  ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem,
  ANTOM_PUBLIC_KEY_FILE: fixtureKeyPaths.antomPublicPem,
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  TEMPORAL_ADDRESS: '127.0.0.1:1',
  LOG_LEVEL: 'silent',
});

interface Run {
  code: number | null;
  stderr: string;
  lines: string[];
}

/** Runs `src/worker.ts` as `npm run worker` would (tsx), with exactly `env` (plus PATH/HOME). */
function runWorker(env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'worker.ts'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stderr, lines: stderr.split('\n').filter((line) => line.trim() !== '') });
      },
    );
  });
}

function assertOneCleanLine(t: import('ava').ExecutionContext, run: Run, pattern: RegExp, secrets: string[] = []): void {
  t.is(run.lines.length, 1, `expected one line, got:\n${run.stderr}`);
  t.regex(run.lines[0]!, pattern);
  t.notRegex(run.stderr, /^\s+at /m, 'no stack trace');
  for (const secret of secrets) t.false(run.stderr.includes(secret), 'a secret was printed');
}

test('missing Antom private key file → one line naming the setting and path, exit 2', async (t) => {
  const run = await runWorker({ ...baseEnv(), ANTOM_PRIVATE_KEY_FILE: '/nonexistent/merchant.pem' });
  t.is(run.code, 2);
  assertOneCleanLine(t, run, /^antom-auth worker: ANTOM_PRIVATE_KEY_FILE: key file \/nonexistent\/merchant\.pem cannot be read \(ENOENT\)$/, [ENCRYPTION_KEY]);
});

test('a file that is not a private key → one line, the file content is not echoed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'worker-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bogus = join(dir, 'key.pem');
  writeFileSync(bogus, 'PRIVATE-MATERIAL-THAT-IS-NOT-A-KEY');
  const run = await runWorker({ ...baseEnv(), ANTOM_PRIVATE_KEY_FILE: bogus });
  t.is(run.code, 2);
  assertOneCleanLine(t, run, /ANTOM_PRIVATE_KEY_FILE: .*key\.pem/, ['PRIVATE-MATERIAL-THAT-IS-NOT-A-KEY']);
});

test('a bad encryption key → one line naming ENCRYPTION_KEYS and the key id, never the key', async (t) => {
  const shortKey = Buffer.from('only-sixteen-byt').toString('base64');
  const run = await runWorker({ ...baseEnv(), ENCRYPTION_KEYS: `rotated:${shortKey}` });
  t.is(run.code, 2);
  assertOneCleanLine(t, run, /^antom-auth worker: ENCRYPTION_KEYS: key "rotated": the key must decode to 32 bytes, got 16$/, [shortKey]);
});

test('no encryption key at all → one line saying what it is for', async (t) => {
  const env = baseEnv();
  delete (env as Partial<Record<string, string>>).ENCRYPTION_KEYS;
  const run = await runWorker(env);
  t.is(run.code, 2);
  assertOneCleanLine(t, run, /^antom-auth worker: ENCRYPTION_KEYS: not set/);
});

test('unreachable Redis → one line with host:port, never the password in the URL; exit 1', async (t) => {
  const run = await runWorker({ ...baseEnv(), REDIS_URL: 'redis://:hunter2-redis-password@127.0.0.1:1', TEMPORAL_ADDRESS: '127.0.0.1:1' });
  t.is(run.code, 1);
  const redisLines = run.lines.filter((line) => line.includes('REDIS_URL'));
  t.is(redisLines.length, 1);
  t.regex(redisLines[0]!, /^antom-auth worker: REDIS_URL: Redis at 127\.0\.0\.1:1 is unreachable \(ECONNREFUSED\)$/);
  t.notRegex(run.stderr, /^\s+at /m);
  t.false(run.stderr.includes('hunter2-redis-password'));
});

test('unreachable Temporal (Redis fine) → one line naming TEMPORAL_ADDRESS', async (t) => {
  const run = await runWorker(baseEnv());
  t.is(run.code, 1);
  assertOneCleanLine(t, run, /^antom-auth worker: TEMPORAL_ADDRESS: Temporal at 127\.0\.0\.1:1 is unreachable \(ConnectionRefused\)$/);
});

/** A TCP server that accepts and never answers: a Temporal address the worker waits on until its start-up timeout. */
async function silentServer(t: import('ava').ExecutionContext): Promise<number> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createNetServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

test('WORKER_METRICS_PORT: the worker serves GET /metrics (the service metrics; SDK ones merged once the runtime has any) from start-up on', async (t) => {
  const metricsPort = await freePort(0);
  const temporalPort = await silentServer(t);
  const running = runWorker({ ...baseEnv(), TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, WORKER_METRICS_PORT: String(metricsPort) });
  let exited = false;
  void running.then(() => (exited = true));
  let body = '';
  // Polled until served or the process is gone (tsx start-up under a loaded test run takes seconds).
  while (body === '' && !exited) {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
    if (response?.status === 200) body = await response.text();
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.regex(body, /^# TYPE antom_auth_antom_calls_total counter$/m);
  t.regex(body, /^antom_auth_refresh_lead_time_seconds_count 0$/m);
  t.regex(body, /^antom_auth_process_cpu_seconds_total /m, 'process metrics of the worker itself');
  // Temporal never answers: start-up fails with the usual single line, and the endpoint goes away with the process.
  const run = await running;
  t.is(run.code, 1);
  assertOneCleanLine(t, run, /^antom-auth worker: TEMPORAL_ADDRESS: Temporal at 127\.0\.0\.1:\d+ is unreachable/);
  await t.throwsAsync(fetch(`http://127.0.0.1:${metricsPort}/metrics`));
});

test('WORKER_METRICS_PORT already in use → one line naming the setting and the port, exit 1', async (t) => {
  const taken = createNetServer();
  await new Promise<void>((resolve) => taken.listen(0, resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const run = await runWorker({ ...baseEnv(), WORKER_METRICS_PORT: String(port) });
  t.is(run.code, 1);
  assertOneCleanLine(t, run, new RegExp(`^antom-auth worker: WORKER_METRICS_PORT: cannot listen on port ${port} \\(already in use\\)$`));
});

test('createWorker reports configuration problems as WorkerStartupError before connecting anything', async (t) => {
  const config = loadConfig({ ...baseEnv(), ANTOM_PUBLIC_KEY_FILE: '/nonexistent/antom.pem', ANTOM_PRIVATE_KEY_FILE: '/nonexistent/merchant.pem' });
  const error = await t.throwsAsync(createWorker(config), { instanceOf: WorkerStartupError });
  t.is(error!.kind, 'configuration');
  t.deepEqual(error!.problems, [
    'ANTOM_PRIVATE_KEY_FILE: key file /nonexistent/merchant.pem cannot be read (ENOENT)',
    'ANTOM_PUBLIC_KEY_FILE: key file /nonexistent/antom.pem cannot be read (ENOENT)',
  ]);
  const noAntom = loadConfig({ ENCRYPTION_KEYS: `k1:${ENCRYPTION_KEY}`, LOG_LEVEL: 'silent' });
  const missing = await t.throwsAsync(createWorker(noAntom), { instanceOf: WorkerStartupError });
  t.regex(missing!.message, /ANTOM_BASE_URL \/ ANTOM_REGION \(or MERCHANTS_FILE\): not set/);
  // Several merchants: every merchant's key files are read, each problem names the merchant and keyVersion.
  const dir = mkdtempSync(join(tmpdir(), 'merchants-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const merchant = (id: string, privateKey: string) => ({ id, platform: 'antom', clientId: id.toUpperCase(), region: 'sea', privateKeys: { 1: privateKey }, publicKeys: { 1: '/nonexistent/antom.pem' } });
  writeFileSync(join(dir, 'merchants.json'), JSON.stringify({ merchants: [merchant('shop-a', '/nonexistent/a.pem'), merchant('shop-b', '/nonexistent/b.pem')] }));
  const merchants = loadConfig({ ENCRYPTION_KEYS: `k1:${ENCRYPTION_KEY}`, LOG_LEVEL: 'silent', MERCHANTS_FILE: join(dir, 'merchants.json') });
  const several = await t.throwsAsync(createWorker(merchants), { instanceOf: WorkerStartupError });
  t.is(several!.kind, 'configuration');
  for (const id of ['shop-a', 'shop-b']) {
    t.true(several!.problems.some((p) => p.startsWith(`MERCHANTS_FILE ${id}.privateKeys["1"]`) && p.includes('ENOENT')), several!.problems.join('\n'));
    t.true(several!.problems.some((p) => p.startsWith(`MERCHANTS_FILE ${id}.publicKeys["1"]`)), several!.problems.join('\n'));
  }
});

test('a missing TEMPORAL_ADDRESS is reported, not defaulted', async (t) => {
  const env = baseEnv();
  delete (env as Partial<Record<string, string>>).TEMPORAL_ADDRESS;
  const error = await t.throwsAsync(createWorker(loadConfig(env), { startupTimeoutMs: 20_000 }), { instanceOf: WorkerStartupError });
  t.deepEqual(error!.problems, ['TEMPORAL_ADDRESS: not set — `npm run worker` needs a Temporal server (host:port); `npm start` embeds one']);
});

test('buildWorkflowBundle writes a loadable bundle with the workflow and the encrypting failure converter', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'workflow-bundle.js');
  const { path, bytes } = await buildWorkflowBundle(out);
  t.is(path, out);
  const code = readFileSync(out, 'utf8');
  t.is(Buffer.byteLength(code), bytes);
  t.true(code.includes('authorizationWorkflow'));
  t.true(code.includes('encodeCommonAttributes'), 'failures are encoded (and so encrypted) inside the workflow sandbox');
});

test('`tsx src/worker.ts --bundle` without a path is a usage error', async (t) => {
  const run = await runWorker({}, ['--bundle']);
  t.is(run.code, 2);
  assertOneCleanLine(t, run, /^usage: tsx src\/worker\.ts --bundle <out\.js>$/);
});
