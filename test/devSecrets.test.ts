/**
 * The development key ring `npm start` keeps under TEMPORAL_DATA_DIR: runs that start at the same moment must end up
 * with the same key, or one run's encrypted history is unreadable to the other (and to every later run).
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_KEY_FILE, devKeyRing } from '../src/devSecrets';

const ROOT = join(__dirname, '..');
const RUNS = 8;

/**
 * A child that loads devSecrets, says "ready", then on "<epoch ms>" from stdin spins until that instant and calls
 * devKeyRing — so every run reaches the check-then-write at the same time, as racing `npm start`s would.
 * It prints a digest of the key it ended up with (not the key).
 */
const CHILD = `
const { createHash } = require('node:crypto');
const { devKeyRing } = require(${JSON.stringify(join(ROOT, 'src', 'devSecrets.ts'))});
const dir = process.argv[1];
process.stdout.write('ready\\n');
process.stdin.once('data', (chunk) => {
  const at = Number(chunk.toString().trim());
  while (performance.timeOrigin + performance.now() < at) {}
  const { keyRing } = devKeyRing(undefined, dir);
  process.stdout.write('key ' + createHash('sha256').update(keyRing.key(keyRing.currentKeyId)).digest('hex') + '\\n');
  process.exit(0);
});
`;

interface Run {
  child: ChildProcess;
  ready: Promise<void>;
  digest: Promise<string>;
}

function startRun(dir: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD, dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve();
    });
    child.on('close', () => reject(new Error(`child exited before it was ready: ${stderr}`)));
  });
  const digest = new Promise<string>((resolve, reject) => {
    child.on('close', (code) => {
      const match = /^key ([0-9a-f]{64})$/m.exec(stdout);
      if (code === 0 && match) resolve(match[1]!);
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
  ready.catch(() => undefined); // reported through `digest` when the child dies early
  return { child, ready, digest };
}

function keyDigest(dir: string): string {
  const { keyRing } = devKeyRing(undefined, dir);
  return createHash('sha256').update(keyRing.key(keyRing.currentKeyId)).digest('hex');
}

test('runs generating the dev key at the same moment all end up with the key left in the file', async (t) => {
  t.timeout(120_000);
  const dir = join(mkdtempSync(join(tmpdir(), 'antom-dev-secrets-')), 'data'); // not created yet, as on a first run
  t.teardown(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  const runs = Array.from({ length: RUNS }, () => startRun(dir));
  t.teardown(() => runs.forEach((run) => run.child.kill('SIGKILL')));
  await Promise.all(runs.map((run) => run.ready));
  const at = Date.now() + 200;
  for (const run of runs) run.child.stdin!.end(`${at}\n`);
  const digests = await Promise.all(runs.map((run) => run.digest));

  t.is(new Set(digests).size, 1, 'every run holds the same key');
  t.is(digests[0], keyDigest(dir), 'and it is the key a later run reads from the file');
  t.deepEqual(readdirSync(dir), [DEV_KEY_FILE], 'no temporary files are left behind');
  t.is(statSync(join(dir, DEV_KEY_FILE)).mode & 0o777, 0o600, 'the key file is readable by its owner only');
});

test('a later run reuses the key file instead of generating a new key', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'antom-dev-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = devKeyRing(undefined, dir);
  const written = readFileSync(join(dir, DEV_KEY_FILE), 'utf8');
  t.is(first.file, join(dir, DEV_KEY_FILE));
  t.is(keyDigest(dir), createHash('sha256').update(first.keyRing.key(first.keyRing.currentKeyId)).digest('hex'));
  t.is(readFileSync(join(dir, DEV_KEY_FILE), 'utf8'), written, 'the file is not rewritten');
});
