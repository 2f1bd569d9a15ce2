/**
 * Replay in CI: every committed history (test/replay/histories, captured from the real Temporal server by
 * `npm run replay:capture`) is replayed against the current production workflow bundle with `Worker.runReplayHistories`.
 * A workflow change that would break a running authorization fails its test here, named after the history file, with
 * the first divergent command (docs/UPGRADING.md says what to do then: a `patched()` branch, not a recapture).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AUTHORIZATION_STATES } from '../../src/workflows/definitions';
import { HISTORIES_DIR, MANIFEST_FILE, loadCorpus, productionReplayOptions, replayHistories, replayKeyRing, type ReplayOutcome } from './corpus';

// The replay worker's lifecycle lines (INFO) would drown the test output.
Runtime.install({ logger: new DefaultLogger('WARN') });

const corpus = loadCorpus();

let outcomes: Promise<Map<string, ReplayOutcome>> | undefined;
/** One replay worker for the whole corpus (bundling costs seconds); each history's test awaits its own outcome. */
function replayedCorpus(): Promise<Map<string, ReplayOutcome>> {
  outcomes ??= productionReplayOptions()
    .then((options) => replayHistories(options, corpus.histories))
    .then((list) => new Map(list.map((outcome) => [outcome.name, outcome])));
  return outcomes;
}

for (const { name } of corpus.histories) {
  test(`replays ${name}`, async (t) => {
    const outcome = (await replayedCorpus()).get(name);
    if (!outcome) return t.fail(`no replay outcome for ${name}`);
    if (outcome.error) return t.fail(outcome.error.message);
    t.pass();
  });
}

test('the manifest lists exactly the history files in the directory', (t) => {
  const files = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json') && file !== MANIFEST_FILE).sort();
  t.deepEqual(corpus.manifest.histories.map((entry) => entry.file).sort(), files);
  t.true(files.length > 0);
});

test('the corpus holds a history in every authorization state, open runs and closed ones', (t) => {
  const states = new Set(corpus.manifest.histories.map((entry) => entry.state));
  const missing = AUTHORIZATION_STATES.filter((state) => !states.has(state));
  t.deepEqual(missing, [], `no captured history shows ${missing.join(', ')}: add a scenario to test/replay/capture.ts and recapture`);
  const statuses = new Set(corpus.manifest.histories.map((entry) => entry.status));
  for (const status of ['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW']) t.true(statuses.has(status), `a ${status} run`);
});

test('every payload in the corpus is encrypted with the test-only key (search attributes are plain by design)', (t) => {
  const keyId = Buffer.from(replayKeyRing().currentKeyId).toString('base64');
  const encrypted = Buffer.from('binary/encrypted').toString('base64');
  let payloads = 0;
  const walk = (value: unknown, path: string, file: string): void => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, `${path}[${index}]`, file));
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const metadata = record.metadata as Record<string, string> | undefined;
    if (metadata && typeof metadata === 'object' && 'encoding' in metadata && !path.includes('.searchAttributes.')) {
      payloads += 1;
      if (metadata.encoding !== encrypted || metadata['encryption-key-id'] !== keyId) t.fail(`${file} ${path}: a payload that is not encrypted with the corpus key`);
    }
    for (const [key, inner] of Object.entries(record)) walk(inner, `${path}.${key}`, file);
  };
  for (const entry of corpus.manifest.histories) walk(JSON.parse(readFileSync(join(HISTORIES_DIR, entry.file), 'utf8')), '', entry.file);
  t.true(payloads > 100, `${payloads} payloads checked`);
});
