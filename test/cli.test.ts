/**
 * Runs the real `antom-auth` binary (bin/antom-auth.js → tsx → src/cli.ts) as a user would, and checks its
 * signatures against the openssl CLI rather than against our own verifier.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fixtureKeyPaths } from './support/fixtureKeys';

const BIN = resolve(__dirname, '..', 'bin', 'antom-auth.js');
const PATH = '/ams/api/v1/authorizations/applyToken';
const CLIENT_ID = 'CLIENT_123';
const TIME = '1735689600000';
const BODY = '{"grantType":"REFRESH_TOKEN","refreshToken":"r-1","note":"中文 😀"}';

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : NaN) : 0;
      if (Number.isNaN(code)) reject(error);
      else resolvePromise({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'antom-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const opensslAvailable = spawnSync('openssl', ['version']).status === 0;

/** The bytes antom-api.md §2 says are signed, built independently of src/antom. */
const messageBytes = (path: string, clientId: string, time: string, body: string): Buffer =>
  Buffer.from(`POST ${path}\n${clientId}.${time}.${body}`, 'utf8');

function headerSignatureValue(stdout: string): string {
  const match = /^signature: algorithm=RSA256,keyVersion=(\S+),signature=(\S+)$/m.exec(stdout);
  if (!match) throw new Error(`no signature header in output:\n${stdout}`);
  return match[2]!;
}

function opensslVerifies(dir: string, publicKeyPath: string, message: Buffer, encodedSignature: string): boolean {
  const messagePath = join(dir, 'message.txt');
  const signaturePath = join(dir, 'signature.bin');
  writeFileSync(messagePath, message);
  const base64 = encodedSignature.replace(/%2B/g, '+').replace(/%2F/g, '/').replace(/%3D/g, '=');
  writeFileSync(signaturePath, Buffer.from(base64, 'base64'));
  return spawnSync('openssl', ['dgst', '-sha256', '-verify', publicKeyPath, '-signature', signaturePath, messagePath]).status === 0;
}

function opensslSignHeaderValue(dir: string, message: Buffer): string {
  const messagePath = join(dir, 'to-sign.txt');
  writeFileSync(messagePath, message);
  const signature = execFileSync('openssl', ['dgst', '-sha256', '-sign', fixtureKeyPaths.merchantPrivatePkcs8Pem, messagePath]);
  return signature.toString('base64').replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
}

const assertNoStackTrace = (t: ExecutionContext, text: string): void => {
  t.notRegex(text, /^\s+at /m, 'no stack trace');
};

test('sign --body-file: prints the exact string-to-sign and a header that openssl verifies', async (t) => {
  const dir = tempDir(t);
  const bodyFile = join(dir, 'body.json');
  writeFileSync(bodyFile, BODY);
  const result = await run([
    'signature', 'sign', '--key', fixtureKeyPaths.merchantPrivatePkcs8Pem,
    '--client-id', CLIENT_ID, '--path', PATH, '--time', TIME, '--body-file', bodyFile,
  ]);
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, '');
  const expected = `POST ${PATH}\n${CLIENT_ID}.${TIME}.${BODY}`;
  t.true(result.stdout.includes(`\n${JSON.stringify(expected)}\n`), result.stdout);
  t.true(result.stdout.includes(`(UTF-8, ${Buffer.byteLength(expected)} bytes`));
  t.regex(result.stdout, new RegExp(`^request-time: ${TIME}$`, 'm'));
  if (!opensslAvailable) return;
  const value = headerSignatureValue(result.stdout);
  t.true(opensslVerifies(dir, fixtureKeyPaths.merchantPublicPem, messageBytes(PATH, CLIENT_ID, TIME, BODY), value));
  t.false(opensslVerifies(dir, fixtureKeyPaths.merchantPublicPem, messageBytes(PATH, CLIENT_ID, TIME, `${BODY} `), value));
});

