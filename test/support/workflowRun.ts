/**
 * The recorded state of one workflow run in the offline environment: its sandbox instance, the jobs waiting for the
 * next workflow task, timers, activities, in-flight updates and queries, and the log tests inspect (workflow tasks
 * with their encoded activation and completion, estimated history events).
 */
import type { Payload } from '@temporalio/common';
import type Long from 'long';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { coresdk, temporal } from '@temporalio/proto';
import type { Workflow as SandboxWorkflow } from '@temporalio/worker/lib/workflow/interface';
import type { WorkflowCodecRunner } from '@temporalio/worker/lib/workflow-codec-runner';
import type { ActivityAttemptRecord, ActivityExecution } from './activityExecution';
import { HistoryEventLog } from './historyEvents';
import type { HistoryEvent, HistoryEventType } from './historyEvents';

type Job = coresdk.workflow_activation.IWorkflowActivationJob;
type IFailure = temporal.api.failure.v1.IFailure;

/** One workflow task as it would appear between the worker and the server (payloads already codec-encoded). */
export interface RecordedWorkflowTask {
  atMs: number;
  activation: coresdk.workflow_activation.IWorkflowActivation;
  completion: coresdk.workflow_completion.IWorkflowActivationCompletion;
  /** Updates whose validator rejected them: a server drops them from history, so replay must not see them. */
  rejectedUpdateIds: string[];
  /** The completion as the workflow produced it, before the payload codec (what replay must reproduce). */
  decodedCompletion: coresdk.workflow_completion.IWorkflowActivationCompletion;
}

export interface TimerRecord {
  seq: number;
  startedAtMs: number;
  fireAtMs: number;
  firedAtMs?: number;
  canceledAtMs?: number;
  cancel?: () => void;
}

export interface ActivityRecord {
  seq: number;
  activityType: string;
  activityId: string;
  scheduledAtMs: number;
  attempts: ActivityAttemptRecord[];
  outcome?: 'Completed' | 'Failed' | 'TimedOut' | 'Canceled';
  resolvedAtMs?: number;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers may never await (e.g. an update whose result nobody reads); avoid unhandled rejections.
  promise.catch(() => undefined);
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve(value) {
      if (d.settled) return;
      d.settled = true;
      resolve(value);
    },
    reject(err) {
      if (d.settled) return;
      d.settled = true;
      reject(err);
    },
  };
  return d;
}

export interface UpdateWaiter {
  updateId: string;
  name: string;
  /** Settles when the update is accepted or rejected (then `rejection` is set). */
  accepted: Deferred<void>;
  /** The workflow accepted it (UpdateAccepted is in history): a later rejection is a failed completion. */
  wasAccepted?: boolean;
  rejection?: IFailure;
  outcome: Deferred<{ success: Payload | undefined } | { failure: IFailure }>;
}

export type RunClose =
  | { status: 'COMPLETED'; result: Payload | undefined }
  | { status: 'FAILED'; failure: IFailure }
  | { status: 'CANCELLED'; details: Payload[] }
  | { status: 'TERMINATED'; reason: string }
  | { status: 'CONTINUED_AS_NEW'; nextRunId: string };

