/**
 * `npm run replay:capture` keeps working on the current code: a few scenarios captured on a private dev server into a
 * temporary directory (the committed corpus is untouched) reach their states, pass the secret check, and replay
 * against the production bundle.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { captureReplayHistories } from './capture';
import { loadCorpus, productionReplayOptions, replayHistories } from './corpus';

Runtime.install({ logger: new DefaultLogger('ERROR') });

test('the capture writes settled, encrypted histories with a manifest, and they replay', async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), 'antom-auth-capture-'));
  try {
    const manifest = await captureReplayHistories({ outDir, only: ['awaiting-consent', 'active', 'failed'], log: (line) => t.log(line) });
    t.deepEqual(manifest.histories.map((entry) => [entry.file, entry.state, entry.status]), [
      ['awaiting-consent.json', 'AWAITING_AUTH_CODE', 'RUNNING'],
      ['active.json', 'ACTIVE', 'RUNNING'],
      ['failed.json', 'FAILED', 'COMPLETED'],
    ]);
    t.deepEqual(readdirSync(outDir).sort(), ['active.json', 'awaiting-consent.json', 'failed.json', 'manifest.json']);
    t.is(manifest.keyId, 'replay-test-k1');
    t.regex(manifest.gitCommit, /^[0-9a-f]{40}(\+dirty)?$|^unknown$/);
    const { histories } = loadCorpus(outDir);
    const outcomes = await replayHistories(await productionReplayOptions(), histories);
    t.deepEqual(outcomes.map((o) => o.error?.message), [undefined, undefined, undefined]);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