test('sign from stdin with the default time: signs now in epoch ms, and the bare-base64 PKCS#1 key works too', async (t) => {
  const before = Date.now();
  const result = await run(
    ['signature', 'sign', '--key', fixtureKeyPaths.merchantPrivatePkcs1Base64, '--client-id', CLIENT_ID, '--path', PATH, '--key-version', '7'],
    BODY,
  );
  const after = Date.now();
  t.is(result.code, 0, result.stderr);
  const time = /^request-time: (\d+)$/m.exec(result.stdout)?.[1];
  t.truthy(time);
  t.true(Number(time) >= before && Number(time) <= after, `${time} within [${before}, ${after}]`);
  t.regex(result.stdout, /^signature: algorithm=RSA256,keyVersion=7,signature=/m);
  if (!opensslAvailable) return;
  const dir = tempDir(t);
  t.true(opensslVerifies(dir, fixtureKeyPaths.merchantPublicPem, messageBytes(PATH, CLIENT_ID, time!, BODY), headerSignatureValue(result.stdout)));
});

test('sign keeps a trailing newline in the signed bytes and warns about it', async (t) => {
  const result = await run(
    ['signature', 'sign', '--key', fixtureKeyPaths.merchantPrivatePkcs8Pem, '--client-id', CLIENT_ID, '--path', PATH, '--time', TIME],
    `${BODY}\n`,
  );
  t.is(result.code, 0);
  t.true(result.stdout.includes(JSON.stringify(`POST ${PATH}\n${CLIENT_ID}.${TIME}.${BODY}\n`)));
  t.regex(result.stderr, /warning: the body ends with a newline/);
});

const verifyArgs = (signature: string, extra: string[] = []): string[] => [
  'signature', 'verify', '--key', fixtureKeyPaths.merchantPublicPem,
  '--client-id', CLIENT_ID, '--path', PATH, '--time', TIME, '--signature', signature, ...extra,
];

(opensslAvailable ? test : test.skip)('verify: an openssl-made signature is VALID, as a full header (spaced) or a bare value', async (t) => {
  const dir = tempDir(t);
  const value = opensslSignHeaderValue(dir, messageBytes(PATH, CLIENT_ID, TIME, BODY));
  for (const signature of [`algorithm=RSA256, keyVersion=1, signature=${value}`, `signature: algorithm=RSA256,keyVersion=1,signature=${value}`, value]) {
    const result = await run(verifyArgs(signature), BODY);
    t.is(result.code, 0, `${signature}\n${result.stdout}${result.stderr}`);
    t.regex(result.stdout, /^verdict: VALID/m);
    t.true(result.stdout.includes(JSON.stringify(`POST ${PATH}\n${CLIENT_ID}.${TIME}.${BODY}`)));
  }
});

test('verify: a tampered body, another time, or the wrong key is INVALID with exit 1', async (t) => {
  const signed = await run(
    ['signature', 'sign', '--key', fixtureKeyPaths.merchantPrivatePkcs8Pem, '--client-id', CLIENT_ID, '--path', PATH, '--time', TIME, '--body', BODY],
  );
  t.is(signed.code, 0, signed.stderr);
  const header = /^signature: (.+)$/m.exec(signed.stdout)![1]!;

  const valid = await run(verifyArgs(header), BODY);
  t.is(valid.code, 0, valid.stdout + valid.stderr);

  const tamperedBody = await run(verifyArgs(header), BODY.replace('r-1', 'r-2'));
  t.is(tamperedBody.code, 1);
  t.regex(tamperedBody.stdout, /^verdict: INVALID/m);

  const otherTime = await run([...verifyArgs(header).slice(0, 8), '--time', '1735689600001', '--signature', header], BODY);
  t.is(otherTime.code, 1);

  const wrongKey = await run(verifyArgs(header).map((arg) => (arg === fixtureKeyPaths.merchantPublicPem ? fixtureKeyPaths.unrelatedPublicPem : arg)), BODY);
  t.is(wrongKey.code, 1);
  t.regex(wrongKey.stdout, /^verdict: INVALID/m);
});

