import path from 'node:path';
import test from 'ava';
import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import { DeterminismViolationError, RunawayWorkflowError, StuckWorkflowError, UnsupportedFeatureError, WorkflowTaskFailedError } from './errors';
import { createFixtureActivities } from './fixtures/activities';
import type { ActivityCall } from './fixtures/activities';
import { GatedCodec } from './fixtures/gatedCodec';
import { MaskingCodec } from './fixtures/maskingCodec';
import type * as fixtures from './fixtures/workflows';
import { OfflineWorkflowEnvironment } from './offlineEnvironment';
import { scenario } from './scenarioTest';
import type { ScenarioOptions } from './scenarioEnvironment';

const workflowsPath = path.join(__dirname, 'fixtures', 'workflows.ts');
const day = 86_400_000;

const withActivities = (): { options: ScenarioOptions; context: ActivityCall[] } => {
  const { activities, calls } = createFixtureActivities();
  return { options: { workflowsPath, activities, offline: { hungActivityAfterMs: 50 } }, context: calls };
};
const opts = (workflowId: string, taskQueue: string) => ({ workflowId, taskQueue });

scenario('timers fire in order and Date.now() inside the workflow is the virtual time', () => withActivities(), async (t, env) => {
  const startedAt = await env.now();
  const wall = Date.now();
  const fired = await env.client.workflow.execute<typeof fixtures.timersInOrder>('timersInOrder', {
    ...opts('timers', env.taskQueue),
  });
  t.deepEqual(
    fired.map((f) => f.label),
    ['1d', '2d', '3d'],
  );
  // A server's clock keeps running a little between tasks; offline it is exact.
  for (const [i, f] of fired.entries()) t.true(Math.abs(f.atMs - (startedAt + (i + 1) * day)) < 5_000);
  t.true(Date.now() - wall < 10_000, 'three days of timers must not take real days');
  if (env.offline) t.deepEqual(fired.map((f) => f.atMs - startedAt), [day, 2 * day, 3 * day]);
});

scenario('a retried activity succeeds with backoff applied in virtual time', () => withActivities(), async (t, env, calls) => {
  const outcome = await env.client.workflow.execute<typeof fixtures.retryingActivity>('retryingActivity', {
    ...opts('retry-ok', env.taskQueue),
    args: ['retry-ok', 2, 'retryable'],
  });
  t.deepEqual(outcome, { result: 'ok after 3 attempts' });
  const attempts = calls.filter((c) => c.key === 'retry-ok');
  t.deepEqual(attempts.map((c) => c.attempt), [1, 2, 3]);
  const gaps = attempts.slice(1).map((c, i) => c.attemptScheduledMs - (attempts[i]?.attemptScheduledMs ?? 0));
  // The offline driver follows the Temporal server: 1 s, then 2 s (the dev server variant checks it in real time).
  // The Java time-skipping server retries the first failure at once and backs off one step late (0, then 1 s): a
  // known difference (test/support/README.md), pinned here so a test server that changes is noticed.
  if (env.kind === 'offline') t.deepEqual(gaps, [1000, 2000]);
  else if (env.kind === 'dev server') t.true(Math.abs(gaps[0]! - 1000) < 300 && Math.abs(gaps[1]! - 2000) < 300, `gaps ${gaps.join(', ')}`);
  else t.true((gaps[0] ?? 0) < 1000 && (gaps[1] ?? 0) >= 1000, `gaps ${gaps.join(', ')}`);
}, { devServer: true });

