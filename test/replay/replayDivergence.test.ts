/**
 * The replay test can fail: a committed history replayed against a deliberately altered workflow
 * (fixtures/alteredAuthorizationWorkflow.ts: one unguarded new command) is reported as a ReplayDivergence that names
 * the history file, the workflow id and the first divergent command, and shows what the history recorded there.
 */
import test from 'ava';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadCorpus, productionReplayOptions, replayHistories, ReplayDivergence } from './corpus';

// Core reports each nondeterminism as a WARN line; here they are the expected outcome.
Runtime.install({ logger: new DefaultLogger('ERROR') });

test('a history replayed on incompatible workflow code fails, naming the history and the divergent command', async (t) => {
  const { histories } = loadCorpus();
  const picked = histories.filter((h) => /\/(active|revoked)\.json$/.test(h.name));
  t.is(picked.length, 2);
  const options = await productionReplayOptions(require.resolve('./fixtures/alteredAuthorizationWorkflow'));
  const outcomes = await replayHistories(options, picked);
  for (const outcome of outcomes) {
    const error = outcome.error;
    if (!(error instanceof ReplayDivergence)) return t.fail(`${outcome.name} replayed on altered code`);
    t.log(error.message);
    t.true(error.message.startsWith(`${outcome.name} (workflow ${outcome.workflowId}) no longer replays`));
    t.is(error.cause.name, 'DeterminismViolationError');
    // Core names the new command (the timer) against the event the old code produced.
    t.regex(error.message, /first divergence: \[TMPRL1100\] Nondeterminism error: Timer machine does not handle this event/);
    t.regex(error.message, /the current code issued a Timer command/);
    t.regex(error.message, /the history recorded there: #\d+ \w+/);
  }
});
