import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test('antom-auth sandbox: bad arguments are usage errors', async (t) => {
  const never = new Promise<void>(() => undefined);
  await t.throwsAsync(runSandbox(['--port', 'abc'], io().io, never), { instanceOf: UsageError });
  await t.throwsAsync(runSandbox(['--merchant', 'NOEQUALS'], io().io, never), { instanceOf: UsageError });
  await t.throwsAsync(runSandbox(['--config', '/nonexistent/sandbox.json'], io().io, never), { instanceOf: UsageError });
});