scenario('maximumAttempts ends retries with ActivityFailure carrying the cause', () => withActivities(), async (t, env, calls) => {
  const outcome = await env.client.workflow.execute<typeof fixtures.retryingActivity>('retryingActivity', {
    ...opts('retry-exhausted', env.taskQueue),
    args: ['retry-exhausted', 99, 'retryable'],
  });
  t.is(outcome.failure?.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
  t.is(outcome.failure?.causeType, 'Transient');
  t.is(outcome.failure?.causeMessage, 'transient failure on attempt 5');
  const attempts = calls.filter((c) => c.key === 'retry-exhausted');
  t.is(attempts.length, 5);
  if (env.offline) {
    // initialInterval 1 s, coefficient 2, capped by maximumInterval 5 s.
    const gaps = attempts.slice(1).map((c, i) => c.attemptScheduledMs - (attempts[i]?.attemptScheduledMs ?? 0));
    t.deepEqual(gaps, [1000, 2000, 4000, 5000]);
  }
});

scenario('non-retryable failures stop at the first attempt', () => withActivities(), async (t, env, calls) => {
  for (const mode of ['nonRetryable', 'nonRetryableType'] as const) {
    const outcome = await env.client.workflow.execute<typeof fixtures.retryingActivity>('retryingActivity', {
      ...opts(`non-retryable-${mode}`, env.taskQueue),
      args: [`non-retryable-${mode}`, 99, mode],
    });
    t.is(outcome.failure?.retryState, 'NON_RETRYABLE_FAILURE', mode);
    t.is(calls.filter((c) => c.key === `non-retryable-${mode}`).length, 1, mode);
  }
});

scenario('ApplicationFailure nextRetryDelay overrides the backoff', () => withActivities(), async (t, env, calls) => {
  const outcome = await env.client.workflow.execute<typeof fixtures.retryingActivity>('retryingActivity', {
    ...opts('next-delay', env.taskQueue),
    args: ['next-delay', 1, 'nextRetryDelay'],
  });
  t.deepEqual(outcome, { result: 'ok after 2 attempts' });
  const [first, second] = calls.filter((c) => c.key === 'next-delay');
  const gap = (second?.attemptScheduledMs ?? 0) - (first?.attemptScheduledMs ?? 0);
  // The Temporal server honours nextRetryDelay (so does the offline driver); the Java time-skipping server ignores it
  // and retries at once (test/support/README.md). The product's only use is the rate limiter's wait, which a too-early
  // retry simply meets again.
  if (env.offline) t.true(gap >= 3_600_000, `gap ${gap}`);
  else t.true(gap < 1000, `gap ${gap}`);
});

scenario('startToClose timeouts are retried and then reach the workflow as TimeoutFailure', () => withActivities(), async (t, env, calls) => {
  const outcome = await env.client.workflow.execute<typeof fixtures.activityTimesOut>('activityTimesOut', {
    ...opts('timeout', env.taskQueue),
    args: ['timeout'],
  });
  t.is(outcome, 'timed out: START_TO_CLOSE');
  t.is(calls.filter((c) => c.key === 'timeout').length, 2);
});

scenario('a heartbeat timeout fires in virtual time and the next attempt gets the last heartbeat details', () => withActivities(), async (t, env, calls) => {
  const outcome = await env.client.workflow.execute<typeof fixtures.heartbeatTimesOut>('heartbeatTimesOut', {
    ...opts('heartbeat-timeout', env.taskQueue),
    args: ['heartbeat-timeout'],
  });
  t.is(outcome, 'timed out: HEARTBEAT');
  t.deepEqual(
    calls.filter((c) => c.key === 'heartbeat-timeout').map((c) => c.note),
    ['previous details: undefined', 'previous details: beat from attempt 1'],
  );
  if (env.offline) {
    const [first, second] = calls.filter((c) => c.key === 'heartbeat-timeout');
    // 30 s heartbeat timeout, then the 1 s retry backoff.
    t.is((second?.attemptScheduledMs ?? 0) - (first?.attemptScheduledMs ?? 0), 31_000);
  }
});

scenario('signals sent before the handler is registered are buffered', () => withActivities(), async (t, env) => {
  const handle = await env.client.workflow.start<typeof fixtures.signalBeforeHandler>('signalBeforeHandler', {
    ...opts('early-signals', env.taskQueue),
  });
  await handle.signal<[string]>('note', 'first');
  await handle.signal<[string]>('note', 'second');
  t.deepEqual(await handle.query<string[]>('notes'), []);
  await handle.signal('finish');
  t.deepEqual(await handle.result(), ['first', 'second']);
});

scenario('update validators reject without touching state; accepted updates run', () => withActivities(), async (t, env) => {
  const handle = await env.client.workflow.start<typeof fixtures.validatedUpdates>('validatedUpdates', {
    ...opts('updates', env.taskQueue),
  });
  const rejected = await t.throwsAsync(handle.executeUpdate<number, [number]>('setValue', { args: [-1] }), {
    instanceOf: WorkflowUpdateFailedError,
  });
  t.regex(String(rejected?.cause?.message), /must not be negative, got -1/);
  t.is(await handle.query<number>('value'), 0);
  const previous = handle.executeUpdate<number, [number]>('setValue', { args: [5] });
  await env.sleep(1000); // the update handler sleeps one virtual second
  t.is(await previous, 0);
  t.is(await handle.query<number>('value'), 5);
  await handle.signal('finish');
  t.is(await handle.result(), 5);
  if (env.offline) {
    const counts = env.offline.runs('updates')[0]?.eventCounts();
    // The rejected update left no trace in history; the accepted one added Accepted + Completed.
    t.is(counts?.WorkflowExecutionUpdateAccepted, 1);
    t.is(counts?.WorkflowExecutionUpdateCompleted, 1);
  }
});

scenario('update-with-start starts once and reuses the running workflow', () => withActivities(), async (t, env) => {
  const operation = () =>
    new WithStartWorkflowOperation<typeof fixtures.validatedUpdates>('validatedUpdates', {
      ...opts('update-with-start', env.taskQueue),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  const first = operation();
  const firstResult = env.client.workflow.executeUpdateWithStart<typeof fixtures.validatedUpdates, number, [number]>('setValue', {
    args: [7],
    startWorkflowOperation: first,
  });
  const handle = await first.workflowHandle();
  await env.sleep(1000);
  t.is(await firstResult, 0);
  const second = operation();
  const secondResult = env.client.workflow.executeUpdateWithStart<typeof fixtures.validatedUpdates, number, [number]>('setValue', {
    args: [9],
    startWorkflowOperation: second,
  });
  await env.sleep(1000);
  t.is(await secondResult, 7);
  t.is((await second.workflowHandle()).workflowId, handle.workflowId);
  await handle.signal('finish');
  t.is(await handle.result(), 9);
  if (env.offline) t.is(env.offline.runs('update-with-start').length, 1);
});

scenario('cancellation runs cleanup in a non-cancellable scope and cancels the workflow', () => withActivities(), async (t, env, calls) => {
  const handle = await env.client.workflow.start<typeof fixtures.cancellationCleanup>('cancellationCleanup', {
    ...opts('cancel-cleanup', env.taskQueue),
    args: ['cancel-cleanup'],
  });
  await env.sleep(day);
  await handle.cancel();
  const err = await t.throwsAsync(handle.result(), { instanceOf: WorkflowFailedError });
  t.true(err?.cause instanceof CancelledFailure);
  t.deepEqual(
    calls.filter((c) => c.key === 'cancel-cleanup').map((c) => c.note),
    ['cleanup'],
  );
  t.is((await handle.describe()).status.name, 'CANCELLED');
});

scenario('cancelling a scope cancels its running activity', () => withActivities(), async (t, env, calls) => {
  const outcome = await env.client.workflow.execute<typeof fixtures.cancelRunningActivity>('cancelRunningActivity', {
    ...opts('cancel-activity', env.taskQueue),
    args: ['cancel-activity'],
  });
  t.is(outcome, 'cancelled');
  t.true(calls.some((c) => c.key === 'cancel-activity' && c.note === 'saw cancellation'));
});

scenario('continue-as-new chains runs with their arguments', () => withActivities(), async (t, env, calls) => {
  const handle = await env.client.workflow.start<typeof fixtures.monthlyCycles>('monthlyCycles', {
    ...opts('chain', env.taskQueue),
    args: [0, 3, 'chain'],
  });
  t.is(await handle.result(), 3);
  t.is(calls.filter((c) => c.key === 'chain').length, 3);
  if (env.offline) {
    const runs = env.offline.runs('chain');
    t.deepEqual(runs.map((r) => r.status), ['CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'COMPLETED']);
    t.true(runs.every((r) => r.firstExecutionRunId === runs[0]?.runId));
    t.is(runs[1]?.continuedFromRunId, runs[0]?.runId);
    // One refresh cycle as Temporal counts it: start, 3 workflow tasks, timer, activity, continue-as-new.
    t.deepEqual(runs[1]?.eventCounts(), {
      WorkflowExecutionStarted: 1,
      WorkflowTaskScheduled: 3,
      WorkflowTaskStarted: 3,
      WorkflowTaskCompleted: 3,
      TimerStarted: 1,
      TimerFired: 1,
      ActivityTaskScheduled: 1,
      ActivityTaskStarted: 1,
      ActivityTaskCompleted: 1,
      WorkflowExecutionContinuedAsNew: 1,
    });
    t.is(runs[1]?.historyLength, 16);
    await env.offline.assertDeterministic('chain');
  }
});

scenario('workflow id conflict policies', () => withActivities(), async (t, env) => {
  const start = (policy?: 'FAIL' | 'USE_EXISTING' | 'TERMINATE_EXISTING') =>
    env.client.workflow.start<typeof fixtures.validatedUpdates>('validatedUpdates', {
      ...opts('conflict', env.taskQueue),
      ...(policy ? { workflowIdConflictPolicy: policy } : {}),
    });
  const first = await start();
  await t.throwsAsync(start(), { instanceOf: WorkflowExecutionAlreadyStartedError });
  const reused = await start('USE_EXISTING');
  t.is(reused.firstExecutionRunId, first.firstExecutionRunId);
  const replaced = await start('TERMINATE_EXISTING');
  t.not(replaced.firstExecutionRunId, first.firstExecutionRunId);
  const err = await t.throwsAsync(first.result(), { instanceOf: WorkflowFailedError });
  t.true(err?.cause instanceof TerminatedFailure);
  await replaced.terminate('done');
});

scenario('describe shows status, typed search attributes, memo, summary and current details', () => withActivities(), async (t, env) => {
  const handle = await env.client.workflow.start<typeof fixtures.visibleState>('visibleState', {
    ...opts('visible', env.taskQueue),
    staticSummary: 'fixture summary',
    memo: { owner: 'tests' },
  });
  await t.notThrowsAsync(handle.query('__temporal_workflow_metadata'));
  const running = await handle.describe();
  t.is(running.status.name, 'RUNNING');
  t.is(running.typedSearchAttributes.get({ name: 'CustomKeywordField', type: 'KEYWORD' }), 'ACTIVE');
  t.deepEqual(running.memo, { owner: 'tests', stage: 'active' });
  t.is(await running.staticSummary(), 'fixture summary');
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  t.is(metadata.currentDetails, '**active** since start');
  await handle.signal('finish');
  t.is(await handle.result(), 'done');
  t.is((await handle.describe()).status.name, 'COMPLETED');
});

scenario('a failed workflow surfaces as WorkflowFailedError with its ApplicationFailure', () => withActivities(), async (t, env) => {
  const handle = await env.client.workflow.start<typeof fixtures.failsWorkflow>('failsWorkflow', {
    ...opts('fails', env.taskQueue),
    args: ['it broke'],
  });
  const err = await t.throwsAsync(handle.result(), { instanceOf: WorkflowFailedError });
  t.true(err?.cause instanceof ApplicationFailure);
  t.is(err?.cause?.message, 'it broke');
  t.is((await handle.describe()).status.name, 'FAILED');
});

// Offline-only behaviour: diagnostics a server cannot give (it would hang or retry forever).

test('offline: a nondeterministic workflow fails the replay with a readable diff', async (t) => {
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath });
  t.teardown(() => env.teardown());
  await env.client.workflow.execute('nonDeterministic', { workflowId: 'nondet', taskQueue: env.taskQueue });
  await env.client.workflow.execute('patchedWorkflow', { workflowId: 'patched', taskQueue: env.taskQueue });
  await t.notThrowsAsync(env.assertDeterministic('patched'));
  const err = await t.throwsAsync(env.assertDeterministic('nondet'), { instanceOf: DeterminismViolationError });
  t.regex(err?.message ?? '', /- startTimer\(seq=1, startToFireTimeout={"seconds":"1"}\)\s+\(original\)/);
  t.regex(err?.message ?? '', /\+ startTimer\(seq=1, startToFireTimeout={"seconds":"2"}\)\s+\(replay\)/);
});

test('offline: unsupported features fail with an error naming the feature', async (t) => {
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath });
  t.teardown(() => env.teardown());
  const handle = await env.client.workflow.start('usesChildWorkflow', { workflowId: 'child', taskQueue: env.taskQueue });
  const err = await t.throwsAsync(handle.result(), { instanceOf: UnsupportedFeatureError });
  t.regex(err?.message ?? '', /child workflows/);
});

test('offline: awaiting a workflow that can never progress reports it stuck instead of hanging', async (t) => {
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath });
  t.teardown(() => env.teardown());
  const handle = await env.client.workflow.start('waitsForever', { workflowId: 'stuck', taskQueue: env.taskQueue });
  const err = await t.throwsAsync(handle.result(), { instanceOf: StuckWorkflowError });
  t.regex(err?.message ?? '', /pending timers: none/);
});

