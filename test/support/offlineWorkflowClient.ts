/**
 * A client with the shape of @temporalio/client's `WorkflowClient` (the parts the project uses), backed by the
 * offline environment instead of a server. Payloads are encoded here exactly as the real client encodes them
 * (payload converter, then payload codecs), and results and failures are decoded and thrown as the real client does
 * (WorkflowFailedError, WorkflowUpdateFailedError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError…).
 */
import { randomUUID } from 'node:crypto';
import {
  QueryNotRegisteredError,
  WithStartWorkflowOperation,
  WorkflowContinuedAsNewError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import type {
  GetWorkflowHandleOptions,
  WorkflowClient,
  WorkflowExecutionDescription,
  WorkflowHandle,
  WorkflowHandleWithFirstExecutionRunId,
  WorkflowHandleWithSignaledRunId,
  WorkflowHandleWithStartDetails,
  WorkflowResultOptions,
  WorkflowSignalWithStartOptions,
  WorkflowStartOptions,
  WorkflowUpdateHandle,
  WorkflowUpdateOptions,
} from '@temporalio/client';
import type {
  Payload,
  QueryDefinition,
  SignalDefinition,
  UpdateDefinition,
  WithWorkflowArgs,
  Workflow,
  WorkflowResultType,
  WorkflowSerializationContext,
} from '@temporalio/common';
import {
  CancelledFailure,
  compileRetryPolicy,
  decodeWorkflowIdConflictPolicy,
  decodeWorkflowIdReusePolicy,
  encodeWorkflowIdConflictPolicy,
  encodeWorkflowIdReusePolicy,
  extractWorkflowType,
  TerminatedFailure,
} from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  decodeFromPayloadsAtIndex,
  decodeMapFromPayloads,
  decodeOptionalFailureToOptionalError,
  decodeUserMetadata,
  encodeMapToPayloads,
  encodeToPayloadsWithContext,
  encodeUserMetadata,
} from '@temporalio/common/lib/internal-non-workflow';
import {
  decodeSearchAttributes,
  decodeTypedSearchAttributes,
  encodeUnifiedSearchAttributes,
} from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import { UnsupportedFeatureError } from './errors';
import type { EncodedStart, OfflineWorkflowEnvironment } from './offlineEnvironment';
import type { UpdateWaiter, WorkflowRun } from './workflowRun';

type IFailure = temporal.api.failure.v1.IFailure;
type AnyDefinition = string | { name: string };

const statusCodes: Record<string, temporal.api.enums.v1.WorkflowExecutionStatus> = {
  RUNNING: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  COMPLETED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  FAILED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  CANCELLED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  TERMINATED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  CONTINUED_AS_NEW: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
};

const nameOf = (def: AnyDefinition): string => (typeof def === 'string' ? def : def.name);

/**
 * Resolve or reject the handle promise of a `WithStartWorkflowOperation`. Its settle functions sit on private,
 * description-less symbols, in declaration order: used flag, resolve, reject.
 */
function settleStartOperation(operation: WithStartWorkflowOperation<Workflow>, outcome: { handle: unknown } | { error: unknown }): void {
  const slots = operation as unknown as Record<symbol, unknown>;
  const symbols = Object.getOwnPropertySymbols(operation);
  const used = symbols.find((symbol) => typeof slots[symbol] === 'boolean');
  const [resolve, reject] = symbols.map((symbol) => slots[symbol]).filter((v): v is (x: unknown) => void => typeof v === 'function');
  if (used !== undefined) slots[used] = true;
  if ('handle' in outcome) resolve?.(outcome.handle);
  else reject?.(outcome.error);
}

function isOperationUsed(operation: WithStartWorkflowOperation<Workflow>): boolean {
  const slots = operation as unknown as Record<symbol, unknown>;
  return Object.getOwnPropertySymbols(operation).some((symbol) => slots[symbol] === true);
}

export class OfflineWorkflowClient {
  constructor(private readonly env: OfflineWorkflowEnvironment) {}

