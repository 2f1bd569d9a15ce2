/**
 * One scheduled activity (all its attempts): runs the real activity function inside a real activity `Context`
 * (so `Context.current()`, `activityInfo()`, heartbeat and cancellation work), and applies the retry policy and the
 * startToClose / scheduleToClose / heartbeat timeouts in virtual time.
 */
import type { Info } from '@temporalio/activity';
import type { ActivityFunction, LoadedDataConverter, Logger } from '@temporalio/common';
import {
  ActivityCancellationDetails,
  decompileRetryPolicy,
  encodeRetryState,
  noopMetricMeter,
  type RetryState,
} from '@temporalio/common';
import { decodeArrayFromPayloads, encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { coresdk, temporal } from '@temporalio/proto';
import { Activity } from '@temporalio/worker/lib/activity';
import Long from 'long';
import { runWithVirtualDateNow } from './activityClock';
import { decideRetry } from './retryPolicy';

type IFailure = temporal.api.failure.v1.IFailure;
type ActivityResolution = coresdk.activity_result.IActivityResolution;
const { TimeoutType } = temporal.api.enums.v1;

/** What an activity needs from the environment that runs it. */
export interface ActivityHost {
  readonly namespace: string;
  readonly taskQueue: string;
  readonly dataConverter: LoadedDataConverter;
  readonly logger: Logger;
  now(): number;
  /** Run `action` when the virtual clock reaches `atMs`; returns a cancel function. */
  at(atMs: number, label: string, action: () => void): () => void;
  /** An attempt started / settled (the clock never jumps while attempts are in flight). */
  attemptStarted(execution: ActivityExecution): void;
  attemptSettled(execution: ActivityExecution): void;
  /** Deliver the final outcome to the workflow. */
  resolve(execution: ActivityExecution, resolution: ActivityResolution, outcome: ActivityOutcome): void;
}

export type ActivityOutcome = 'Completed' | 'Failed' | 'TimedOut' | 'Canceled';

export interface ActivityAttemptRecord {
  attempt: number;
  startedAtMs: number;
  endedAtMs?: number;
  outcome?: 'completed' | 'failed' | 'timed out' | 'canceled' | 'abandoned';
  failureMessage?: string;
}

export interface ActivityOwner {
  workflowId: string;
  runId: string;
  workflowType: string;
}

interface RunningAttempt {
  attempt: number;
  activity: Activity;
  startedAtMs: number;
  cancelTimeouts: Array<() => void>;
  /** Earliest virtual deadline of this attempt (startToClose, scheduleToClose or heartbeat). */
  deadlineMs: number;
  settled: boolean;
}

const cancellationTypes = coresdk.workflow_commands.ActivityCancellationType;

export class ActivityExecution {
  readonly seq: number;
  readonly activityId: string;
  readonly activityType: string;
  readonly scheduledAtMs: number;
  readonly attempts: ActivityAttemptRecord[] = [];
  private readonly startToCloseMs: number;
  private readonly scheduleToCloseMs: number | undefined;
  private readonly heartbeatTimeoutMs: number | undefined;
  private readonly retryPolicy;
  private readonly cancellationType: coresdk.workflow_commands.ActivityCancellationType;
  private running: RunningAttempt | undefined;
  private cancelBackoff: (() => void) | undefined;
  private lastHeartbeatDetails: unknown;
  private lastFailure: IFailure | undefined;
  private resolved = false;
  private cancelRequested = false;

  constructor(
    private readonly host: ActivityHost,
    private readonly owner: ActivityOwner,
    private readonly command: coresdk.workflow_commands.IScheduleActivity,
    private readonly fn: ActivityFunction,
  ) {
    this.seq = command.seq ?? 0;
    this.activityId = command.activityId ?? String(this.seq);
    this.activityType = command.activityType ?? '';
    this.scheduledAtMs = host.now();
    this.scheduleToCloseMs = optionalTsToMs(command.scheduleToCloseTimeout) || undefined;
    // The SDK requires one of the two; the server derives startToClose from scheduleToClose when only that is set.
    this.startToCloseMs = optionalTsToMs(command.startToCloseTimeout) || this.scheduleToCloseMs || Infinity;
    this.heartbeatTimeoutMs = optionalTsToMs(command.heartbeatTimeout) || undefined;
    this.retryPolicy = decompileRetryPolicy(command.retryPolicy);
    this.cancellationType = command.cancellationType ?? cancellationTypes.TRY_CANCEL;
  }

  get isResolved(): boolean {
    return this.resolved;
  }

  get isRunning(): boolean {
    return this.running !== undefined && !this.running.settled;
  }

  get currentAttempt(): number {
    return this.attempts.length;
  }

  /** The earliest virtual deadline of the attempt in flight, used to time out a hung activity. */
  get runningDeadlineMs(): number | undefined {
    return this.isRunning ? this.running?.deadlineMs : undefined;
  }

  start(): void {
    void this.runAttempt(1);
  }

  /** The workflow requested cancellation (RequestCancelActivity), honouring the activity's cancellation type. */
  requestCancel(): void {
    if (this.resolved || this.cancelRequested) return;
    this.cancelRequested = true;
    if (!this.isRunning) {
      this.cancelBackoff?.();
      this.resolveCanceled(undefined);
      return;
    }
    const running = this.running as RunningAttempt;
    if (this.cancellationType !== cancellationTypes.ABANDON) {
      running.activity.cancel('CANCELLED', new ActivityCancellationDetails({ cancelRequested: true }));
    }
    if (this.cancellationType !== cancellationTypes.WAIT_CANCELLATION_COMPLETED) {
      // TRY_CANCEL and ABANDON resolve at once; whatever the attempt does afterwards is ignored.
      this.finishAttempt(running, this.cancellationType === cancellationTypes.ABANDON ? 'abandoned' : 'canceled');
      this.resolveCanceled(undefined);
    }
  }

  /** The run closed (completed, terminated…): stop everything, deliver nothing. */
  abandon(): void {
    this.cancelBackoff?.();
    if (this.isRunning) {
      const running = this.running as RunningAttempt;
      running.activity.cancel('NOT_FOUND', new ActivityCancellationDetails({ notFound: true }));
      this.finishAttempt(running, 'abandoned');
    }
    this.resolved = true;
  }

  private info(attempt: number, startedAtMs: number): Info {
    const taskToken = Buffer.from(`${this.owner.workflowId}/${this.owner.runId}/${this.seq}/${attempt}`);
    return {
      taskToken,
      base64TaskToken: taskToken.toString('base64'),
      activityId: this.activityId,
      activityType: this.activityType,
      attempt,
      isLocal: false,
      taskQueue: this.command.taskQueue || this.host.taskQueue,
      workflowType: this.owner.workflowType,
      workflowExecution: { workflowId: this.owner.workflowId, runId: this.owner.runId },
      activityNamespace: this.host.namespace,
      workflowNamespace: this.host.namespace,
      namespace: this.host.namespace,
      heartbeatTimeoutMs: this.heartbeatTimeoutMs,
      heartbeatDetails: this.lastHeartbeatDetails,
      scheduledTimestampMs: this.scheduledAtMs,
      currentAttemptScheduledTimestampMs: startedAtMs,
      startToCloseTimeoutMs: Number.isFinite(this.startToCloseMs) ? this.startToCloseMs : 0,
      scheduleToCloseTimeoutMs: this.scheduleToCloseMs ?? 0,
      priority: undefined,
      retryPolicy: this.retryPolicy,
      activityRunId: undefined,
      inWorkflow: true,
    };
  }

  private async runAttempt(attempt: number): Promise<void> {
    this.cancelBackoff = undefined;
    const startedAtMs = this.host.now();
    const record: ActivityAttemptRecord = { attempt, startedAtMs };
    this.attempts.push(record);
    const context = {
      type: 'activity' as const,
      namespace: this.host.namespace,
      workflowId: this.owner.workflowId,
      activityId: this.activityId,
      isLocal: false,
    };
    const info = this.info(attempt, startedAtMs);
    const activity = new Activity(
      info,
      this.fn,
      this.host.dataConverter,
      context,
      undefined,
      (details: unknown) => this.onHeartbeat(running, details),
      undefined,
      this.host.logger,
      noopMetricMeter,
      [],
    );
    const running: RunningAttempt = {
      attempt,
      activity,
      startedAtMs,
      cancelTimeouts: [],
      deadlineMs: Infinity,
      settled: false,
    };
    this.running = running;
    this.armTimeouts(running);
    this.host.attemptStarted(this);
    let result: coresdk.activity_result.IActivityExecutionResult;
    try {
      const args = await decodeArrayFromPayloads(this.host.dataConverter, this.command.arguments, context);
      result = await runWithVirtualDateNow(startedAtMs, () => activity.run({ args, headers: {} }));
    } catch (err) {
      // Argument decoding failed: the worker reports this as a retryable application failure.
      result = {
        failed: {
          failure: {
            message: `Failed to parse activity args for activity ${this.activityType}: ${String(err)}`,
            applicationFailureInfo: { type: 'Error', nonRetryable: false },
          },
        },
      };
    }
    if (running.settled) return; // timed out, cancelled (TRY_CANCEL/ABANDON) or abandoned meanwhile
    this.onAttemptResult(running, record, result);
  }

  private armTimeouts(running: RunningAttempt): void {
    for (const cancel of running.cancelTimeouts) cancel();
    running.cancelTimeouts = [];
    const deadlines: Array<[number, temporal.api.enums.v1.TimeoutType]> = [
      [running.startedAtMs + this.startToCloseMs, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE],
    ];
    if (this.scheduleToCloseMs !== undefined) {
      deadlines.push([this.scheduledAtMs + this.scheduleToCloseMs, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]);
    }
    if (this.heartbeatTimeoutMs !== undefined) {
      deadlines.push([this.host.now() + this.heartbeatTimeoutMs, TimeoutType.TIMEOUT_TYPE_HEARTBEAT]);
    }
    running.deadlineMs = Math.min(...deadlines.map(([at]) => at));
    for (const [at, type] of deadlines) {
      if (!Number.isFinite(at)) continue;
      running.cancelTimeouts.push(
        this.host.at(at, `activity ${this.activityType} timeout`, () => this.onAttemptTimeout(running, type)),
      );
    }
  }

  private onHeartbeat(running: RunningAttempt, details: unknown): void {
    if (running.settled) return;
    this.lastHeartbeatDetails = details;
    if (this.heartbeatTimeoutMs !== undefined) this.armTimeouts(running);
  }

  private finishAttempt(running: RunningAttempt, outcome: ActivityAttemptRecord['outcome'], failure?: IFailure): void {
    running.settled = true;
    for (const cancel of running.cancelTimeouts) cancel();
    const record = this.attempts[this.attempts.length - 1];
    if (record) {
      record.endedAtMs = this.host.now();
      record.outcome = outcome;
      if (failure?.message) record.failureMessage = failure.message;
    }
    this.host.attemptSettled(this);
  }

  private onAttemptResult(
    running: RunningAttempt,
    _record: ActivityAttemptRecord,
    result: coresdk.activity_result.IActivityExecutionResult,
  ): void {
    if (result.completed) {
      this.finishAttempt(running, 'completed');
      this.resolve({ completed: { result: result.completed.result ?? null } }, 'Completed');
    } else if (result.cancelled) {
      this.finishAttempt(running, 'canceled', result.cancelled.failure ?? undefined);
      this.resolveCanceled(result.cancelled.failure ?? undefined);
    } else if (result.willCompleteAsync) {
      this.finishAttempt(running, 'failed');
      this.host.resolve(
        this,
        { failed: { failure: this.activityFailure(this.asyncUnsupported(), 'NON_RETRYABLE_FAILURE') } },
        'Failed',
      );
      this.resolved = true;
    } else {
      const failure = result.failed?.failure ?? { message: 'activity failed without a failure' };
      this.finishAttempt(running, 'failed', failure);
      if (this.cancelRequested) {
        this.resolveCanceled(failure);
        return;
      }
      this.retryOrFail(running.attempt, failure, 'Failed');
    }
  }

  private asyncUnsupported(): IFailure {
    return {
      message: 'Asynchronous activity completion (CompleteAsyncError) is not supported by the offline environment',
      applicationFailureInfo: { type: 'UnsupportedFeatureError', nonRetryable: true },
    };
  }

  private onAttemptTimeout(running: RunningAttempt, timeoutType: temporal.api.enums.v1.TimeoutType): void {
    if (running.settled) return;
    running.activity.cancel('TIMED_OUT', new ActivityCancellationDetails({ timedOut: true }));
    const name =
      timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT
        ? 'Heartbeat'
        : timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
          ? 'ScheduleToClose'
          : 'StartToClose';
    const failure: IFailure = {
      message: `activity ${name} timeout`,
      timeoutFailureInfo: { timeoutType },
      ...(this.lastFailure ? { cause: this.lastFailure } : {}),
    };
    this.finishAttempt(running, 'timed out', failure);
    void this.attachHeartbeatDetails(failure).then(() => this.retryOrFail(running.attempt, failure, 'TimedOut'));
  }

  private async attachHeartbeatDetails(failure: IFailure): Promise<void> {
    if (this.lastHeartbeatDetails === undefined || !failure.timeoutFailureInfo) return;
    const payloads = await encodeToPayloads(this.host.dataConverter, this.lastHeartbeatDetails);
    failure.timeoutFailureInfo.lastHeartbeatDetails = { payloads: payloads ?? [] };
  }

  private retryOrFail(attempt: number, failure: IFailure, outcome: ActivityOutcome): void {
    if (this.resolved) return;
    this.lastFailure = failure.timeoutFailureInfo ? (failure.cause ?? this.lastFailure) : failure;
    const now = this.host.now();
    const decision = decideRetry({
      policy: this.retryPolicy,
      attempt,
      failure,
      nowMs: now,
      scheduleToCloseDeadlineMs:
        this.scheduleToCloseMs === undefined ? undefined : this.scheduledAtMs + this.scheduleToCloseMs,
    });
    if (decision.retry) {
      this.cancelBackoff = this.host.at(now + decision.delayMs, `activity ${this.activityType} retry`, () => {
        void this.runAttempt(attempt + 1);
      });
      return;
    }
    this.resolve({ failed: { failure: this.activityFailure(failure, decision.retryState) } }, outcome);
  }

  private activityFailure(cause: IFailure, retryState: RetryState): IFailure {
    return {
      message: cause.timeoutFailureInfo ? 'Activity task timed out' : 'Activity task failed',
      activityFailureInfo: {
        scheduledEventId: Long.fromNumber(this.seq),
        startedEventId: Long.fromNumber(this.seq),
        identity: 'offline-workflow-environment',
        activityType: { name: this.activityType },
        activityId: this.activityId,
        retryState: encodeRetryState(retryState),
      },
      cause,
    };
  }

  private resolveCanceled(cause: IFailure | undefined): void {
    this.resolve(
      {
        cancelled: {
          failure: this.activityFailure(cause ?? { message: 'Activity cancelled', canceledFailureInfo: {} }, 'CANCEL_REQUESTED'),
        },
      },
      'Canceled',
    );
  }

  private resolve(resolution: ActivityResolution, outcome: ActivityOutcome): void {
    if (this.resolved) return;
    this.resolved = true;
    this.host.resolve(this, resolution, outcome);
  }
}
