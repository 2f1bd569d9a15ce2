/**
 * Reading what the Temporal server holds: every run of a workflow id, each run's raw (still encoded) history, the
 * payloads in it, and the shape bench:lifecycle classifies runs by (bench/support/historyStats.ts).
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { RunShape } from '../../../bench/support/historyStats';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;
const EventType = temporal.api.enums.v1.EventType;

export interface ServerRun {
  runId: string;
  history: History;
  /** Raw history as protobuf JSON-ish object (payload bytes as Buffers). */
  shape: RunShape & { historyLength: number };
}

/** Every run of `workflowId`, oldest first, with its history as the server returns it (payloads not decoded). */
export async function serverRuns(client: Client, workflowId: string): Promise<ServerRun[]> {
  const runIds: { runId: string; startMs: number }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runIds.push({ runId: execution.runId, startMs: execution.startTime.getTime() });
  }
  runIds.sort((a, b) => a.startMs - b.startMs);
  const runs: ServerRun[] = [];
  for (const { runId } of runIds) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history, shape: runShape(history) });
  }
  return runs;
}

/** The run as bench:lifecycle's classifier sees it: how it began and ended, which activities it scheduled. */
export function runShape(history: History): RunShape & { historyLength: number } {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const last = events[events.length - 1];
  const status =
    last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
      ? 'CONTINUED_AS_NEW'
      : last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
        ? 'COMPLETED'
        : last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
          ? 'FAILED'
          : 'RUNNING';
  const continuedFrom = started?.continuedExecutionRunId || undefined;
  return {
    status,
    ...(continuedFrom ? { continuedFromRunId: continuedFrom } : {}),
    activityRecords: events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => ({ activityType: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?' })),
    historyLength: events.length,
  };
}

export function eventTypeNames(history: History): string[] {
  return (history.events ?? []).map((e) => EventType[e.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '') ?? String(e.eventType));
}

export interface FoundPayload {
  /** Where in the history, e.g. `events[3].activityTaskCompletedEventAttributes.result.payloads[0]`. */
  path: string;
  payload: Payload;
}

const isPayload = (value: unknown): value is Payload =>
  typeof value === 'object' && value !== null && 'metadata' in value && 'data' in value && typeof (value as Payload).metadata === 'object';

/** Every Payload anywhere in the history (inputs, results, failures' details, headers, memo, user metadata, search attributes). */
export function payloadsIn(history: History): FoundPayload[] {
  const found: FoundPayload[] = [];
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if (isPayload(value)) {
      found.push({ path, payload: value });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || item === null) continue;
      visit(item, path ? `${path}.${key}` : key);
    }
  };
  visit(history, '');
  return found;
}

export const encodingOf = (payload: Payload): string => Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString('utf8');

/** The history as the server stores it (protobuf bytes): a plaintext secret anywhere in it — payload data, metadata,
 * failure messages, any string field — shows up here as its UTF-8 bytes. */
export function historyBytes(history: History): Buffer {
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

const millis = (timestamp: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(timestamp?.seconds ?? 0) * 1000 + Math.floor((timestamp?.nanos ?? 0) / 1e6);

/**
 * The timer the server was asked to fire at `dueMs` (±`toleranceMs`), and when it
 * fired (undefined if not yet). Identifies a workflow's sleep by its due instant, not by workflow internals. A workflow
 * woken early (an activity finishing, an update) cancels its sleep timer and starts another for the same instant, so
 * several may match: the one that fired is the answer, else the latest one started.
 */
export function timerDueAt(history: History, dueMs: number, toleranceMs = 1000): { dueMs: number; firedMs?: number } | undefined {
  const events = history.events ?? [];
  let latest: { dueMs: number; firedMs?: number } | undefined;
  // The workflow's clock is its task's start time, so a timer is due that long after the WorkflowTaskStarted that
  // created it (the TimerStarted event is stamped when the task completes, later on a loaded machine).
  let taskStartedMs = 0;
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) taskStartedMs = millis(event.eventTime);
    if (event.eventType !== EventType.EVENT_TYPE_TIMER_STARTED) continue;
    const due = taskStartedMs + millis(event.timerStartedEventAttributes?.startToFireTimeout);
    if (Math.abs(due - dueMs) > toleranceMs) continue;
    const fired = events.find(
      (e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED && Number(e.timerFiredEventAttributes?.startedEventId) === Number(event.eventId),
    );
    if (fired) return { dueMs: due, firedMs: millis(fired.eventTime) };
    latest = { dueMs: due };
  }
  return latest;
}