  private context(workflowId: string): WorkflowSerializationContext {
    return { type: 'workflow', namespace: this.env.namespace, workflowId };
  }

  private async encodeArgs(workflowId: string, args: readonly unknown[] | undefined): Promise<Payload[]> {
    return (await encodeToPayloadsWithContext(this.env.dataConverter, this.context(workflowId), [...(args ?? [])])) ?? [];
  }

  private async encodeStart(workflowTypeOrFunc: string | Workflow, options: WorkflowStartOptions): Promise<EncodedStart> {
    const unsupported: Array<[unknown, string]> = [
      [options.cronSchedule, 'cron schedules (cronSchedule)'],
      [options.startDelay, 'delayed starts (startDelay)'],
      [options.workflowRunTimeout, 'workflow run timeouts (workflowRunTimeout)'],
      [options.workflowExecutionTimeout, 'workflow execution timeouts (workflowExecutionTimeout)'],
    ];
    for (const [value, feature] of unsupported) {
      if (value !== undefined) throw new UnsupportedFeatureError(feature, options.workflowId);
    }
    const context = this.context(options.workflowId);
    return {
      workflowType: extractWorkflowType(workflowTypeOrFunc),
      workflowId: options.workflowId,
      taskQueue: options.taskQueue,
      args: await this.encodeArgs(options.workflowId, options.args as unknown[] | undefined),
      memo: options.memo ? await encodeMapToPayloads(this.env.dataConverter, options.memo, context) : {},
      searchAttributes: (encodeUnifiedSearchAttributes(options.searchAttributes, options.typedSearchAttributes) ?? {}) as Record<string, Payload>,
      userMetadata: await encodeUserMetadata(this.env.dataConverter, options.staticSummary, options.staticDetails, context),
      retryPolicy: options.retry ? compileRetryPolicy(options.retry) : undefined,
      conflictPolicy: decodeWorkflowIdConflictPolicy(encodeWorkflowIdConflictPolicy(options.workflowIdConflictPolicy)) ?? 'FAIL',
      reusePolicy: decodeWorkflowIdReusePolicy(encodeWorkflowIdReusePolicy(options.workflowIdReusePolicy)) ?? 'ALLOW_DUPLICATE',
    };
  }

  async start<T extends Workflow>(
    workflowTypeOrFunc: string | T,
    options: WorkflowStartOptions<T>,
  ): Promise<WorkflowHandleWithStartDetails<T>> {
    const start = await this.encodeStart(workflowTypeOrFunc, options as WorkflowStartOptions);
    const { run } = this.env.startWorkflow(start);
    return Object.assign(this.handle<T>(options.workflowId, undefined, run.runId, run.firstExecutionRunId), {
      firstExecutionRunId: run.runId,
      eagerlyStarted: false,
    });
  }

  async execute<T extends Workflow>(workflowTypeOrFunc: string | T, options: WorkflowStartOptions<T>): Promise<WorkflowResultType<T>> {
    const handle = await this.start(workflowTypeOrFunc, options);
    return (await handle.result()) as WorkflowResultType<T>;
  }

  async signalWithStart<WorkflowFn extends Workflow, SignalArgs extends any[] = []>( // eslint-disable-line @typescript-eslint/no-explicit-any -- mirrors WorkflowClient
    workflowTypeOrFunc: string | WorkflowFn,
    options: WithWorkflowArgs<WorkflowFn, WorkflowSignalWithStartOptions<SignalArgs>>,
  ): Promise<WorkflowHandleWithSignaledRunId<WorkflowFn>> {
    const { signal, signalArgs, ...startOptions } = options as WorkflowStartOptions & {
      signal: AnyDefinition;
      signalArgs?: unknown[];
    };
    const start = await this.encodeStart(workflowTypeOrFunc, startOptions as WorkflowStartOptions);
    const input = await this.encodeArgs(start.workflowId, signalArgs);
    const signalJob = { signalWorkflow: { signalName: nameOf(signal), input, identity: 'offline-workflow-client', headers: {} } };
    // Signal-with-start signals a running workflow and only starts one (with the signal in its first task) otherwise.
    const { run } = this.env.startWorkflow({ ...start, conflictPolicy: 'USE_EXISTING' }, [signalJob]);
    return Object.assign(this.handle<WorkflowFn>(start.workflowId, undefined, run.runId, run.firstExecutionRunId), {
      signaledRunId: run.runId,
    });
  }

