/**
 * The start-up check of the namespace's search attributes, on the real dev server: without them the server fails
 * every workflow task (BAD_SEARCH_ATTRIBUTES) and a link never answers, so the worker and `npm start` refuse to start
 * with one line instead. Namespaces: `default` has none registered, `mistyped` has AntomWallet as Text, `complete`
 * has all of them.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { generateEncryptionKey } from '../../src/codec/keyRing';
import { loadConfig } from '../../src/config';
import { createWorker, WorkerStartupError } from '../../src/worker';
import { checkSearchAttributes } from '../../src/worker/startupChecks';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { startDevServer, type DevServer } from '../support/devServer';
import { fixtureKeyPaths } from '../support/fixtureKeys';

const ROOT = join(__dirname, '..', '..');
const {
  INDEXED_VALUE_TYPE_KEYWORD: KEYWORD,
  INDEXED_VALUE_TYPE_TEXT: TEXT,
  INDEXED_VALUE_TYPE_DATETIME: DATETIME,
  INDEXED_VALUE_TYPE_KEYWORD_LIST: KEYWORD_LIST,
} = temporal.api.enums.v1.IndexedValueType;
const INDEXED: Record<string, number> = { KEYWORD, DATETIME, KEYWORD_LIST };

let server: DevServer;

test.before(async () => {
  server = await startDevServer({ searchAttributes: false, extraNamespaces: ['mistyped', 'complete'] });
  const register = (namespace: string, wallet: number) =>
    server.env.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        Object.values(SEARCH_ATTRIBUTES).map(({ name, type }) => [name, name === 'AntomWallet' ? wallet : INDEXED[type]!]),
      ),
    });
  await register('mistyped', TEXT);
  await register('complete', KEYWORD);
});
test.after.always(() => server?.teardown());

const required = Object.values(SEARCH_ATTRIBUTES);

test('a namespace without the attributes: one line naming each and the command that registers it', async (t) => {
  const problem = await checkSearchAttributes(server.env.connection, 'default', required);
  const title = (type: string) => ({ DATETIME: 'Datetime', KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' })[type]!;
  t.is(
    problem,
    `TEMPORAL_NAMESPACE: namespace default lacks ${required.map((k) => `${k.name} (${title(k.type)})`).join(', ')}; register: ` +
      required.map((k) => `temporal operator search-attribute create --namespace default --name ${k.name} --type ${title(k.type)}`).join(' && '),
  );
  t.regex(problem!, /AntomAuthorizationState \(Keyword\), AntomWallet \(Keyword\), AntomCustomerId \(Keyword\), AntomAccessTokenExpiry \(Datetime\), AntomNextRefreshAt \(Datetime\)/);
});

test('a mistyped attribute is named with both types', async (t) => {
  const problem = await checkSearchAttributes(server.env.connection, 'mistyped', required);
  t.is(problem, 'TEMPORAL_NAMESPACE: namespace mistyped has AntomWallet is Text (needs Keyword); a mistyped attribute must be removed and re-created by an operator (or use another namespace)');
});

test('a namespace with every attribute passes; an unknown namespace is reported, not thrown', async (t) => {
  t.is(await checkSearchAttributes(server.env.connection, 'complete', required), undefined);
  t.regex((await checkSearchAttributes(server.env.connection, 'no-such-namespace', required))!, /^TEMPORAL_NAMESPACE: cannot list the search attributes of namespace no-such-namespace \(/);
});

const workerEnv = (namespace: string): Record<string, string> => ({
  ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}`,
  ANTOM_BASE_URL: 'http://127.0.0.1:9',
  ANTOM_CLIENT_ID: 'SANDBOX_MERCHANT_1',
  ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem,
  ANTOM_PUBLIC_KEY_FILE: fixtureKeyPaths.antomPublicPem,
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  TEMPORAL_ADDRESS: server.address,
  TEMPORAL_NAMESPACE: namespace,
  LOG_LEVEL: 'silent',
});

test('createWorker refuses before polling: WorkerStartupError(configuration)', async (t) => {
  const error = await t.throwsAsync(createWorker(loadConfig(workerEnv('mistyped'))), { instanceOf: WorkerStartupError });
  t.is(error!.kind, 'configuration');
  t.is(error!.problems.length, 1);
  t.regex(error!.problems[0]!, /AntomWallet is Text \(needs Keyword\)/);
});

function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, entry)],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 90_000 },
      (error, _stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stderr, lines: stderr.split('\n').filter((line) => line.trim() !== '') });
      },
    );
  });
}

test('`npm run worker` on a namespace without them: exit 2 and one line', async (t) => {
  const outcome = await run('src/worker.ts', workerEnv('default'));
  t.is(outcome.code, 2, outcome.stderr);
  t.is(outcome.lines.length, 1, outcome.stderr);
  t.regex(outcome.lines[0]!, /^antom-auth worker: TEMPORAL_NAMESPACE: namespace default lacks AntomAuthorizationState \(Keyword\)/);
});

test('`npm start` with a TEMPORAL_ADDRESS whose namespace lacks them: exit 2 and one line', async (t) => {
  const outcome = await run('src/main.ts', { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', API_PORT: '0', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', TEMPORAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'antom-auth-sa-')) });
  t.is(outcome.code, 2, outcome.stderr);
  t.is(outcome.lines.length, 1, outcome.stderr);
  t.regex(outcome.lines[0]!, /^antom-auth: TEMPORAL_NAMESPACE: namespace default lacks /);
});
