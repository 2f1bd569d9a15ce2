/**
 * Errors raised by the offline workflow environment itself (never by the code under test). Each one names what went
 * wrong in words a test author can act on, because a hang or a generic "failed" is what these replace.
 */

/** The workflow used a Temporal feature this environment does not emulate (child workflows, local activities, …). */
export class UnsupportedFeatureError extends Error {
  override readonly name = 'UnsupportedFeatureError';
  constructor(
    readonly feature: string,
    readonly workflowId: string,
  ) {
    super(
      `Workflow ${workflowId} used ${feature}, which the offline workflow environment does not support; ` +
        `run this scenario on a Temporal time-skipping server instead (see test/support/README.md).`,
    );
  }
}

/** Something awaits a workflow that can never make progress: nothing pending, not finished. */
export class StuckWorkflowError extends Error {
  override readonly name = 'StuckWorkflowError';
  constructor(
    readonly workflowId: string,
    readonly state: string,
  ) {
    super(`Workflow ${workflowId} is stuck: it has not finished and has no pending timers or activities.\n${state}`);
  }
}

/** A workflow task failed (a plain Error thrown by workflow code, a nondeterminism, a bug in the SDK use). */
export class WorkflowTaskFailedError extends Error {
  override readonly name = 'WorkflowTaskFailedError';
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly failureMessage: string,
    readonly failureStack: string | undefined,
  ) {
    super(
      `Workflow task of ${workflowId} (run ${runId}) failed; a real worker would retry it forever and the workflow ` +
        `would hang: ${failureMessage}${failureStack ? `\n${failureStack}` : ''}`,
    );
  }
}

/** Replaying a recorded run produced different commands than the original execution. */
export class DeterminismViolationError extends Error {
  override readonly name = 'DeterminismViolationError';
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly activationIndex: number,
    readonly diff: string,
  ) {
    super(
      `Workflow ${workflowId} (run ${runId}) is not deterministic: replaying workflow task #${activationIndex} ` +
        `produced different commands.\n${diff}`,
    );
  }
}

/** The environment waited longer than its real-time budget for activities or a condition. */
export class OfflineEnvironmentTimeoutError extends Error {
  override readonly name = 'OfflineEnvironmentTimeoutError';
}

/** A workflow keeps continuing-as-new without virtual time moving: on a server it would spin forever. */
export class RunawayWorkflowError extends Error {
  override readonly name = 'RunawayWorkflowError';
  constructor(
    readonly workflowId: string,
    readonly runs: number,
    readonly atMs: number,
  ) {
    super(
      `Workflow ${workflowId} continued as new ${runs} times at the same virtual instant ` +
        `(${new Date(atMs).toISOString()}) without waiting for anything: a server would loop forever.`,
    );
  }
}