  async executeUpdateWithStart<T extends Workflow, Ret, Args extends any[]>( // eslint-disable-line @typescript-eslint/no-explicit-any -- mirrors WorkflowClient
    updateDef: UpdateDefinition<Ret, Args> | string,
    updateOptions: WorkflowUpdateOptions & { args?: Args; startWorkflowOperation: WithStartWorkflowOperation<T> },
  ): Promise<Ret> {
    const handle = await this.updateWithStart<T, Ret>(updateDef, updateOptions, WorkflowUpdateStage.COMPLETED);
    return await handle.result();
  }

  async startUpdateWithStart<T extends Workflow, Ret, Args extends any[]>( // eslint-disable-line @typescript-eslint/no-explicit-any -- mirrors WorkflowClient
    updateDef: UpdateDefinition<Ret, Args> | string,
    updateOptions: WorkflowUpdateOptions & {
      args?: Args;
      waitForStage: 'ACCEPTED';
      startWorkflowOperation: WithStartWorkflowOperation<T>;
    },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return await this.updateWithStart<T, Ret>(updateDef, updateOptions, WorkflowUpdateStage.ACCEPTED);
  }

  private async updateWithStart<T extends Workflow, Ret>(
    updateDef: AnyDefinition,
    options: WorkflowUpdateOptions & { args?: unknown[]; startWorkflowOperation: WithStartWorkflowOperation<T> },
    stage: WorkflowUpdateStage,
  ): Promise<WorkflowUpdateHandle<Ret>> {
    const operation = options.startWorkflowOperation as unknown as WithStartWorkflowOperation<Workflow>;
    if (isOperationUsed(operation)) throw new Error('This WithStartWorkflowOperation instance has already been executed.');
    let run: WorkflowRun;
    let waiter: UpdateWaiter;
    try {
      const start = await this.encodeStart(operation.workflowTypeOrFunc, operation.options as WorkflowStartOptions);
      if (start.conflictPolicy === 'TERMINATE_EXISTING' && !operation.options.workflowIdConflictPolicy) {
        throw new TypeError('workflowIdConflictPolicy is required for update-with-start');
      }
      const updateId = options.updateId ?? randomUUID();
      const input = await this.encodeArgs(start.workflowId, options.args);
      ({ run } = this.env.startWorkflow(start, [this.env.updateJob(updateId, nameOf(updateDef), input)]));
      waiter = run.updates.get(updateId) ?? this.env.registerUpdate(run, updateId, nameOf(updateDef));
    } catch (error) {
      settleStartOperation(operation, { error });
      throw error;
    }
    settleStartOperation(operation, {
      handle: this.handle(run.workflowId, undefined, run.runId, run.firstExecutionRunId),
    });
    return await this.waitForUpdate<Ret>(run, waiter, stage);
  }

  private async waitForUpdate<Ret>(run: WorkflowRun, waiter: UpdateWaiter, stage: WorkflowUpdateStage): Promise<WorkflowUpdateHandle<Ret>> {
    const wanted: Promise<unknown> = stage === WorkflowUpdateStage.COMPLETED ? waiter.outcome.promise : waiter.accepted.promise;
    await this.env.driveUntil(wanted, run);
    const rejection = waiter.rejection;
    if (rejection) throw await this.updateFailed(run.workflowId, rejection);
    return this.updateHandle<Ret>(run, waiter);
  }