test('offline: a plain Error thrown by workflow code fails the workflow task, reported with its message', async (t) => {
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath });
  t.teardown(() => env.teardown());
  const handle = await env.client.workflow.start('throwsPlainError', { workflowId: 'plain', taskQueue: env.taskQueue });
  const err = await t.throwsAsync(handle.result(), { instanceOf: WorkflowTaskFailedError });
  t.regex(err?.message ?? '', /boom from workflow code/);
  t.is(env.runs('plain')[0]?.status, 'RUNNING');
});

test('offline: the payload codec keeps secrets out of recorded history', async (t) => {
  const secret = 'rt-super-secret-refresh-token';
  const run = async (codec: MaskingCodec | undefined) => {
    const { activities } = createFixtureActivities();
    const env = await OfflineWorkflowEnvironment.create({
      workflowsPath,
      activities,
      ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
    });
    try {
      const result = await env.client.workflow.execute('carriesSecret', {
        workflowId: 'secret',
        taskQueue: env.taskQueue,
        args: [secret],
      });
      return { result, leaked: env.runs('secret')[0]?.containsPlaintext(secret) };
    } finally {
      await env.teardown();
    }
  };
  const codec = new MaskingCodec();
  t.deepEqual(await run(codec), { result: secret, leaked: false });
  t.true(codec.encodeCount > 0 && codec.decodeCount > 0);
  // Control: without a codec the same scenario does expose the secret, so the check above can fail.
  t.deepEqual(await run(undefined), { result: secret, leaked: true });
});