export class WorkflowRun {
  readonly history = new HistoryEventLog();
  readonly workflowTasks: RecordedWorkflowTask[] = [];
  readonly timers = new Map<number, TimerRecord>();
  readonly activities = new Map<number, ActivityExecution>();
  readonly activityRecords: ActivityRecord[] = [];
  readonly updates = new Map<string, UpdateWaiter>();
  /** Answered updates, kept so getUpdateHandle() and update-id dedupe still find them. */
  readonly finishedUpdates = new Map<string, UpdateWaiter>();
  /** Updates of this run that reached history (accepted): the server refuses more than MAX_TOTAL_UPDATES_PER_RUN. */
  acceptedUpdateCount = 0;
  readonly queries = new Map<string, Deferred<{ response: Payload | undefined } | { failure: IFailure }>>();
  /** The initializeWorkflow job this run started with (payloads encoded). */
  initialize: coresdk.workflow_activation.IInitializeWorkflow | undefined;
  pendingJobs: Job[] = [];
  pendingQueries: Job[] = [];
  instance: SandboxWorkflow | undefined;
  close: RunClose | undefined;
  closeTimeMs: number | undefined;
  /** Set when a workflow task failed or the workflow used an unsupported feature: the run cannot progress. */
  brokenBy: Error | undefined;
  searchAttributes: Record<string, Payload>;
  memo: Record<string, Payload>;
  readonly userMetadata: temporal.api.sdk.v1.IUserMetadata | undefined;

  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly workflowType: string,
    readonly firstExecutionRunId: string,
    readonly continuedFromRunId: string | undefined,
    readonly startTimeMs: number,
    readonly taskQueue: string,
    readonly codec: WorkflowCodecRunner,
    readonly randomnessSeed: Long,
    initial: {
      searchAttributes: Record<string, Payload>;
      memo: Record<string, Payload>;
      userMetadata: temporal.api.sdk.v1.IUserMetadata | undefined;
    },
  ) {
    this.searchAttributes = { ...initial.searchAttributes };
    this.memo = { ...initial.memo };
    this.userMetadata = initial.userMetadata;
  }

  get status(): WorkflowExecutionStatusName {
    return this.close?.status ?? 'RUNNING';
  }

  get isRunning(): boolean {
    return this.close === undefined;
  }

  get historyLength(): number {
    return this.history.length;
  }

  get events(): readonly HistoryEvent[] {
    return this.history.events;
  }

  eventCounts(): Partial<Record<HistoryEventType, number>> {
    return this.history.counts();
  }

  /** Workflow tasks that a server would have recorded (speculative tasks carrying only rejected updates excluded). */
  get recordedTaskCount(): number {
    return this.workflowTasks.length;
  }

  get pendingTimers(): TimerRecord[] {
    return [...this.timers.values()];
  }

  get runningActivities(): ActivityExecution[] {
    return [...this.activities.values()].filter((a) => !a.isResolved);
  }

  /**
   * True when `text` occurs in anything this run would have sent to the server: activation and completion payloads
   * (after the payload codec), failure messages, memo, search attributes, user metadata. Use it to prove a secret
   * never reaches history in plaintext.
   */
  containsPlaintext(text: string): boolean {
    const needle = Buffer.from(text, 'utf8');
    const seen = new Set<unknown>();
    const visit = (value: unknown): boolean => {
      if (value == null) return false;
      if (typeof value === 'string') return value.includes(text);
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).includes(needle);
      if (typeof value !== 'object' || seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) return value.some(visit);
      return Object.values(value).some(visit);
    };
    return (
      this.workflowTasks.some((task) => visit(task.activation) || visit(task.completion)) ||
      visit(this.memo) ||
      visit(this.searchAttributes) ||
      visit(this.userMetadata)
    );
  }

  /** A readable summary of what the run is waiting for, for stuck/timeout error messages. */
  describeState(nowMs: number): string {
    const lines = [
      `  run ${this.runId} (${this.workflowType}) status ${this.status}, virtual time ${new Date(nowMs).toISOString()}`,
      `  workflow tasks: ${this.workflowTasks.length}, history events: ${this.history.length}`,
    ];
    const timers = this.pendingTimers;
    lines.push(
      timers.length === 0
        ? '  pending timers: none'
        : `  pending timers: ${timers.map((t) => `#${t.seq} at ${new Date(t.fireAtMs).toISOString()}`).join(', ')}`,
    );
    const activities = this.runningActivities;
    lines.push(
      activities.length === 0
        ? '  pending activities: none'
        : `  pending activities: ${activities.map((a) => `${a.activityType} (attempt ${a.currentAttempt})`).join(', ')}`,
    );
    if (this.updates.size > 0) lines.push(`  in-flight updates: ${[...this.updates.values()].map((u) => u.name).join(', ')}`);
    if (this.brokenBy) lines.push(`  broken by: ${this.brokenBy.message}`);
    return lines.join('\n');
  }
}
