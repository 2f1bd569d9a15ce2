/**
 * Runs real workflow code offline: the bundled workflows execute in the worker's own sandbox VM, fed with
 * activations the way sdk-core would feed them, with a virtual clock, real activities (retries and timeouts in
 * virtual time), the payload codec where a real client/worker applies it, and a recorded log per run.
 * See test/support/README.md for the scenario API and the fidelity gaps.
 */
import { randomUUID } from 'node:crypto';
import type { ActivityFunction, DataConverter, LoadedDataConverter, Logger, Payload } from '@temporalio/common';
import {
  TypedSearchAttributes,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { ServiceError } from '@temporalio/client';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { coresdk, temporal } from '@temporalio/proto';
import { DefaultLogger } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared';
import { WorkflowCodecRunner } from '@temporalio/worker/lib/workflow-codec-runner';
import type { WorkflowInfo } from '@temporalio/workflow';
import { createUnsafeRandomSource } from '@temporalio/workflow/lib/random-helpers';
import Long from 'long';
import { outsideVirtualDateNow } from './activityClock';
import { ActivityExecution } from './activityExecution';
import type { ActivityHost, ActivityOutcome } from './activityExecution';
import { replayRun, restoreInstance } from './determinism';
import {
  OfflineEnvironmentTimeoutError,
  RunawayWorkflowError,
  StuckWorkflowError,
  UnsupportedFeatureError,
  WorkflowTaskFailedError,
} from './errors';
import { HistoryEventType } from './historyEvents';
import { OfflineWorkflowClient } from './offlineWorkflowClient';
import { VirtualClock } from './virtualClock';
import { bundleWorkflowsOnce } from './workflowBundleCache';
import { deferred, WorkflowRun } from './workflowRun';
import type { Deferred, RunClose, TimerRecord, UpdateWaiter } from './workflowRun';

/** The Temporal server's per-run update limits (dynamic config history.maxInFlightUpdates / history.maxTotalUpdates). */
export const MAX_IN_FLIGHT_UPDATES_PER_RUN = 10;
export const MAX_TOTAL_UPDATES_PER_RUN = 2000;

type Job = coresdk.workflow_activation.IWorkflowActivationJob;
type Command = coresdk.workflow_commands.IWorkflowCommand;
type IFailure = temporal.api.failure.v1.IFailure;

export interface OfflineWorkflowEnvironmentOptions {
  /** Path of the module exporting the workflows (bundled once per process and path). */
  workflowsPath: string;
  /** Activity implementations by name, as given to `Worker.create({ activities })`. */
  activities?: object;
  /** Default 'offline-test'. Starting a workflow on another queue fails: no worker would poll it. */
  taskQueue?: string;
  /** Default 'default'. */
  namespace?: string;
  /** Payload converter / payload codecs / failure converter, applied where the real client and worker apply them. */
  dataConverter?: DataConverter;
  /** Virtual time at creation (ms since epoch). Default: the real time at creation. */
  startTimeMs?: number;
  /** Logger given to activity contexts. Default: a DefaultLogger at ERROR (retried failures would log warnings). */
  logger?: Logger;
  /**
   * Wall-time limit of one synchronous run of workflow code (an infinite loop fails the task instead of hanging).
   * Off by default: node's vm watchdog costs a thread per call into the sandbox and triples scenario time.
   */
  workflowCpuTimeoutMs?: number;
  /** Wall time after which an activity attempt that has not settled counts as hung and its timeout is fast-forwarded. */
  hungActivityAfterMs?: number;
  /** Wall time a workflow awaited through result() may sit with no pending work before it is reported stuck. */
  stuckAfterMs?: number;
  /** Wall-time cap of runUntilIdle() waiting for activities. */
  idleTimeoutMs?: number;
  /** Continue-as-new runs allowed at one virtual instant before the workflow counts as runaway (default 100). */
  maxRunsPerInstant?: number;
  /** History length from which `workflowInfo().continueAsNewSuggested` becomes true (server default: 4K events). */
  continueAsNewSuggestedAtEvents?: number;
  /**
   * Custom search attributes registered on the namespace, besides the dev server's predefined Custom* ones. A server
   * fails every workflow task that upserts (or continues as new with) an unregistered or mistyped one
   * (BAD_SEARCH_ATTRIBUTES) and the SDK retries it forever; here the run breaks with WorkflowTaskFailedError.
   */
  searchAttributes?: readonly { name: string; type: string }[];
}

/** The custom search attributes `temporal server start-dev` registers in every namespace. */
export const DEV_SERVER_PREDEFINED_SEARCH_ATTRIBUTES: readonly { name: string; type: string }[] = [
  { name: 'CustomKeywordField', type: 'KEYWORD' },
  { name: 'CustomStringField', type: 'TEXT' },
  { name: 'CustomTextField', type: 'TEXT' },
  { name: 'CustomIntField', type: 'INT' },
  { name: 'CustomDatetimeField', type: 'DATETIME' },
  { name: 'CustomDoubleField', type: 'DOUBLE' },
  { name: 'CustomBoolField', type: 'BOOL' },
];

/** Options of a workflow start as the client passes them, after encoding. */
export interface EncodedStart {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: Payload[];
  memo: Record<string, Payload>;
  searchAttributes: Record<string, Payload>;
  userMetadata: temporal.api.sdk.v1.IUserMetadata | undefined;
  retryPolicy: temporal.api.common.v1.IRetryPolicy | undefined;
  conflictPolicy: 'FAIL' | 'USE_EXISTING' | 'TERMINATE_EXISTING';
  reusePolicy: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' | 'REJECT_DUPLICATE' | 'TERMINATE_IF_RUNNING';
}

interface Demand {
  /** Latest virtual time this demand lets the clock jump to (-Infinity: no jumps). */
  skipBoundMs: number;
  /** Checked whenever the environment is quiescent or something changed. */
  check(): 'done' | Error | undefined;
  /** Called when nothing can make progress any more and `check` did not finish the demand. */
  onQuiescent?(): Error | 'done' | undefined;
  done: Deferred<void>;
}

const jobPriority = (job: Job): number => {
  if (job.initializeWorkflow) return 0;
  if (job.notifyHasPatch) return 1;
  if (job.updateRandomSeed) return 2;
  if (job.signalWorkflow || job.doUpdate) return 3;
  return 4;
};

/** The unsupported command kinds and how a test author knows them. */
const unsupportedCommands: Array<[keyof Command, string]> = [
  ['scheduleLocalActivity', 'local activities (proxyLocalActivities)'],
  ['requestCancelLocalActivity', 'local activities (proxyLocalActivities)'],
  ['startChildWorkflowExecution', 'child workflows (startChild / executeChild)'],
  ['cancelChildWorkflowExecution', 'child workflows (startChild / executeChild)'],
  ['signalExternalWorkflowExecution', 'signalling another workflow (getExternalWorkflowHandle().signal)'],
  ['cancelSignalWorkflow', 'signalling another workflow (getExternalWorkflowHandle().signal)'],
  ['requestCancelExternalWorkflowExecution', 'cancelling another workflow (getExternalWorkflowHandle().cancel)'],
  ['scheduleNexusOperation', 'Nexus operations'],
  ['requestCancelNexusOperation', 'Nexus operations'],
];

export class OfflineWorkflowEnvironment {
  /** Client-shaped access, like `TestWorkflowEnvironment.client`: `env.client.workflow.start(...)`. */
  readonly client: { readonly workflow: OfflineWorkflowClient };
  readonly taskQueue: string;
  readonly namespace: string;
  readonly dataConverter: LoadedDataConverter;
  private readonly clock: VirtualClock;
  private readonly chains = new Map<string, WorkflowRun[]>();
  private readonly runsById = new Map<string, WorkflowRun>();
  private readonly activities: Map<string, ActivityFunction>;
  private readonly logger: Logger;
  private readonly demands = new Set<Demand>();
  private readonly runnable: WorkflowRun[] = [];
  private inFlightAttempts = 0;
  /** Bumped whenever anything happens, so wall-time grace periods restart on progress. */
  private epoch = 0;
  private driving = false;
  private driveAgain = false;
  private driveScheduled = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private graceEpoch = -1;
  private graceStartedAt = 0;
  private tornDown = false;
  private readonly hungActivityAfterMs: number;
  private readonly stuckAfterMs: number;
  private readonly idleTimeoutMs: number;
  private readonly continueAsNewSuggestedAtEvents: number;
  private readonly maxRunsPerInstant: number;
  /** Registered custom search attributes: name → type (KEYWORD, DATETIME, …). */
  private readonly registeredSearchAttributes: ReadonlyMap<string, string>;
  private readonly activityHost: ActivityHost;
  private readonly activityOwners = new WeakMap<ActivityExecution, WorkflowRun>();

  private constructor(
    private readonly bundle: WorkflowBundleWithSourceMap,
    private readonly creator: ReusableVMWorkflowCreator,
    options: OfflineWorkflowEnvironmentOptions,
  ) {
    this.taskQueue = options.taskQueue ?? 'offline-test';
    this.namespace = options.namespace ?? 'default';
    this.dataConverter = loadDataConverter(options.dataConverter);
    this.clock = new VirtualClock(options.startTimeMs ?? Date.now());
    this.activities = new Map(
      Object.entries(options.activities ?? {}).filter((entry): entry is [string, ActivityFunction] => typeof entry[1] === 'function'),
    );
    this.logger = options.logger ?? new DefaultLogger('ERROR');
    this.hungActivityAfterMs = options.hungActivityAfterMs ?? 1000;
    this.stuckAfterMs = options.stuckAfterMs ?? 50;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.continueAsNewSuggestedAtEvents = options.continueAsNewSuggestedAtEvents ?? 4096;
    this.maxRunsPerInstant = options.maxRunsPerInstant ?? 100;
    this.registeredSearchAttributes = new Map(
      [...DEV_SERVER_PREDEFINED_SEARCH_ATTRIBUTES, ...(options.searchAttributes ?? [])].map(({ name, type }) => [name, type.toUpperCase()]),
    );
    this.client = { workflow: new OfflineWorkflowClient(this) };
    this.activityHost = this.makeActivityHost();
  }

  static async create(options: OfflineWorkflowEnvironmentOptions): Promise<OfflineWorkflowEnvironment> {
    const bundle = await bundleWorkflowsOnce(options.workflowsPath);
    const creator = await ReusableVMWorkflowCreator.create(
      parseWorkflowCode(bundle.code),
      options.workflowCpuTimeoutMs as number,
      new Set(Object.keys(options.activities ?? {})),
    );
    // The SDK installs a process-wide promise hook for workflow stack traces. A real worker confines it to its
    // workflow thread; here it would run for every promise of the test process and make scenarios ~3x slower.
    (globalHandlers as unknown as { stopPromiseHook(): void }).stopPromiseHook();
    globalHandlers.promiseHookInstalled = false;
    return new OfflineWorkflowEnvironment(bundle, creator, options);
  }

  /** The bundle the environment runs (for replays and for starting a real Worker on the same code). */
  get workflowBundle(): WorkflowBundleWithSourceMap {
    return this.bundle;
  }

  /** Virtual time, ms since epoch. */
  now(): number {
    return this.clock.nowMs;
  }

  /**
   * Advance virtual time by `ms`, firing timers, activity retries and timeouts in order and letting workflows react
   * at each step. Waits for running activities first (the clock never moves while one runs), like a quiescent
   * time-skipping server.
   */
  async sleep(ms: number): Promise<void> {
    const target = this.clock.nowMs + Math.max(0, ms);
    await this.addDemand({
      skipBoundMs: target,
      check: () => this.brokenRunError() ?? (this.clock.nowMs >= target && this.isQuiescent() ? 'done' : undefined),
      onQuiescent: () => {
        this.clock.advanceTo(target);
        return 'done';
      },
      done: deferred<void>(),
    });
  }

  /** Alias of {@link sleep}. */
  advance(ms: number): Promise<void> {
    return this.sleep(ms);
  }

  /** Process everything that is ready (workflow tasks, running activities) without moving the virtual clock. */
  async runUntilIdle(): Promise<void> {
    const startedAt = performance.now();
    // Re-check after the wall-time cap even if nothing else wakes the loop (a hung activity).
    const wakeUp = setTimeout(() => this.kick(), this.idleTimeoutMs + 1);
    try {
      await this.runUntilIdleDemand(startedAt);
    } finally {
      clearTimeout(wakeUp);
    }
  }

  private async runUntilIdleDemand(startedAt: number): Promise<void> {
    await this.addDemand({
      skipBoundMs: -Infinity,
      check: () => {
        const broken = this.brokenRunError();
        if (broken) return broken;
        if (this.isQuiescent()) return 'done';
        if (performance.now() - startedAt > this.idleTimeoutMs) {
          return new OfflineEnvironmentTimeoutError(
            `runUntilIdle: activities still running after ${this.idleTimeoutMs} ms of wall time:\n${this.describeAll()}`,
          );
        }
        return undefined;
      },
      onQuiescent: () => 'done',
      done: deferred<void>(),
    });
  }

  /** The error of a running workflow that can no longer progress (task failure, unsupported feature, runaway). */
  private brokenRunError(): Error | undefined {
    for (const run of this.runsById.values()) if (run.isRunning && run.brokenBy) return run.brokenBy;
    return undefined;
  }

  /** All runs of a workflow id, oldest first (continue-as-new appends). */
  runs(workflowId: string): readonly WorkflowRun[] {
    return this.chains.get(workflowId) ?? [];
  }

  /** Every run of every workflow, in start order. */
  allRuns(): readonly WorkflowRun[] {
    return [...this.runsById.values()];
  }

  /**
   * Replay every recorded run in a fresh sandbox (isReplaying) and require the same commands.
   * Throws DeterminismViolationError with a readable diff.
   */
  async assertDeterministic(workflowId?: string): Promise<void> {
    const runs = workflowId === undefined ? this.allRuns() : this.runs(workflowId);
    for (const run of runs) {
      await replayRun(this.creator, this.dataConverter.payloadCodecs, run, this.workflowInfo(run, this.initJob(run)));
    }
  }

  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    for (const run of this.runsById.values()) {
      for (const activity of run.activities.values()) activity.abandon();
      for (const timer of run.timers.values()) timer.cancel?.();
      await run.instance?.dispose();
      run.instance = undefined;
    }
    for (const demand of this.demands) demand.done.reject(new Error('The offline workflow environment was torn down'));
    this.demands.clear();
    await this.creator.destroy();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Operations used by OfflineWorkflowClient (client side of the "server").

  /** @internal */
  latestRun(workflowId: string): WorkflowRun | undefined {
    const chain = this.chains.get(workflowId);
    return chain?.[chain.length - 1];
  }

  /** @internal */
  findRun(workflowId: string, runId?: string): WorkflowRun {
    const run = runId ? this.runsById.get(runId) : this.latestRun(workflowId);
    if (!run || run.workflowId !== workflowId) {
      throw new WorkflowNotFoundError(`Workflow not found: ${workflowId}${runId ? ` (run ${runId})` : ''}`, workflowId, runId);
    }
    return run;
  }

  /** @internal */
  findRunningRun(workflowId: string, runId?: string): WorkflowRun {
    const run = this.findRun(workflowId, runId);
    if (!run.isRunning) {
      throw new WorkflowNotFoundError('workflow execution already completed', workflowId, run.runId);
    }
    return run;
  }

  /**
   * @internal Start (or reuse, per conflict policy) a run. `firstJobs` ride in the first workflow task together with
   * initializeWorkflow, as signal-with-start and update-with-start do on a server.
   */
  startWorkflow(start: EncodedStart, firstJobs: Job[] = []): { run: WorkflowRun; started: boolean } {
    this.assertUsable();
    if (start.taskQueue !== this.taskQueue) {
      throw new Error(
        `Workflow ${start.workflowId} was started on task queue '${start.taskQueue}', but the offline environment ` +
          `only runs '${this.taskQueue}': a real server would leave it waiting for a worker forever.`,
      );
    }
    const existing = this.latestRun(start.workflowId);
    if (existing?.isRunning) {
      if (start.conflictPolicy === 'USE_EXISTING') {
        if (firstJobs.some((job) => job.doUpdate)) this.admitUpdate(existing);
        for (const job of firstJobs) this.deliver(existing, job);
        return { run: existing, started: false };
      }
      if (start.conflictPolicy === 'TERMINATE_EXISTING' || start.reusePolicy === 'TERMINATE_IF_RUNNING') {
        this.terminate(existing, 'terminated by a start with TERMINATE_EXISTING');
      } else {
        throw new WorkflowExecutionAlreadyStartedError(
          'Workflow execution already started',
          start.workflowId,
          start.workflowType,
        );
      }
    } else if (existing) {
      const failedLike = existing.status !== 'COMPLETED';
      if (start.reusePolicy === 'REJECT_DUPLICATE' || (start.reusePolicy === 'ALLOW_DUPLICATE_FAILED_ONLY' && !failedLike)) {
        throw new WorkflowExecutionAlreadyStartedError(
          'Workflow execution already started',
          start.workflowId,
          start.workflowType,
        );
      }
    }
    const run = this.createRun({
      workflowType: start.workflowType,
      workflowId: start.workflowId,
      firstExecutionRunId: undefined,
      continuedFrom: undefined,
      args: start.args,
      memo: start.memo,
      searchAttributes: start.searchAttributes,
      userMetadata: start.userMetadata,
      retryPolicy: start.retryPolicy,
      firstJobs,
    });
    return { run, started: true };
  }

  /** @internal */
  deliver(run: WorkflowRun, job: Job): void {
    this.assertUsable();
    if (job.signalWorkflow) {
      run.history.add(HistoryEventType.WorkflowExecutionSignaled, this.clock.nowMs, job.signalWorkflow.signalName ?? '');
    }
    if (job.cancelWorkflow) run.history.add(HistoryEventType.WorkflowExecutionCancelRequested, this.clock.nowMs);
    if (job.queryWorkflow) run.pendingQueries.push(job);
    else run.pendingJobs.push(job);
    this.markRunnable(run);
  }

  /** @internal Register an update and deliver it; the waiter settles from the workflow's UpdateResponse commands. */
  deliverUpdate(run: WorkflowRun, updateId: string, name: string, input: Payload[]): UpdateWaiter {
    const existing = run.updates.get(updateId) ?? run.finishedUpdates.get(updateId);
    if (existing) return existing; // the server dedupes updates by id within a run
    this.admitUpdate(run);
    const waiter: UpdateWaiter = { updateId, name, accepted: deferred(), outcome: deferred() };
    run.updates.set(updateId, waiter);
    this.deliver(run, this.updateJob(updateId, name, input));
    return waiter;
  }

  /** @internal */
  updateJob(updateId: string, name: string, input: Payload[]): Job {
    return {
      doUpdate: {
        id: updateId,
        protocolInstanceId: updateId,
        name,
        input,
        headers: {},
        meta: { updateId, identity: 'offline-workflow-client' },
        runValidator: true,
      },
    };
  }

  /**
   * The server's per-run update limits (history.maxInFlightUpdates = 10, history.maxTotalUpdates = 2000): beyond
   * them it refuses the request with RESOURCE_EXHAUSTED, which the client reports as a ServiceError (after retrying
   * for ~40 s; refused at once here).
   */
  private admitUpdate(run: WorkflowRun): void {
    const inFlight = run.updates.size;
    let reason: string | undefined;
    if (inFlight >= MAX_IN_FLIGHT_UPDATES_PER_RUN) reason = `limit on number of concurrent in-flight updates has been reached (${MAX_IN_FLIGHT_UPDATES_PER_RUN})`;
    else if (run.acceptedUpdateCount + inFlight >= MAX_TOTAL_UPDATES_PER_RUN) reason = `limit on number of total updates has been reached (${MAX_TOTAL_UPDATES_PER_RUN})`;
    if (reason) {
      throw new ServiceError('Workflow Update failed', { cause: Object.assign(new Error(`8 RESOURCE_EXHAUSTED: ${reason}`), { code: 8, details: reason }) });
    }
  }

  /** @internal */
  registerUpdate(run: WorkflowRun, updateId: string, name: string): UpdateWaiter {
    const waiter: UpdateWaiter = { updateId, name, accepted: deferred(), outcome: deferred() };
    run.updates.set(updateId, waiter);
    return waiter;
  }

  /** @internal */
  async query(run: WorkflowRun, queryType: string, args: Payload[]): Promise<{ response: Payload | undefined } | { failure: IFailure }> {
    if (run.brokenBy) throw run.brokenBy;
    if (!run.instance && run.close?.status === 'CONTINUED_AS_NEW') {
      throw new WorkflowNotFoundError(
        `Workflow ${run.workflowId} run ${run.runId} is no longer cached in the offline environment (it continued as new); query the latest run`,
        run.workflowId,
        run.runId,
      );
    }
    const queryId = randomUUID();
    const answer = deferred<{ response: Payload | undefined } | { failure: IFailure }>();
    run.queries.set(queryId, answer);
    run.pendingQueries.push({ queryWorkflow: { queryId, queryType, arguments: args, headers: {} } });
    this.markRunnable(run);
    return answer.promise;
  }

  /** @internal */
  terminate(run: WorkflowRun, reason: string): void {
    if (!run.isRunning) throw new WorkflowNotFoundError('workflow execution already completed', run.workflowId, run.runId);
    run.history.add(HistoryEventType.WorkflowExecutionTerminated, this.clock.nowMs, reason);
    this.closeRun(run, { status: 'TERMINATED', reason });
  }

  /** @internal Wait until the run (following continue-as-new when asked) closes, skipping time like a server does. */
  async waitForClose(workflowId: string, runId: string | undefined, followRuns: boolean): Promise<WorkflowRun> {
    let run = this.findRun(workflowId, runId);
    const target = () => {
      while (followRuns && run.close?.status === 'CONTINUED_AS_NEW') {
        const next = this.runsById.get(run.close.nextRunId);
        if (!next) break;
        run = next;
      }
      return run;
    };
    await this.addDemand({
      skipBoundMs: Infinity,
      check: () => {
        const current = target();
        if (current.close) return 'done';
        if (current.brokenBy) return current.brokenBy;
        return undefined;
      },
      onQuiescent: () => {
        const current = target();
        if (current.close) return 'done';
        return new StuckWorkflowError(current.workflowId, `${current.describeState(this.clock.nowMs)}`);
      },
      done: deferred<void>(),
    });
    return target();
  }

  /** @internal Wait for a specific promise while driving the environment (no time skipping). */
  async driveUntil<T>(promise: Promise<T>, run: WorkflowRun): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.addDemand({
      skipBoundMs: -Infinity,
      check: () => (settled ? 'done' : run.brokenBy ? run.brokenBy : undefined),
      onQuiescent: () =>
        settled
          ? 'done'
          : run.brokenBy ??
            new StuckWorkflowError(run.workflowId, `waiting for an answer the workflow never gave\n${run.describeState(this.clock.nowMs)}`),
      done: deferred<void>(),
    });
    return promise;
  }

  /** @internal */
  describeAll(): string {
    return [...this.runsById.values()]
      .filter((run) => run.isRunning)
      .map((run) => `workflow ${run.workflowId}\n${run.describeState(this.clock.nowMs)}`)
      .join('\n');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Runs and workflow tasks.

  private assertUsable(): void {
    if (this.tornDown) throw new Error('The offline workflow environment was torn down');
  }

  private createRun(init: {
    workflowType: string;
    workflowId: string;
    firstExecutionRunId: string | undefined;
    continuedFrom: WorkflowRun | undefined;
    args: Payload[];
    memo: Record<string, Payload>;
    searchAttributes: Record<string, Payload>;
    userMetadata: temporal.api.sdk.v1.IUserMetadata | undefined;
    retryPolicy: temporal.api.common.v1.IRetryPolicy | undefined;
    firstJobs: Job[];
  }): WorkflowRun {
    const runId = randomUUID();
    const codec = new WorkflowCodecRunner(this.dataConverter.payloadCodecs, {
      type: 'workflow',
      namespace: this.namespace,
      workflowId: init.workflowId,
    });
    const seed = Long.fromBytes([...randomUUID().replace(/-/g, '').slice(0, 16).match(/../g)!].map((h) => parseInt(h, 16)), true);
    const run = new WorkflowRun(
      init.workflowId,
      runId,
      init.workflowType,
      init.firstExecutionRunId ?? runId,
      init.continuedFrom?.runId,
      this.clock.nowMs,
      this.taskQueue,
      codec,
      seed,
      { searchAttributes: init.searchAttributes, memo: init.memo, userMetadata: init.userMetadata },
    );
    const chain = this.chains.get(init.workflowId) ?? [];
    chain.push(run);
    this.chains.set(init.workflowId, chain);
    this.runsById.set(runId, run);
    run.history.add(HistoryEventType.WorkflowExecutionStarted, this.clock.nowMs, init.workflowType);
    // Continue-as-new keeps the execution's original start time (workflowInfo().startTime).
    const firstStart = init.continuedFrom?.initialize;
    run.initialize = {
        workflowType: init.workflowType,
        workflowId: init.workflowId,
        arguments: init.args,
        randomnessSeed: seed,
        headers: {},
        identity: 'offline-workflow-client',
        workflowTaskTimeout: msToTs(10_000),
        continuedFromExecutionRunId: init.continuedFrom?.runId ?? '',
        continuedInitiator: init.continuedFrom
          ? temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW
          : undefined,
        firstExecutionRunId: run.firstExecutionRunId,
        retryPolicy: init.retryPolicy ?? null,
        attempt: 1,
        memo: { fields: init.memo },
        searchAttributes: { indexedFields: init.searchAttributes },
        startTime: firstStart?.startTime ?? msToTs(this.clock.nowMs),
        originalExecutionRunId: runId,
    };
    run.pendingJobs.push({ initializeWorkflow: run.initialize });
    for (const job of init.firstJobs) this.deliver(run, job);
    this.markRunnable(run);
    return run;
  }

  /** @internal The initializeWorkflow job a run started with. */
  initJob(run: WorkflowRun): coresdk.workflow_activation.IInitializeWorkflow {
    if (!run.initialize) throw new Error(`run ${run.runId} has no initializeWorkflow job`);
    return run.initialize;
  }

  private workflowInfo(run: WorkflowRun, init: coresdk.workflow_activation.IInitializeWorkflow): WorkflowInfo {
    return {
      workflowId: run.workflowId,
      runId: run.runId,
      workflowType: run.workflowType,
      searchAttributes: {},
      typedSearchAttributes: new TypedSearchAttributes(),
      taskQueue: run.taskQueue,
      namespace: this.namespace,
      firstExecutionRunId: run.firstExecutionRunId,
      originalExecutionRunId: run.runId,
      continuedFromExecutionRunId: run.continuedFromRunId,
      startTime: new Date(tsToMs(init.startTime)),
      runStartTime: new Date(run.startTimeMs),
      taskTimeoutMs: 10_000,
      attempt: 1,
      historyLength: run.historyLength,
      historySize: 0,
      continueAsNewSuggested: false,
      targetWorkerDeploymentVersionChanged: false,
      currentBuildId: '',
      unsafe: {
        now: () => this.clock.nowMs,
        isReplaying: false,
        isReplayingHistoryEvents: false,
        random: createUnsafeRandomSource(Math.random),
      },
      priority: undefined,
    } as WorkflowInfo;
  }

  private markRunnable(run: WorkflowRun): void {
    this.epoch++;
    if (!this.runnable.includes(run)) this.runnable.push(run);
    this.kick();
  }

  private hasPendingWork(): boolean {
    return this.runnable.some((run) => run.pendingJobs.length > 0 || run.pendingQueries.length > 0);
  }

  private isQuiescent(): boolean {
    return !this.hasPendingWork() && this.inFlightAttempts === 0;
  }

  private async processRunnable(): Promise<void> {
    while (this.runnable.length > 0) {
      const run = this.runnable.shift() as WorkflowRun;
      if (run.brokenBy) {
        this.failQueries(run, run.brokenBy);
        run.pendingJobs = [];
        continue;
      }
      if (run.pendingJobs.length > 0 && run.isRunning) {
        const jobs = run.pendingJobs;
        run.pendingJobs = [];
        try {
          await this.runWorkflowTask(run, jobs);
        } catch (err) {
          // A failure of the environment itself (codec, sandbox): stop this run and tell whoever waits on it.
          this.breakRun(run, err instanceof Error ? err : new Error(String(err)));
          continue;
        }
      } else if (run.pendingJobs.length > 0) {
        run.pendingJobs = []; // closed runs ignore late events
      }
      if (run.pendingQueries.length > 0 && !run.brokenBy && run.pendingJobs.length === 0) {
        const queries = run.pendingQueries;
        run.pendingQueries = [];
        for (const query of queries) await this.runQuery(run, query);
      }
      if (run.pendingJobs.length > 0 || run.pendingQueries.length > 0) this.runnable.push(run);
    }
  }

  private failQueries(run: WorkflowRun, err: Error): void {
    for (const answer of run.queries.values()) answer.reject(err);
    run.queries.clear();
    run.pendingQueries = [];
    for (const waiter of run.updates.values()) {
      waiter.accepted.reject(err);
      waiter.outcome.reject(err);
    }
    run.updates.clear();
  }

  private async ensureInstance(run: WorkflowRun): Promise<void> {
    if (run.instance) return;
    run.instance = await this.creator.createWorkflow({
      info: this.workflowInfo(run, this.initJob(run)),
      randomnessSeed: run.randomnessSeed.toBytes(),
      now: this.clock.nowMs,
      showStackTraceSources: false,
    });
  }

  private activation(run: WorkflowRun, jobs: Job[]): coresdk.workflow_activation.IWorkflowActivation {
    return {
      runId: run.runId,
      timestamp: msToTs(this.clock.nowMs),
      isReplaying: false,
      historyLength: run.historyLength,
      historySizeBytes: Long.fromNumber(0, true),
      continueAsNewSuggested: run.historyLength >= this.continueAsNewSuggestedAtEvents,
      availableInternalFlags: [],
      jobs: [...jobs].sort((a, b) => jobPriority(a) - jobPriority(b)),
    };
  }

  private async runWorkflowTask(run: WorkflowRun, jobs: Job[]): Promise<void> {
    const activation = this.activation(run, jobs);
    const atMs = this.clock.nowMs;
    await this.ensureInstance(run);
    const decoded = await run.codec.decodeActivation(activation);
    const raw = await (run.instance as NonNullable<WorkflowRun['instance']>).activate(
      coresdk.workflow_activation.WorkflowActivation.fromObject(decoded),
    );
    // The completion comes from the sandbox realm; the codec runner copies it into ours while encoding.
    const decodedCompletion = coresdk.workflow_completion.WorkflowActivationCompletion.fromObject(raw);
    const completion = await run.codec.encodeCompletion(raw);
    const rejectedUpdateIds: string[] = [];
    if (completion.failed) {
      const failure = completion.failed.failure ?? {};
      run.history.addWorkflowTask(atMs);
      run.history.events.pop();
      run.history.add(HistoryEventType.WorkflowTaskFailed, atMs, failure.message ?? '');
      run.workflowTasks.push({ atMs, activation, completion, rejectedUpdateIds, decodedCompletion });
      this.breakRun(run, new WorkflowTaskFailedError(run.workflowId, run.runId, failure.message ?? 'unknown', failure.stackTrace ?? undefined));
      return;
    }
    const commands = completion.successful?.commands ?? [];
    if (closesRun(commands) && run.pendingJobs.some(isNewHistoryEvent)) {
      await this.retryTaskWithNewEvents(run, jobs, atMs);
      return;
    }
    const onlyRejectedUpdates =
      jobs.every((job) => job.doUpdate) &&
      commands.every((command) => command.updateResponse?.rejected) &&
      commands.length === jobs.length;
    const acceptedHere = new Set(commands.filter((c) => c.updateResponse?.accepted).map((c) => c.updateResponse?.protocolInstanceId ?? ''));
    for (const command of commands) {
      const id = command.updateResponse?.protocolInstanceId;
      // Only a validator's rejection leaves history untouched; a rejection after acceptance is a completion.
      if (command.updateResponse?.rejected && id && !run.updates.get(id)?.wasAccepted && !acceptedHere.has(id)) {
        rejectedUpdateIds.push(id);
      }
    }
    // A speculative workflow task that only rejected updates leaves no trace in history (and is not replayed).
    if (!onlyRejectedUpdates) {
      run.history.addWorkflowTask(atMs);
      run.workflowTasks.push({ atMs, activation, completion, rejectedUpdateIds, decodedCompletion });
    }
    for (const command of commands) {
      if (!run.isRunning) break;
      this.applyCommand(run, command);
      if (run.brokenBy) break;
    }
  }

  /**
   * A server refuses to close a run while new events (signals, updates, cancel requests) arrived during the
   * workflow task: it fails the task (UnhandledCommand) and the worker replays and retries it with those events.
   * Do the same: discard the completion, rebuild the sandbox from the recorded tasks, re-run the jobs plus new ones.
   */
  private async retryTaskWithNewEvents(run: WorkflowRun, jobs: Job[], atMs: number): Promise<void> {
    run.history.add(HistoryEventType.WorkflowTaskScheduled, atMs);
    run.history.add(HistoryEventType.WorkflowTaskStarted, atMs);
    run.history.add(HistoryEventType.WorkflowTaskFailed, atMs, 'UnhandledCommand');
    const previous = run.instance;
    run.instance = undefined;
    await previous?.dispose();
    run.instance = await restoreInstance(
      this.creator,
      this.dataConverter.payloadCodecs,
      run,
      this.workflowInfo(run, this.initJob(run)),
    );
    run.pendingJobs = [...jobs, ...run.pendingJobs];
    this.markRunnable(run);
  }

  private async runQuery(run: WorkflowRun, job: Job): Promise<void> {
    const queryId = job.queryWorkflow?.queryId ?? '';
    const answer = run.queries.get(queryId);
    run.queries.delete(queryId);
    try {
      await this.answerQuery(run, job, answer);
    } catch (err) {
      answer?.reject(err);
    }
  }

  private async answerQuery(
    run: WorkflowRun,
    job: Job,
    answer: Deferred<{ response: Payload | undefined } | { failure: IFailure }> | undefined,
  ): Promise<void> {
    if (!run.instance) {
      answer?.reject(new Error(`run ${run.runId} has no workflow instance to query`));
      return;
    }
    const activation = { ...this.activation(run, [job]), timestamp: undefined };
    const decoded = await run.codec.decodeActivation(activation);
    const raw = await run.instance.activate(coresdk.workflow_activation.WorkflowActivation.fromObject(decoded));
    const completion = await run.codec.encodeCompletion(raw);
    const result = completion.successful?.commands?.find((c) => c.respondToQuery)?.respondToQuery;
    if (completion.failed || !result) {
      answer?.reject(new Error(`query failed: ${completion.failed?.failure?.message ?? 'no response'}`));
    } else if (result.failed) {
      answer?.resolve({ failure: result.failed });
    } else {
      answer?.resolve({ response: result.succeeded?.response ?? undefined });
    }
  }

  /**
   * The server's check of search attributes in a completion: each must be registered with a matching type (the SDK
   * writes the type into the payload's metadata). Undefined when all pass, else the server's message.
   */
  private badSearchAttribute(fields: Record<string, unknown>): string | undefined {
    for (const [name, payload] of Object.entries(fields)) {
      const registered = this.registeredSearchAttributes.get(name);
      if (registered === undefined) return `BadSearchAttributes: search attribute ${name} is not defined`;
      const typeBytes = (payload as Payload | undefined)?.metadata?.type;
      const declared = typeBytes ? Buffer.from(typeBytes).toString().toUpperCase() : undefined;
      if (declared && declared !== registered.replace('_', '') && !isEmptySearchAttributeValue(payload as Payload)) {
        return `BadSearchAttributes: invalid value for search attribute ${name} of type ${registered}: declared ${declared}`;
      }
    }
    return undefined;
  }

  private breakRun(run: WorkflowRun, err: Error): void {
    run.brokenBy = err;
    for (const activity of run.activities.values()) activity.abandon();
    this.failQueries(run, err);
    this.epoch++;
  }

  private applyCommand(run: WorkflowRun, command: Command): void {
    const now = this.clock.nowMs;
    for (const [key, feature] of unsupportedCommands) {
      if (command[key]) {
        run.history.add(HistoryEventType.WorkflowTaskFailed, now, feature);
        this.breakRun(run, new UnsupportedFeatureError(feature, run.workflowId));
        return;
      }
    }
    if (command.startTimer) {
      const seq = command.startTimer.seq ?? 0;
      const fireAtMs = now + Math.max(1, tsToMs(command.startTimer.startToFireTimeout));
      run.history.add(HistoryEventType.TimerStarted, now, `timer ${seq}`);
      const timer: TimerRecord = { seq, startedAtMs: now, fireAtMs };
      timer.cancel = this.clock.at(fireAtMs, `timer ${seq} of ${run.workflowId}`, () => {
        run.timers.delete(seq);
        timer.firedAtMs = this.clock.nowMs;
        run.history.add(HistoryEventType.TimerFired, this.clock.nowMs, `timer ${seq}`);
        this.deliver(run, { fireTimer: { seq } });
      });
      run.timers.set(seq, timer);
    } else if (command.cancelTimer) {
      const seq = command.cancelTimer.seq ?? 0;
      const timer = run.timers.get(seq);
      if (timer) {
        timer.cancel?.();
        timer.canceledAtMs = now;
        run.timers.delete(seq);
        run.history.add(HistoryEventType.TimerCanceled, now, `timer ${seq}`);
      }
    } else if (command.scheduleActivity) {
      this.scheduleActivity(run, command.scheduleActivity);
    } else if (command.requestCancelActivity) {
      const activity = run.activities.get(command.requestCancelActivity.seq ?? 0);
      if (activity && !activity.isResolved) {
        run.history.add(HistoryEventType.ActivityTaskCancelRequested, now, activity.activityType);
        activity.requestCancel();
      }
    } else if (command.updateResponse) {
      this.applyUpdateResponse(run, command.updateResponse);
    } else if (command.upsertWorkflowSearchAttributes) {
      const fields = command.upsertWorkflowSearchAttributes.searchAttributes?.indexedFields ?? {};
      const bad = this.badSearchAttribute(fields);
      if (bad) {
        this.breakRun(run, new WorkflowTaskFailedError(run.workflowId, run.runId, bad, undefined));
        return;
      }
      run.history.add(HistoryEventType.UpsertWorkflowSearchAttributes, now);
      for (const [key, payload] of Object.entries(fields)) {
        if (isEmptySearchAttributeValue(payload)) delete run.searchAttributes[key];
        else run.searchAttributes[key] = payload as Payload;
      }
    } else if (command.modifyWorkflowProperties) {
      run.history.add(HistoryEventType.WorkflowPropertiesModified, now);
      Object.assign(run.memo, command.modifyWorkflowProperties.upsertedMemo?.fields ?? {});
    } else if (command.setPatchMarker) {
      run.history.add(HistoryEventType.MarkerRecorded, now, `patch ${command.setPatchMarker.patchId ?? ''}`);
    } else if (command.completeWorkflowExecution) {
      run.history.add(HistoryEventType.WorkflowExecutionCompleted, now);
      this.closeRun(run, { status: 'COMPLETED', result: (command.completeWorkflowExecution.result ?? undefined) as Payload | undefined });
    } else if (command.failWorkflowExecution) {
      run.history.add(HistoryEventType.WorkflowExecutionFailed, now);
      this.closeRun(run, { status: 'FAILED', failure: command.failWorkflowExecution.failure ?? { message: 'failed' } });
    } else if (command.cancelWorkflowExecution) {
      run.history.add(HistoryEventType.WorkflowExecutionCanceled, now);
      this.closeRun(run, { status: 'CANCELLED', details: (command.cancelWorkflowExecution.details?.payloads ?? []) as Payload[] });
    } else if (command.continueAsNewWorkflowExecution) {
      this.continueAsNew(run, command.continueAsNewWorkflowExecution);
    }
    // respondToQuery only occurs in query activations; userMetadata/event groups need no action.
  }

  private scheduleActivity(run: WorkflowRun, command: coresdk.workflow_commands.IScheduleActivity): void {
    const now = this.clock.nowMs;
    const type = command.activityType ?? '';
    const fn = this.activities.get(type);
    run.history.add(HistoryEventType.ActivityTaskScheduled, now, type);
    if (!fn) {
      this.breakRun(
        run,
        new Error(
          `Workflow ${run.workflowId} scheduled activity '${type}', which is not registered with the offline ` +
            `environment (registered: ${[...this.activities.keys()].join(', ') || 'none'})`,
        ),
      );
      return;
    }
    const execution = new ActivityExecution(
      this.activityHost,
      { workflowId: run.workflowId, runId: run.runId, workflowType: run.workflowType },
      command,
      fn,
    );
    run.activities.set(execution.seq, execution);
    this.activityOwners.set(execution, run);
    run.activityRecords.push({
      seq: execution.seq,
      activityType: execution.activityType,
      activityId: execution.activityId,
      scheduledAtMs: now,
      attempts: execution.attempts,
    });
    execution.start();
  }

  private makeActivityHost(): ActivityHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host is a view of this environment
    const env = this;
    return {
      get namespace() {
        return env.namespace;
      },
      get taskQueue() {
        return env.taskQueue;
      },
      get dataConverter() {
        return env.dataConverter;
      },
      get logger() {
        return env.logger;
      },
      now: () => env.clock.nowMs,
      at: (atMs, label, action) => env.clock.at(atMs, label, action),
      attemptStarted: () => {
        env.inFlightAttempts++;
        env.epoch++;
      },
      attemptSettled: () => {
        env.inFlightAttempts--;
        env.epoch++;
        env.kick();
      },
      resolve: (execution, resolution, outcome) => env.resolveActivity(execution, resolution, outcome),
    };
  }

  private resolveActivity(
    execution: ActivityExecution,
    resolution: coresdk.activity_result.IActivityResolution,
    outcome: ActivityOutcome,
  ): void {
    const run = this.activityOwners.get(execution);
    if (!run || !run.isRunning) return;
    const now = this.clock.nowMs;
    const record = run.activityRecords.find((r) => r.seq === execution.seq);
    if (record) {
      record.outcome = outcome;
      record.resolvedAtMs = now;
    }
    // Only the final attempt reaches history: Started (if it ever started) then the closing event.
    if (execution.attempts.length > 0) run.history.add(HistoryEventType.ActivityTaskStarted, now, execution.activityType);
    const closing = {
      Completed: HistoryEventType.ActivityTaskCompleted,
      Failed: HistoryEventType.ActivityTaskFailed,
      TimedOut: HistoryEventType.ActivityTaskTimedOut,
      Canceled: HistoryEventType.ActivityTaskCanceled,
    }[outcome];
    run.history.add(closing, now, execution.activityType);
    this.deliver(run, { resolveActivity: { seq: execution.seq, result: resolution, isLocal: false } });
  }

  private applyUpdateResponse(run: WorkflowRun, response: coresdk.workflow_commands.IUpdateResponse): void {
    const id = response.protocolInstanceId ?? '';
    const waiter = run.updates.get(id);
    const now = this.clock.nowMs;
    if (response.accepted) {
      run.history.add(HistoryEventType.WorkflowExecutionUpdateAccepted, now, waiter?.name);
      run.acceptedUpdateCount += 1;
      if (waiter) waiter.wasAccepted = true;
      waiter?.accepted.resolve();
    } else if (response.rejected && waiter?.wasAccepted) {
      // A handler failing after acceptance (e.g. its scope was cancelled) completes the update with that failure.
      run.history.add(HistoryEventType.WorkflowExecutionUpdateCompleted, now, waiter.name);
      waiter.outcome.resolve({ failure: response.rejected });
      this.finishUpdate(run, id);
    } else if (response.rejected) {
      if (waiter) waiter.rejection = response.rejected;
      waiter?.accepted.resolve();
      waiter?.outcome.resolve({ failure: response.rejected });
      this.finishUpdate(run, id);
    } else if (response.completed !== undefined) {
      run.history.add(HistoryEventType.WorkflowExecutionUpdateCompleted, now, waiter?.name);
      waiter?.accepted.resolve();
      waiter?.outcome.resolve({ success: (response.completed ?? undefined) as Payload | undefined });
      this.finishUpdate(run, id);
    }
  }

  private finishUpdate(run: WorkflowRun, id: string): void {
    const waiter = run.updates.get(id);
    run.updates.delete(id);
    if (waiter) run.finishedUpdates.set(id, waiter);
  }

  private continueAsNew(run: WorkflowRun, command: coresdk.workflow_commands.IContinueAsNewWorkflowExecution): void {
    const now = this.clock.nowMs;
    const memoFields = command.memo && Object.keys(command.memo).length > 0 ? (command.memo as Record<string, Payload>) : run.memo;
    const saFields = command.searchAttributes?.indexedFields
      ? (command.searchAttributes.indexedFields as Record<string, Payload>)
      : run.searchAttributes;
    const bad = command.searchAttributes?.indexedFields ? this.badSearchAttribute(command.searchAttributes.indexedFields) : undefined;
    if (bad) {
      this.breakRun(run, new WorkflowTaskFailedError(run.workflowId, run.runId, bad, undefined));
      return;
    }
    const chain = this.runs(run.workflowId);
    let sameInstant = 0;
    for (let i = chain.length - 1; i >= 0 && chain[i]?.startTimeMs === now; i--) sameInstant++;
    if (sameInstant >= this.maxRunsPerInstant) {
      this.breakRun(run, new RunawayWorkflowError(run.workflowId, sameInstant, now));
      return;
    }
    const taskQueue = command.taskQueue || run.taskQueue;
    if (taskQueue !== this.taskQueue) {
      this.breakRun(run, new UnsupportedFeatureError(`continue-as-new onto another task queue (${taskQueue})`, run.workflowId));
      return;
    }
    run.history.add(HistoryEventType.WorkflowExecutionContinuedAsNew, now);
    const next = this.createRun({
      workflowType: command.workflowType || run.workflowType,
      workflowId: run.workflowId,
      firstExecutionRunId: run.firstExecutionRunId,
      continuedFrom: run,
      args: (command.arguments ?? []) as Payload[],
      memo: memoFields,
      searchAttributes: saFields,
      // The server does not carry the static summary/details (user metadata) across continue-as-new.
      userMetadata: undefined,
      retryPolicy: command.retryPolicy ?? undefined,
      firstJobs: [],
    });
    this.closeRun(run, { status: 'CONTINUED_AS_NEW', nextRunId: next.runId });
  }

  private closeRun(run: WorkflowRun, close: RunClose): void {
    run.close = close;
    run.closeTimeMs = this.clock.nowMs;
    for (const timer of run.timers.values()) timer.cancel?.();
    run.timers.clear();
    for (const activity of run.activities.values()) activity.abandon();
    // Updates not yet answered cannot be answered any more (a server fails them the same way).
    for (const waiter of run.updates.values()) {
      const err = new Error(`workflow execution ${close.status === 'CONTINUED_AS_NEW' ? 'continued as new' : 'already completed'}`);
      waiter.accepted.reject(err);
      waiter.outcome.reject(err);
    }
    run.updates.clear();
    run.pendingJobs = [];

    this.epoch++;
    // Old runs of a chain can no longer be queried on a server without replay; free their sandbox now to keep long
    // scenarios light. The last run stays queryable.
    if (close.status === 'CONTINUED_AS_NEW') {
      const instance = run.instance;
      run.instance = undefined;
      void instance?.dispose();
    }
    this.kick();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The drive loop: process workflow tasks, then satisfy demands, skipping virtual time only when demands allow it.

  private addDemand(demand: Demand): Promise<void> {
    this.assertUsable();
    this.demands.add(demand);
    this.epoch++;
    this.kick();
    return demand.done.promise;
  }

  private kick(): void {
    if (this.driveScheduled || this.tornDown) return;
    this.driveScheduled = true;
    // Activities complete inside their virtual-Date.now() context; the drive loop must not inherit it.
    outsideVirtualDateNow(() =>
      setImmediate(() => {
        this.driveScheduled = false;
        void this.drive();
      }),
    );
  }

  private settleDemands(): void {
    for (const demand of [...this.demands]) {
      const outcome = demand.check();
      if (outcome === 'done') {
        this.demands.delete(demand);
        demand.done.resolve();
      } else if (outcome instanceof Error) {
        this.demands.delete(demand);
        demand.done.reject(outcome);
      }
    }
  }

  private async drive(): Promise<void> {
    if (this.driving) {
      this.driveAgain = true;
      return;
    }
    this.driving = true;
    try {
      for (;;) {
        this.driveAgain = false;
        await this.processRunnable();
        if (this.hasPendingWork()) continue;
        this.settleDemands();
        if (this.demands.size === 0) break;
        if (this.inFlightAttempts > 0) {
          if (this.fastForwardHungActivity()) continue;
          break; // an attempt settling kicks the loop again
        }
        const bound = Math.max(...[...this.demands].map((d) => d.skipBoundMs));
        const next = this.clock.peek();
        const sleepTargets = [...this.demands].map((d) => d.skipBoundMs).filter((b) => Number.isFinite(b) && b > this.clock.nowMs);
        const nearestSleep = sleepTargets.length > 0 ? Math.min(...sleepTargets) : Infinity;
        if (next !== undefined && next <= bound && next <= nearestSleep) {
          this.clock.fireNext();
          continue;
        }
        if (Number.isFinite(nearestSleep) && nearestSleep <= bound) {
          this.clock.advanceTo(nearestSleep);
          continue;
        }
        // Nothing can move: let demands that accept this state finish, report the others after a short grace
        // (a test may still be about to signal the workflow it awaits).
        if (this.graceElapsed(this.stuckAfterMs)) this.settleDemandsQuiescent();
        break;
      }
    } finally {
      this.driving = false;
    }
    if (this.driveAgain) this.kick();
  }

  private settleDemandsQuiescent(): void {
    for (const demand of [...this.demands]) {
      const outcome = demand.check() ?? demand.onQuiescent?.();
      if (outcome === 'done') {
        this.demands.delete(demand);
        demand.done.resolve();
      } else if (outcome instanceof Error) {
        this.demands.delete(demand);
        demand.done.reject(outcome);
      }
    }
  }

  /** True once the environment has stayed unchanged for `ms` of wall time; arms a wake-up otherwise. */
  private graceElapsed(ms: number): boolean {
    if (this.graceEpoch !== this.epoch) {
      this.graceEpoch = this.epoch;
      this.graceStartedAt = performance.now();
    }
    const elapsed = performance.now() - this.graceStartedAt;
    if (elapsed >= ms) return true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      this.kick();
    }, ms - elapsed);
    return false;
  }

  /**
   * The clock does not move while activities run. If an attempt has not settled after `hungActivityAfterMs` of wall
   * time and a waiter allows time to pass, jump to that attempt's earliest timeout so it times out in virtual time.
   */
  private fastForwardHungActivity(): boolean {
    const bound = Math.max(...[...this.demands].map((d) => d.skipBoundMs));
    if (bound <= this.clock.nowMs) return false;
    if (!this.graceElapsed(this.hungActivityAfterMs)) return false;
    const deadlines = [...this.runsById.values()]
      .flatMap((run) => [...run.activities.values()])
      .map((activity) => activity.runningDeadlineMs)
      .filter((deadline): deadline is number => deadline !== undefined && Number.isFinite(deadline));
    if (deadlines.length === 0) return false;
    const target = Math.min(...deadlines);
    if (target > bound) return false;
    while (this.clock.peek() !== undefined && (this.clock.peek() as number) <= target) this.clock.fireNext();
    this.clock.advanceTo(target);
    this.epoch++;
    return true;
  }
}

function closesRun(commands: Command[]): boolean {
  return commands.some(
    (command) =>
      command.completeWorkflowExecution ||
      command.failWorkflowExecution ||
      command.cancelWorkflowExecution ||
      command.continueAsNewWorkflowExecution,
  );
}

function isNewHistoryEvent(job: Job): boolean {
  return Boolean(job.signalWorkflow || job.doUpdate || job.cancelWorkflow);
}

function isEmptySearchAttributeValue(payload: temporal.api.common.v1.IPayload): boolean {
  const data = payload.data ? Buffer.from(payload.data).toString('utf8') : '';
  return data === '' || data === 'null' || data === '[]';
}
