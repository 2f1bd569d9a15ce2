/**
 * Where the servers and the offline driver were found to differ (test/support/README.md, "Real servers vs the
 * offline driver"): each scenario runs offline, on the time-skipping server and on the real dev server, and pins what
 * each does. The dev server is the authority; the offline driver follows it; the Java time-skipping server's own
 * deviations are asserted as such, so a change in any of the three is noticed.
 */
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { WorkflowTaskFailedError } from './errors';
import { createFixtureActivities } from './fixtures/activities';
import { finishSignal, holdUpdate, pingUpdate, releaseSignal } from './fixtures/workflows';
import type * as fixtures from './fixtures/workflows';
import { scenario } from './scenarioTest';
import type { ScenarioOptions } from './scenarioEnvironment';

const workflowsPath = path.join(__dirname, 'fixtures', 'workflows.ts');
const setup = (): { options: ScenarioOptions; context: undefined } => ({
  options: { workflowsPath, activities: createFixtureActivities().activities },
  context: undefined,
});

/** What an update attempt came to: its result, or the error's class and cause. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    return `ok:${String(await promise)}`;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return `update failed:${error.cause?.constructor.name ?? 'none'}`;
    const e = error as { name?: string; code?: number; message?: string };
    return `error:${e.name}:${e.code ?? ''}:${(e.message ?? '').slice(0, 120)}`;
  }
}

scenario('a Temporal cancel request cancels the root scope update handlers run in', setup, async (t, env) => {
  const handle = await env.client.workflow.start<typeof fixtures.holdsUpdates>('holdsUpdates', { workflowId: 'cancel-root', taskQueue: env.taskQueue });
  const held = await handle.startUpdate(holdUpdate, { waitForStage: 'ACCEPTED' });
  await handle.cancel();
  const inFlight = await outcome(held.result());
  const later = await outcome(handle.executeUpdate(holdUpdate));
  const sync = await outcome(handle.executeUpdate(pingUpdate));
  await handle.signal(finishSignal);
  t.is(await handle.result(), 'finished', 'the non-cancellable main scope is unaffected');
  t.is(inFlight, 'update failed:CancelledFailure', 'an update waiting in a handler when the cancel arrives');
  t.is(later, 'update failed:CancelledFailure', 'a handler that waits, started after the cancel');
  t.is(sync, 'ok:1', 'a handler that does not wait still answers');
}, { devServer: true });

scenario('the static summary belongs to the first run: continue-as-new leaves the next run without one', setup, async (t, env) => {
  const first = await env.client.workflow.start<typeof fixtures.continuesAsNewOnce>('continuesAsNewOnce', {
    workflowId: 'summary-can',
    taskQueue: env.taskQueue,
    args: [1],
    staticSummary: 'set by the client at start',
  });
  const firstRun = await first.describe();
  const latest = env.client.workflow.getHandle('summary-can');
  let described = await latest.describe();
  for (let i = 0; i < 100 && described.runId === firstRun.runId; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    described = await latest.describe();
  }
  t.not(described.runId, firstRun.runId, 'continued as new');
  const summaries = { first: await firstRun.staticSummary(), next: await described.staticSummary() };
  t.deepEqual(summaries, { first: 'set by the client at start', next: undefined });
  await latest.signal(finishSignal);
  t.is(await latest.result(), 2);
}, { devServer: true });

scenario('updates per run: at most 10 in flight', setup, async (t, env) => {
  const handle = await env.client.workflow.start<typeof fixtures.holdsUpdates>('holdsUpdates', { workflowId: 'updates-in-flight', taskQueue: env.taskQueue });
  const held = [];
  for (let i = 0; i < 10; i++) held.push(await handle.startUpdate(holdUpdate, { waitForStage: 'ACCEPTED' }));
  const eleventh = await outcome(handle.startUpdate(holdUpdate, { waitForStage: 'ACCEPTED' }).then(() => 'accepted'));
  await handle.signal(releaseSignal);
  for (const update of held) t.is(await update.result(), 'released');
  const afterRelease = await outcome(handle.executeUpdate(holdUpdate));
  await handle.signal(finishSignal);
  await handle.result();
  if (env.kind === 'time-skipping server') t.is(eleventh, 'ok:accepted', 'the Java test server has no update limits');
  else t.is(eleventh, 'error:ServiceError::Workflow Update failed', 'the 11th concurrent update is refused');
  t.is(afterRelease, 'ok:released', 'admitted again once the others completed');
}, { devServer: true });

scenario('updates per run: at most 2,000 in all', setup, async (t, env) => {
  t.timeout(5 * 60_000);
  const handle = await env.client.workflow.start<typeof fixtures.holdsUpdates>('holdsUpdates', { workflowId: 'updates-total', taskQueue: env.taskQueue });
  for (let i = 1; i <= 2000; i++) {
    if ((await handle.executeUpdate(pingUpdate)) !== i) return t.fail(`ping ${i}`);
  }
  const beyond = await outcome(handle.executeUpdate(pingUpdate));
  await handle.signal(finishSignal);
  await handle.result();
  if (env.kind === 'time-skipping server') t.is(beyond, 'ok:2001', 'the Java test server has no update limits');
  else t.is(beyond, 'error:ServiceError::Workflow Update failed');
}, { devServer: true });

for (const [workflowType, message] of [
  ['upsertsUnregistered', 'BadSearchAttributes: search attribute NotRegisteredAnywhere is not defined'],
  ['upsertsMistyped', 'BadSearchAttributes: invalid value for search attribute CustomKeywordField of type KEYWORD: declared DATETIME'],
] as const) {
  scenario(`${workflowType}: a bad search attribute fails every workflow task (the workflow hangs; offline reports it at once)`, setup, async (t, env) => {
    const workflowId = `bad-sa-${workflowType}`;
    const handle = await env.client.workflow.start<() => Promise<string>>(workflowType, { workflowId, taskQueue: env.taskQueue });
    if (env.offline) {
      const error = await t.throwsAsync(handle.result(), { instanceOf: WorkflowTaskFailedError });
      t.is(error!.failureMessage, message);
      return;
    }
    if (env.kind === 'time-skipping server' && workflowType === 'upsertsMistyped') {
      // The Java test server checks names, not types: the mistyped upsert goes through.
      t.is(await handle.result(), 'unreachable on a server');
      return;
    }
    // A server keeps the run open and records the failed task with the cause; the SDK retries it forever.
    let cause: string | undefined;
    for (let i = 0; i < 60 && cause === undefined; i++) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes);
      if (failed) cause = String(temporal.api.enums.v1.WorkflowTaskFailedCause[failed.workflowTaskFailedEventAttributes!.cause ?? 0]);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.is((await env.client.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING');
    if (env.kind === 'dev server') t.is(cause, 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES');
    else t.truthy(cause, 'the time-skipping server fails the task too');
    await env.client.workflow.getHandle(workflowId).terminate('test over');
  }, { devServer: true });
}
