/**
 * The `patched()` lifecycle of docs/UPGRADING.md, on the real Temporal dev server with the patch demonstration
 * workflow (fixtures/patchDemo): v1 runs (one completed, one left waiting mid-flight); v2 adds a step guarded by
 * `patched()`: the waiting v1 run finishes on v2 workers the old way, a new run takes the new step; every history
 * replays on v2, v1's do not replay on the same change made without `patched()`; v3 (`deprecatePatch`) replays v2-era
 * histories but not v1's.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../support/devServer';
import { bundleWorkflowsOnce } from '../support/workflowBundleCache';
import { ReplayDivergence, replayHistories, type NamedHistory } from './corpus';
import * as activities from './fixtures/patchDemo/activities';
import { AUDIT_PATCH, releaseSignal } from './fixtures/patchDemo/shared';

// Core reports the expected nondeterminism of the unpatched variant as WARN lines.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const version = (name: 'v1' | 'v2' | 'v2Unpatched' | 'v3') => require.resolve(`./fixtures/patchDemo/${name}`);
const WORKFLOW = 'patchDemoWorkflow';
const EventType = temporal.api.enums.v1.EventType;

let server: DevServer | undefined;
test.after.always(async () => {
  await server?.teardown();
});

async function runWorker<T>(taskQueue: string, workflows: string, body: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: server!.env.nativeConnection,
    namespace: server!.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowsOnce(workflows),
    activities,
  });
  return worker.runUntil(body);
}

async function waitForEvent(handle: WorkflowHandle, type: temporal.api.enums.v1.EventType): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!((await handle.fetchHistory()).events ?? []).some((event) => event.eventType === type)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${EventType[type]} in ${handle.workflowId}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function named(handle: WorkflowHandle, name: string): Promise<NamedHistory> {
  return { name, workflowId: handle.workflowId, history: await handle.fetchHistory() };
}

async function replayOn(versionName: Parameters<typeof version>[0], histories: NamedHistory[]) {
  const options: ReplayWorkerOptions = { workflowBundle: await bundleWorkflowsOnce(version(versionName)) };
  return replayHistories(options, histories);
}

test('a patched change replays old histories, finishes old runs the old way and runs new ones the new way', async (t) => {
  server = await startDevServer({ searchAttributes: false });
  const client = server.env.client;
  const taskQueue = `patch-demo-${randomUUID()}`;
  const start = (id: string) => client.workflow.start(WORKFLOW, { taskQueue, workflowId: `${id}-${randomUUID().slice(0, 8)}`, args: [] });

  // v1 in production: one run completes, another waits for its signal when v2 is deployed.
  const { completedV1, waitingV1 } = await runWorker(taskQueue, version('v1'), async () => {
    const completed = await start('v1-completed');
    await completed.signal(releaseSignal);
    t.deepEqual(await completed.result(), ['first', 'last']);
    const waiting = await start('v1-waiting');
    await waitForEvent(waiting, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    return { completedV1: completed, waitingV1: waiting };
  });
  const waitingV1History = await named(waitingV1, 'v1 run, waiting for its signal');

  // v2 deployed: the waiting run replays its v1 history (patched() is false there) and ends the old way; a new run
  // takes the audit step and records the patch marker.
  const newRun = await runWorker(taskQueue, version('v2'), async () => {
    await waitingV1.signal(releaseSignal);
    t.deepEqual(await waitingV1.result(), ['first', 'last'], 'the run started under v1 keeps v1 behaviour');
    const fresh = await start('v2-new');
    await fresh.signal(releaseSignal);
    t.deepEqual(await fresh.result(), ['first', 'audit', 'last'], 'a new run behaves the new way');
    return fresh;
  });
  const newRunHistory = await named(newRun, 'v2 run');
  const markers = (newRunHistory.history.events ?? []).filter((event) => event.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
  t.is(markers.length, 1, 'the new run recorded the patch marker');
  const markerDetails = Object.values(markers[0]!.markerRecordedEventAttributes?.details ?? {}).flatMap((payloads) => (payloads.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)));
  t.true(JSON.stringify(markerDetails).includes(AUDIT_PATCH), `the marker names the patch: ${JSON.stringify(markerDetails)}`);
  t.false(
    ((await named(waitingV1, 'x')).history.events ?? []).some((event) => event.eventType === EventType.EVENT_TYPE_MARKER_RECORDED),
    'the old run took no patch',
  );

  const v1Histories = [await named(completedV1, 'v1 run, completed'), waitingV1History, await named(waitingV1, 'v1 run, finished on v2 workers')];

  // Replay: v2 replays everything; the same change without patched() breaks on v1's histories.
  for (const outcome of await replayOn('v2', [...v1Histories, newRunHistory])) t.is(outcome.error, undefined, `${outcome.name} replays on v2`);
  const unpatched = await replayOn('v2Unpatched', v1Histories.slice(0, 1));
  const divergence = unpatched[0]!.error;
  t.true(divergence instanceof ReplayDivergence, 'the unguarded change breaks replay of a v1 history');
  t.regex(divergence!.message, /^v1 run, completed \(workflow v1-completed-\w+\) no longer replays/);
  t.regex(divergence!.message, /Nondeterminism/);
  t.log(divergence!.message);

  // v3 (deprecatePatch): fine for v2-era histories, not for v1's — deprecate only once no v1-era run is open.
  t.is((await replayOn('v3', [newRunHistory]))[0]!.error, undefined, 'v3 replays the v2 run');
  t.true((await replayOn('v3', v1Histories.slice(0, 1)))[0]!.error instanceof ReplayDivergence, 'v3 does not replay v1 histories');
});