// Serial: ava runs serial tests before the concurrent ones, so the timing is not shared with other scenarios.
test.serial('offline: ten simulated years of monthly cycles run in well under a second', async (t) => {
  const { activities } = createFixtureActivities();
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath, activities });
  t.teardown(() => env.teardown());
  const startedAt = env.now();
  const wall = performance.now();
  const cycles = await env.client.workflow.execute('monthlyCycles', {
    workflowId: 'decade',
    taskQueue: env.taskQueue,
    args: [0, 122, 'decade'],
  });
  const elapsed = performance.now() - wall;
  t.is(cycles, 122);
  t.true(env.now() - startedAt >= 10 * 365 * day);
  t.is(env.runs('decade').length, 123);
  t.log(`10 simulated years (${cycles} cycles, ${env.runs('decade').length} runs): ${elapsed.toFixed(0)} ms wall time`);
  // A generous bound (CI machines vary); the README records the measured figure.
  t.true(elapsed < 2_000, `took ${elapsed.toFixed(0)} ms`);
});

test('offline: a signal arriving while the final workflow task runs is not lost (the task is retried with it)', async (t) => {
  const codec = new GatedCodec();
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath, dataConverter: { payloadCodecs: [codec] } });
  t.teardown(() => env.teardown());
  const handle = await env.client.workflow.start('collectNotesUntil', {
    workflowId: 'late-signal',
    taskQueue: env.taskQueue,
    args: ['stop'],
  });
  await env.runUntilIdle();
  const gate = codec.holdNextDecode();
  await handle.signal('note', 'stop');
  await gate.entered; // the workflow task carrying 'stop' is now in flight
  await handle.signal('note', 'late');
  gate.release();
  t.deepEqual(await handle.result(), ['stop', 'late']);
  t.is(env.runs('late-signal')[0]?.eventCounts().WorkflowTaskFailed, 1);
  await env.assertDeterministic('late-signal');
});