test('usage: no command, unknown command, and --help', async (t) => {
  const none = await run([]);
  t.is(none.code, 2);
  t.regex(none.stderr, /missing command[\s\S]*signature\s+sign or verify/);

  const unknown = await run(['frobnicate']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command 'frobnicate'/);

  const help = await run(['signature', 'sign', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /antom-auth signature sign\s+--key <private\.pem>/);
});

test('bad arguments: message and exit 2, never a stack trace', async (t) => {
  const key = fixtureKeyPaths.merchantPrivatePkcs8Pem;
  const cases: Array<[string[], RegExp]> = [
    [['signature'], /missing action: sign or verify/],
    [['signature', 'forge'], /unknown action 'forge'/],
    [['signature', 'sign', '--key', key, '--path', PATH, '--body', '{}'], /missing --client-id/],
    [['signature', 'sign', '--key', key, '--client-id', CLIENT_ID, '--path', PATH, '--body', '{}', '--bogus'], /Unknown option '--bogus'/],
    [['signature', 'sign', '--key', key, '--client-id', CLIENT_ID, '--path', `https://open-sea-global.alipay.com${PATH}`, '--body', '{}'], /--path is the URI path without scheme or host/],
    [['signature', 'sign', '--key', key, '--client-id', CLIENT_ID, '--path', PATH, '--body', '{}', '--body-file', 'x'], /not both/],
    [['signature', 'sign', '--key', key, '--client-id', CLIENT_ID, '--path', PATH, '--body-file', '/nonexistent/body.json'], /cannot read --body-file \/nonexistent\/body\.json \(ENOENT\)/],
    [['signature', 'sign', '--key', '/nonexistent/key.pem', '--client-id', CLIENT_ID, '--path', PATH, '--body', '{}'], /key file \/nonexistent\/key\.pem cannot be read \(ENOENT\)/],
    [['signature', 'sign', '--key', fixtureKeyPaths.ecP256PrivatePem, '--client-id', CLIENT_ID, '--path', PATH, '--body', '{}'], /is ec, expected RSA/],
    [['signature', 'verify', '--key', fixtureKeyPaths.merchantPublicPem, '--client-id', CLIENT_ID, '--path', PATH, '--body', '{}', '--signature', 'abc'], /missing --time/],
    [['signature', 'verify', '--key', fixtureKeyPaths.merchantPublicPem, '--client-id', CLIENT_ID, '--path', PATH, '--time', TIME, '--body', '{}', '--signature', 'algorithm=RSA256,signature='], /no value after "signature="/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    t.is(result.code, 2, `${args.join(' ')}\n${result.stderr}`);
    t.regex(result.stderr, message);
    t.is(result.stdout, '', 'nothing half-done on stdout');
    assertNoStackTrace(t, result.stderr);
  }
});

test('an action named like an Object.prototype member is an unknown action, not a crash', async (t) => {
  for (const action of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const result = await run(['signature', action]);
    t.is(result.code, 2, `${action}\n${result.stderr}`);
    t.regex(result.stderr, new RegExp(`unknown action '${action}'`));
    assertNoStackTrace(t, result.stderr);
  }
});

test('a bad private key is reported without echoing key material', async (t) => {
  const dir = tempDir(t);
  const keyFile = join(dir, 'broken.pem');
  copyFileSync(fixtureKeyPaths.truncatedPrivatePem, keyFile);
  const fakeBody = readFileSync(keyFile, 'utf8').split('\n')[1]!;
  const result = await run(['signature', 'sign', '--key', keyFile, '--client-id', CLIENT_ID, '--path', PATH, '--body', '{}']);
  t.is(result.code, 2);
  t.regex(result.stderr, /private key \(.*broken\.pem\) could not be parsed/);
  t.false(result.stderr.includes(fakeBody.slice(0, 16)));
  assertNoStackTrace(t, result.stderr);
});