  private async updateFailed(workflowId: string, failure: IFailure): Promise<WorkflowUpdateFailedError> {
    return new WorkflowUpdateFailedError(
      'Workflow Update failed',
      await decodeOptionalFailureToOptionalError(this.env.dataConverter, failure, this.context(workflowId)),
    );
  }

  private updateHandle<Ret>(run: WorkflowRun, waiter: UpdateWaiter): WorkflowUpdateHandle<Ret> {
    return {
      updateId: waiter.updateId,
      workflowId: run.workflowId,
      workflowRunId: run.runId,
      result: async () => {
        const outcome = await this.env.driveUntil(waiter.outcome.promise, run);
        if ('failure' in outcome) throw await this.updateFailed(run.workflowId, outcome.failure);
        return (await decodeFromPayloadsAtIndex(
          this.env.dataConverter,
          0,
          outcome.success ? [outcome.success] : [],
          this.context(run.workflowId),
        )) as Ret;
      },
    };
  }

  getHandle<T extends Workflow>(workflowId: string, runId?: string, options?: GetWorkflowHandleOptions): WorkflowHandle<T> {
    return this.handle<T>(workflowId, runId, runId, options?.firstExecutionRunId, options);
  }

  async result<T extends Workflow>(workflowId: string, runId?: string, opts?: WorkflowResultOptions): Promise<WorkflowResultType<T>> {
    const followRuns = opts?.followRuns ?? true;
    const run = await this.env.waitForClose(workflowId, runId, followRuns);
    const context = this.context(workflowId);
    const close = run.close;
    switch (close?.status) {
      case 'COMPLETED':
        return (await decodeFromPayloadsAtIndex(this.env.dataConverter, 0, close.result ? [close.result] : [], context)) as WorkflowResultType<T>;
      case 'FAILED':
        throw new WorkflowFailedError(
          'Workflow execution failed',
          await decodeOptionalFailureToOptionalError(this.env.dataConverter, close.failure, context),
          'RETRY_POLICY_NOT_SET',
        );
      case 'CANCELLED': {
        const failure = new CancelledFailure('Workflow canceled', await decodeArrayFromPayloads(this.env.dataConverter, close.details, context));
        failure.stack = '';
        throw new WorkflowFailedError('Workflow execution cancelled', failure, 'NON_RETRYABLE_FAILURE');
      }
      case 'TERMINATED': {
        const failure = new TerminatedFailure(close.reason || 'Workflow execution terminated');
        failure.stack = '';
        throw new WorkflowFailedError(close.reason || 'Workflow execution terminated', failure, 'NON_RETRYABLE_FAILURE');
      }
      case 'CONTINUED_AS_NEW':
        throw new WorkflowContinuedAsNewError('Workflow execution continued as new', close.nextRunId);
      default:
        throw new Error(`run ${run.runId} has not closed`);
    }
  }

  private async describe(workflowId: string, runId: string | undefined): Promise<WorkflowExecutionDescription> {
    const run = this.env.findRun(workflowId, runId);
    const context = this.context(workflowId);
    const metadata = () => decodeUserMetadata(this.env.dataConverter, run.userMetadata, context);
    const description = {
      type: run.workflowType,
      workflowId: run.workflowId,
      runId: run.runId,
      taskQueue: run.taskQueue,
      status: { code: statusCodes[run.status] ?? 0, name: run.status },
      historyLength: run.historyLength,
      historySize: 0,
      startTime: new Date(run.startTimeMs),
      executionTime: new Date(run.startTimeMs),
      closeTime: run.closeTimeMs === undefined ? undefined : new Date(run.closeTimeMs),
      memo: await decodeMapFromPayloads(this.env.dataConverter, run.memo, context),
      searchAttributes: decodeSearchAttributes(run.searchAttributes),
      typedSearchAttributes: decodeTypedSearchAttributes(run.searchAttributes),
      parentExecution: undefined,
      rootExecution: undefined,
      // The raw DescribeWorkflowExecutionResponse is a server message the offline environment does not produce.
      raw: {},
      staticSummary: async () => (await metadata()).staticSummary,
      staticDetails: async () => (await metadata()).staticDetails,
    };
    return description as unknown as WorkflowExecutionDescription;
  }