test('offline: Date.now() inside an activity follows the virtual clock', async (t) => {
  const { activities } = createFixtureActivities();
  const startTimeMs = Date.UTC(2031, 0, 1);
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath, activities, startTimeMs });
  t.teardown(() => env.teardown());
  const [workflowNow, activityNow] = await env.client.workflow.execute('activityTimeAfter', {
    workflowId: 'activity-time',
    taskQueue: env.taskQueue,
    args: [400 * day],
  });
  t.is(workflowNow, startTimeMs + 400 * day);
  // The activity's clock starts at the attempt's virtual start and then runs at real speed.
  t.true(activityNow >= workflowNow && activityNow - workflowNow < 5_000);
  t.true(Math.abs(Date.now() - startTimeMs) > day, 'code outside activities keeps the real clock');
});

test('offline: a workflow that continues as new forever at one instant is reported, not spun', async (t) => {
  const env = await OfflineWorkflowEnvironment.create({ workflowsPath, maxRunsPerInstant: 20 });
  t.teardown(() => env.teardown());
  const handle = await env.client.workflow.start('spinsThroughRuns', { workflowId: 'spin', taskQueue: env.taskQueue, args: [0] });
  const err = await t.throwsAsync(handle.result(), { instanceOf: RunawayWorkflowError });
  t.regex(err?.message ?? '', /continued as new 20 times at the same virtual instant/);
  t.is(env.runs('spin').length, 20);
});
