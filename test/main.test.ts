/**
 * `npm start` and `npm run api` as a user runs them (a child process): start-up failures are one clear line on
 * stderr with a non-zero exit, never a stack trace. The happy path runs the provisioned Temporal dev server (pretest
 * installs it): the banner's UI answers, the search attributes are registered, and Ctrl-C stops everything.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../src/embeddedTemporal';
import { SEARCH_ATTRIBUTES } from '../src/workflows/definitions';

const ROOT = join(__dirname, '..');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry point with a clean environment (no TEMPORAL_ADDRESS etc. leaking in from the test runner). */
function run(entry: string, env: Record<string, string>, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim().length > 0);

function dataDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'antom-auth-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Serial: the two embedded-server tests would both pick port 7233 while it is free, and the fake CLI's readiness
// check would then find the real server of the other test and report it started.
test.serial('npm start without TEMPORAL_ADDRESS runs the provisioned dev server: banner, a Temporal UI that answers, Ctrl-C stops it', async (t) => {
  const apiPort = await freePort(0);
  let sentSigint = false;
  let uiStatus: number | undefined;
  let searchAttributesListed = false;
  const outcome = await run('src/main.ts', { TEMPORAL_DATA_DIR: dataDir(t), API_PORT: String(apiPort) }, (stdout, child) => {
    if (sentSigint || !stdout.includes('Press Ctrl-C to stop.')) return;
    sentSigint = true;
    const ui = /Temporal UI\s+(http:\/\/localhost:\d+)/.exec(stdout)?.[1];
    const address = /Temporal\s+(127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    void (async () => {
      try {
        if (ui) uiStatus = (await fetch(`${ui}/namespaces/default/workflows`)).status;
        if (address) {
          // The banner's server is the real one, with our search attributes registered.
          const connection = await Connection.connect({ address });
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
          searchAttributesListed = Object.values(SEARCH_ATTRIBUTES).every((key) => customAttributes?.[key.name] !== undefined);
          await connection.close();
        }
      } finally {
        child.kill('SIGINT');
      }
    })();
  });
  t.true(sentSigint, `no banner; stderr: ${outcome.stderr}`);
  t.regex(outcome.stdout, /Temporal UI\s+http:\/\/localhost:\d+/);
  t.regex(outcome.stdout, new RegExp(`demo\\s+http://127\\.0\\.0\\.1:${apiPort}/demo`));
  t.is(uiStatus, 200, 'the Temporal UI URL in the banner answers');
  t.true(searchAttributesListed, 'the embedded server has the search attributes');
  t.is(outcome.code, 0, outcome.stderr);
});

test.serial('npm start with a TEMPORAL_CLI_PATH that cannot run: one line naming it, exit 1', async (t) => {
  const dir = dataDir(t);
  const fakeCli = join(dir, 'temporal');
  writeFileSync(fakeCli, '#!/bin/sh\nexit 3\n');
  chmodSync(fakeCli, 0o755);
  for (const cliPath of [join(dir, 'missing-binary'), fakeCli]) {
    const outcome = await run('src/main.ts', { TEMPORAL_DATA_DIR: dir, TEMPORAL_CLI_PATH: cliPath });
    t.is(outcome.code, 1);
    const errors = lines(outcome.stderr);
    t.is(errors.length, 1, outcome.stderr);
    t.true(errors[0]!.startsWith(`antom-auth: cannot start the embedded Temporal dev server: the Temporal CLI at ${cliPath} could not be started (`), errors[0]);
    t.regex(errors[0]!, /Run `bash scripts\/provision-temporal.sh`/);
    t.notRegex(outcome.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('npm start with an unreachable TEMPORAL_ADDRESS says so in one line', async (t) => {
  const outcome = await run('src/main.ts', { TEMPORAL_DATA_DIR: dataDir(t), TEMPORAL_ADDRESS: '127.0.0.1:1' });
  t.is(outcome.code, 1);
  t.deepEqual(lines(outcome.stderr), ['antom-auth: cannot reach Temporal at TEMPORAL_ADDRESS=127.0.0.1:1 (plaintext)']);
});

test('npm start with TLS files it cannot use names each, exit 2, before connecting anything', async (t) => {
  const dir = dataDir(t);
  const outcome = await run('src/main.ts', {
    TEMPORAL_DATA_DIR: dir, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: 'tk-never-printed-0123456789',
    TEMPORAL_TLS_CA_FILE: join(dir, 'missing-ca.pem'), TEMPORAL_TLS_CERT_FILE: join(dir, 'missing-cert.pem'), TEMPORAL_TLS_KEY_FILE: join(dir, 'missing-key.pem'),
  });
  t.is(outcome.code, 2);
  t.deepEqual(lines(outcome.stderr), [
    `antom-auth: TEMPORAL_TLS_CA_FILE: cannot read ${join(dir, 'missing-ca.pem')} (ENOENT)`,
    `antom-auth: TEMPORAL_TLS_CERT_FILE: cannot read ${join(dir, 'missing-cert.pem')} (ENOENT)`,
    `antom-auth: TEMPORAL_TLS_KEY_FILE: cannot read ${join(dir, 'missing-key.pem')} (ENOENT)`,
  ]);
  t.notRegex(outcome.stderr + outcome.stdout, /tk-never-printed/);
});

test('npm start with invalid configuration names each problem, exit 2', async (t) => {
  const outcome = await run('src/main.ts', { TEMPORAL_DATA_DIR: dataDir(t), API_PORT: 'eighty', API_KEYS: 'short' });
  t.is(outcome.code, 2);
  t.regex(outcome.stderr, /^antom-auth: API_PORT: /m);
  t.notRegex(outcome.stderr, /\n\s+at /);
});

test('npm run api names every setting it cannot do without', async (t) => {
  const outcome = await run('src/api/server.ts', {});
  t.is(outcome.code, 2);
  t.deepEqual(lines(outcome.stderr).map((line) => line.split(':')[1]!.trim()), ['TEMPORAL_ADDRESS', 'ENCRYPTION_KEYS', 'API_KEYS', 'ANTOM_BASE_URL / ANTOM_REGION and the ANTOM_* key files (or MERCHANTS_FILE)']);
});