  private async query(workflowId: string, runId: string | undefined, def: AnyDefinition, args: unknown[]): Promise<unknown> {
    const run = this.env.findRun(workflowId, runId);
    const input = await this.encodeArgs(workflowId, args);
    const answer = await this.env.driveUntil(this.env.query(run, nameOf(def), input), run);
    if ('failure' in answer) {
      // A server answers failed queries with gRPC INVALID_ARGUMENT, which the client turns into this error.
      throw new QueryNotRegisteredError(answer.failure.message ?? 'query failed', 3 as QueryNotRegisteredError['code']);
    }
    return await decodeFromPayloadsAtIndex(this.env.dataConverter, 0, answer.response ? [answer.response] : [], this.context(workflowId));
  }

  private handle<T extends Workflow>(
    workflowId: string,
    runId: string | undefined,
    runIdForResult: string | undefined,
    firstExecutionRunId: string | undefined,
    resultOptions?: WorkflowResultOptions,
  ): WorkflowHandleWithFirstExecutionRunId<T> {
    const env = this.env;
    const client = this; // eslint-disable-line @typescript-eslint/no-this-alias -- handles reference their client
    const running = () => env.findRunningRun(workflowId, runId);
    const handle = {
      workflowId,
      runId,
      firstExecutionRunId,
      client: client as unknown as WorkflowClient,
      result: () => client.result<T>(workflowId, runIdForResult, resultOptions),
      async signal(def: AnyDefinition, ...args: unknown[]): Promise<void> {
        const run = running();
        const input = await client.encodeArgs(workflowId, args);
        env.deliver(run, { signalWorkflow: { signalName: nameOf(def), input, identity: 'offline-workflow-client', headers: {} } });
      },
      query: (def: AnyDefinition, ...args: unknown[]) => client.query(workflowId, runId, def, args),
      queryWithOptions: (name: string, options: { args?: unknown[] }) => client.query(workflowId, runId, name, options.args ?? []),
      async startUpdate(def: AnyDefinition, options: WorkflowUpdateOptions & { args?: unknown[]; waitForStage: WorkflowUpdateStage }) {
        const run = running();
        const input = await client.encodeArgs(workflowId, options.args);
        const waiter = env.deliverUpdate(run, options.updateId ?? randomUUID(), nameOf(def), input);
        return await client.waitForUpdate(run, waiter, options.waitForStage);
      },
      async executeUpdate(def: AnyDefinition, options?: WorkflowUpdateOptions & { args?: unknown[] }) {
        const run = running();
        const input = await client.encodeArgs(workflowId, options?.args);
        const waiter = env.deliverUpdate(run, options?.updateId ?? randomUUID(), nameOf(def), input);
        const updateHandle = await client.waitForUpdate(run, waiter, WorkflowUpdateStage.COMPLETED);
        return await updateHandle.result();
      },
      getUpdateHandle(updateId: string) {
        const run = env.findRun(workflowId, runId);
        const waiter = run.updates.get(updateId) ?? run.finishedUpdates.get(updateId);
        if (!waiter) throw new Error(`Update ${updateId} is unknown to run ${run.runId} of ${workflowId}`);
        return client.updateHandle(run, waiter);
      },
      async cancel() {
        const run = running();
        env.deliver(run, { cancelWorkflow: { reason: '' } });
        return {};
      },
      async terminate(reason?: string) {
        env.terminate(running(), reason ?? '');
        return {};
      },
      describe: () => client.describe(workflowId, runId),
      async fetchHistory() {
        throw new UnsupportedFeatureError('fetchHistory (use env.runs(workflowId) for the recorded log)', workflowId);
      },
    };
    return handle as unknown as WorkflowHandleWithFirstExecutionRunId<T>;
  }
}

export type { QueryDefinition, SignalDefinition };
