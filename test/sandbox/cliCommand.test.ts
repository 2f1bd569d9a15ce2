import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AntomClient } from '../../src/antom/client';
import { loadPublicKey } from '../../src/antom/keys';
import { UsageError } from '../../src/cli/command';
import { runSandbox } from '../../src/sandbox/cliCommand';
import { fixtureKeyPaths, merchantKeys } from '../support/fixtureKeys';

function io() {
  const out = { text: '' };
  return {
    out,
    io: { stdin: Readable.from([]), stdout: { write: (s: string) => (out.text += s) }, stderr: { write: (s: string) => (out.text += s) } },
  };
}

test('antom-auth sandbox: starts with merchants from --merchant and --config, prints where, serves the real client, stops', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  const configPath = join(dir, 'sandbox.json');
  writeFileSync(configPath, JSON.stringify({ merchants: [{ clientId: 'FROM_CONFIG', publicKeyFile: fixtureKeyPaths.merchantPublicPem }], authCodeLifetimeMs: 30_000 }));
  const keyOut = join(dir, 'antom-public.pem');
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const { io: cliIo, out } = io();
  const running = runSandbox(
    ['--port', '0', '--admin-port', '0', '--merchant', `FROM_FLAG=${fixtureKeyPaths.merchantPublicPem}`, '--config', configPath, '--public-key-out', keyOut, '--log-level', 'silent'],
    cliIo,
    stopped,
  );
  const deadline = Date.now() + 5_000;
  while (!out.text.includes('END PUBLIC KEY') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const url = /API:\s+(\S+)/.exec(out.text)?.[1] ?? '';
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.regex(out.text, /FROM_CONFIG, FROM_FLAG/);
  for (const clientId of ['FROM_CONFIG', 'FROM_FLAG']) {
    const client = new AntomClient({ clientId, privateKey: merchantKeys.privateKey, antomPublicKey: loadPublicKey(readFileSync(keyOut, 'utf8')), baseUrl: url });
    t.is((await client.revoke({ accessToken: 'not-a-token-anyone-issued' })).removal, 'already-gone');
    await client.close();
  }
  stop();
  t.is(await running, 0);
  await t.throwsAsync(fetch(`${url}/sandbox/public-key.pem`));
});

/** Starts the CLI sandbox with `args` (plus ephemeral ports and one merchant) and waits for its banner. */
async function startCli(args: string[]): Promise<{ url: string; banner: string; stop: () => Promise<number> }> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const { io: cliIo, out } = io();
  const running = runSandbox(
    ['--port', '0', '--admin-port', '0', '--merchant', `FROM_FLAG=${fixtureKeyPaths.merchantPublicPem}`, '--log-level', 'silent', ...args],
    cliIo,
    stopped,
  );
  const deadline = Date.now() + 5_000;
  while (!out.text.includes('END PUBLIC KEY') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return {
    url: /API:\s+(\S+)/.exec(out.text)?.[1] ?? '',
    banner: out.text,
    stop: () => {
      stop();
      return running;
    },
  };
}

async function consultUrl(sandboxUrl: string, banner: string): Promise<string> {
  const antomPublicKey = loadPublicKey(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(banner)![0]);
  const client = new AntomClient({ clientId: 'FROM_FLAG', privateKey: merchantKeys.privateKey, antomPublicKey, baseUrl: sandboxUrl });
  try {
    const response = await client.consult({
      customerBelongsTo: 'GCASH', authRedirectUrl: 'https://merchant.example/return', scopes: ['AGREEMENT_PAY'], authState: 'state-public-origin', terminalType: 'WEB',
    });
    return response.normalUrl ?? '';
  } finally {
    await client.close();
  }
}

test('antom-auth sandbox --public-origin: consent URLs are built on that origin while the API stays on its bind address', async (t) => {
  const cli = await startCli(['--public-origin', 'http://localhost:4999/']);
  t.regex(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.regex(cli.banner, /consent pages on: http:\/\/localhost:4999\n/);
  const normalUrl = await consultUrl(cli.url, cli.banner);
  t.regex(normalUrl, /^http:\/\/localhost:4999\/wallet\/authorize\/\S+$/, 'the trailing slash is normalised away, not doubled');
  // The same page is what the sandbox serves on its own address: only the origin was replaced.
  const page = await fetch(`${cli.url}${new URL(normalUrl).pathname}`);
  t.is(page.status, 200);
  t.is(await cli.stop(), 0);
});

test('antom-auth sandbox without --public-origin: consent URLs are on its own URL', async (t) => {
  const cli = await startCli([]);
  t.notRegex(cli.banner, /consent pages on/);
  t.true((await consultUrl(cli.url, cli.banner)).startsWith(`${cli.url}/wallet/authorize/`));
  t.is(await cli.stop(), 0);
});

test('antom-auth sandbox: a --public-origin that is not an http(s) origin is a usage error naming the flag', async (t) => {
  const never = new Promise<void>(() => undefined);
  for (const bad of ['localhost:4010', 'not a url', 'ftp://localhost:4010', 'http://localhost:4010/sandbox', 'http://localhost:4010/?x=1', 'http://user:pw@localhost:4010']) {
    const error = await t.throwsAsync(runSandbox(['--port', '0', '--admin-port', '0', '--public-origin', bad], io().io, never), { instanceOf: UsageError }, bad);
    t.regex(error?.message ?? '', /^--public-origin must be/, bad);
  }
});

test('antom-auth sandbox: bad arguments are usage errors', async (t) => {
  const never = new Promise<void>(() => undefined);
  await t.throwsAsync(runSandbox(['--port', 'abc'], io().io, never), { instanceOf: UsageError });
  await t.throwsAsync(runSandbox(['--merchant', 'NOEQUALS'], io().io, never), { instanceOf: UsageError });
  await t.throwsAsync(runSandbox(['--config', '/nonexistent/sandbox.json'], io().io, never), { instanceOf: UsageError });
});

test('antom-auth sandbox: when --public-key-out cannot be written, the sandbox it started is closed (its port is free again)', async (t) => {
  const probe = createServer();
  const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)));
  await new Promise((resolve) => probe.close(resolve));
  const never = new Promise<void>(() => undefined);
  await t.throwsAsync(
    runSandbox(['--port', String(port), '--admin-port', '0', '--public-key-out', '/nonexistent/dir/antom.pem', '--log-level', 'silent'], io().io, never),
    { message: /ENOENT/ },
  );
  const rebind = createServer();
  await t.notThrowsAsync(new Promise<void>((resolve, reject) => {
    rebind.once('error', reject);
    rebind.listen(port, '127.0.0.1', () => resolve());
  }));
  await new Promise((resolve) => rebind.close(resolve));
});

test('antom-auth sandbox: a --config that is JSON of the wrong shape is a usage error naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  const never = new Promise<void>(() => undefined);
  for (const [content, message] of [
    ['null', /must be a JSON object/],
    ['[]', /must be a JSON object/],
    ['{"merchants":{}}', /merchants must be an array/],
    ['{"merchants":[null]}', /every merchant needs a clientId/],
  ] as const) {
    const configPath = join(dir, 'sandbox.json');
    writeFileSync(configPath, content);
    const error = await t.throwsAsync(runSandbox(['--port', '0', '--admin-port', '0', '--config', configPath], io().io, never), { instanceOf: UsageError }, content);
    t.regex(error?.message ?? '', message, content);
    t.true(error?.message.startsWith(`--config ${configPath}:`), content);
  }
});
