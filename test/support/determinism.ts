/**
 * Determinism check: feed a recorded run's workflow tasks, as a server would replay its history, into a fresh
 * sandbox with isReplaying set, and require the very same commands. Mirrors what sdk-core does on replay: rejected
 * updates are absent (they never reached history), accepted ones skip their validator, patch markers are announced
 * with notifyHasPatch, and the internal SDK flags recorded by the original task are made available again.
 */
import { WorkflowCodecRunner } from '@temporalio/worker/lib/workflow-codec-runner';
import type { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Workflow as SandboxWorkflow } from '@temporalio/worker/lib/workflow/interface';
import { tsToMs } from '@temporalio/common/lib/time';
import type { PayloadCodec } from '@temporalio/common';
import { coresdk } from '@temporalio/proto';
import { DeterminismViolationError } from './errors';
import type { WorkflowRun } from './workflowRun';

type Job = coresdk.workflow_activation.IWorkflowActivationJob;
type Command = coresdk.workflow_commands.IWorkflowCommand;

/** A one-line, payload-free description of a command for diffs. */
export function describeCommand(command: Command): string {
  const json = coresdk.workflow_commands.WorkflowCommand.fromObject(command).toJSON() as Record<string, unknown>;
  const kind = Object.keys(json).find((key) => key !== 'userMetadata' && key !== 'eventGroupMarkers') ?? 'unknown';
  const body = (json[kind] ?? {}) as Record<string, unknown>;
  const parts = Object.entries(body)
    .filter(([key]) => !['arguments', 'headers', 'input', 'result', 'memo', 'searchAttributes', 'details', 'failure'].includes(key))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return `${kind}(${parts.join(', ')})`;
}

function describeJobs(jobs: Job[]): string {
  return jobs
    .map((job) => Object.keys(coresdk.workflow_activation.WorkflowActivationJob.fromObject(job).toJSON())[0] ?? 'unknown')
    .join(', ');
}

function commandsOf(completion: coresdk.workflow_completion.IWorkflowActivationCompletion): Command[] {
  return completion.successful?.commands ?? [];
}

/** Stack traces depend on where code runs, not on what it decides; sdk-core does not compare them either. */
function withoutStackTraces(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStackTraces);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'stackTrace')
        .map(([key, inner]) => [key, withoutStackTraces(inner)]),
    );
  }
  return value;
}

function normalize(completion: coresdk.workflow_completion.IWorkflowActivationCompletion): string {
  if (completion.failed) return `failed: ${completion.failed.failure?.message ?? ''}`;
  return JSON.stringify(
    commandsOf(completion).map((command) =>
      withoutStackTraces(coresdk.workflow_commands.WorkflowCommand.fromObject(command).toJSON()),
    ),
  );
}

/** The original completion minus the rejections of updates that never reached history. */
function expectedCompletion(
  completion: coresdk.workflow_completion.IWorkflowActivationCompletion,
  rejected: Set<string>,
): coresdk.workflow_completion.IWorkflowActivationCompletion {
  if (!completion.successful || rejected.size === 0) return completion;
  return {
    ...completion,
    successful: {
      ...completion.successful,
      commands: commandsOf(completion).filter(
        (command) => !(command.updateResponse?.rejected && rejected.has(command.updateResponse.protocolInstanceId ?? '')),
      ),
    },
  };
}

function diff(
  expected: coresdk.workflow_completion.IWorkflowActivationCompletion,
  actual: coresdk.workflow_completion.IWorkflowActivationCompletion,
): string {
  const describe = (completion: coresdk.workflow_completion.IWorkflowActivationCompletion): string[] =>
    completion.failed
      ? [`workflow task failed: ${completion.failed.failure?.message ?? ''}`]
      : commandsOf(completion).map(describeCommand);
  const before = describe(expected);
  const after = describe(actual);
  const lines: string[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const b = before[i];
    const a = after[i];
    if (b === a) lines.push(`    ${b}`);
    else {
      if (b !== undefined) lines.push(`  - ${b}   (original)`);
      if (a !== undefined) lines.push(`  + ${a}   (replay)`);
    }
  }
  if (before.join() === after.join()) lines.push('  (same command kinds; arguments or options differ)');
  return lines.join('\n');
}

/**
 * A fresh sandbox instance brought to the state after the run's recorded workflow tasks, checking each replayed
 * task's commands against the original. Used by the determinism check and to retry a workflow task with new events.
 */
export async function restoreInstance(
  creator: ReusableVMWorkflowCreator,
  codecs: PayloadCodec[],
  run: WorkflowRun,
  info: WorkflowInfo,
): Promise<SandboxWorkflow | undefined> {
  const tasks = run.workflowTasks;
  const first = tasks[0];
  if (!first) return undefined;
  const codec = new WorkflowCodecRunner(codecs, run.codec.workflowContext);
  const instance = await creator.createWorkflow({
    info: { ...info, unsafe: { ...info.unsafe, isReplaying: true, isReplayingHistoryEvents: true } },
    randomnessSeed: run.randomnessSeed.toBytes(),
    now: tsToMs(first.activation.timestamp),
    showStackTraceSources: false,
  });
  try {
    for (const [index, task] of tasks.entries()) {
      const rejected = new Set(task.rejectedUpdateIds);
      const patches: Job[] = commandsOf(task.completion)
        .filter((command) => command.setPatchMarker)
        .map((command) => ({ notifyHasPatch: { patchId: command.setPatchMarker?.patchId ?? '' } }));
      const jobs: Job[] = [
        ...patches,
        ...(task.activation.jobs ?? [])
          .filter((job) => !(job.doUpdate && rejected.has(job.doUpdate.id ?? '')))
          .map((job) => (job.doUpdate ? { doUpdate: { ...job.doUpdate, runValidator: false } } : job)),
      ];
      if (jobs.length === 0) continue;
      const activation = {
        ...task.activation,
        jobs,
        isReplaying: true,
        availableInternalFlags: task.completion.successful?.usedInternalFlags ?? [],
      };
      const decoded = await codec.decodeActivation(activation);
      const raw = await instance.activate(coresdk.workflow_activation.WorkflowActivation.fromObject(decoded));
      const actual = coresdk.workflow_completion.WorkflowActivationCompletion.fromObject(raw);
      const expected = expectedCompletion(task.decodedCompletion, rejected);
      if (normalize(actual) !== normalize(expected)) {
        throw new DeterminismViolationError(
          run.workflowId,
          run.runId,
          index,
          `  activation jobs: ${describeJobs(task.activation.jobs ?? [])}\n${diff(expected, actual)}`,
        );
      }
    }
  } catch (err) {
    await instance.dispose();
    throw err;
  }
  return instance;
}

/** Replay a recorded run in a fresh sandbox and require the same commands (throws DeterminismViolationError). */
export async function replayRun(
  creator: ReusableVMWorkflowCreator,
  codecs: PayloadCodec[],
  run: WorkflowRun,
  info: WorkflowInfo,
): Promise<void> {
  const instance = await restoreInstance(creator, codecs, run, info);
  await instance?.dispose();
}
