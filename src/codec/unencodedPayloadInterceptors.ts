// Workflow interceptors that refuse signal, update and start payloads which reached the worker without the codec's
// encryption (see unencodedPayloads.ts). Loaded by path into the workflow bundle (Worker interceptors.workflowModules,
// bundleWorkflowCode workflowInterceptorModules): it imports @temporalio/workflow only.
//
//   signal   dropped with a warning (a signal is already in history; failing the workflow task would wedge the run)
//   update   rejected by the validator step when the handler has one (never accepted, not in history), otherwise
//            failed before the handler runs
//   start    the run fails (non-retryable) without running the workflow
// Queries are read-only and pass.
import {
  ApplicationFailure,
  log,
  type Next,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

/** Must equal UNENCODED_PAYLOAD_MARKER in unencodedPayloads.ts (this file may not import Node-side modules). */
const MARKER = '__antomAuthUnencodedPayload';

const isMarked = (args: readonly unknown[]): boolean =>
  args.some((arg) => typeof arg === 'object' && arg !== null && (arg as Record<string, unknown>)[MARKER] === true);

const refusal = (what: string): string =>
  `${what} refused: its payload is not encrypted with antom-auth's codec (send it through antom-auth, or a client with its data converter; development: WORKER_ACCEPT_UNENCODED_PAYLOADS=true)`;

class RefuseUnencodedPayloads implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (isMarked(input.args)) throw ApplicationFailure.nonRetryable(refusal('workflow input'), 'UnencodedPayload');
    return next(input);
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    if (isMarked(input.args)) {
      log.warn(refusal(`signal ${input.signalName}`), { signalName: input.signalName });
      return;
    }
    return next(input);
  }

  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    if (isMarked(input.args)) throw ApplicationFailure.nonRetryable(refusal(`update ${input.name}`), 'UnencodedPayload');
    next(input);
  }

  async handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    if (isMarked(input.args)) throw ApplicationFailure.nonRetryable(refusal(`update ${input.name}`), 'UnencodedPayload');
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new RefuseUnencodedPayloads()] });
