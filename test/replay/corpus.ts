/**
 * The replay corpus: real workflow histories captured from the Temporal dev server by
 * `npm run replay:capture` (test/replay/capture.ts), committed under test/replay/histories/ with a manifest, and
 * replayed against the current production workflow bundle by replay.test.ts. A workflow change that would break a
 * running authorization fails there, naming the history file and the first divergent command.
 *
 * The payloads in the histories are encrypted with the committed TEST-ONLY key ring (replay-test-keys.txt): the codec
 * stays on, so no plaintext token or authCode is ever committed, and replay decodes them like a worker would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { loadKeyRingFile, type KeyRing } from '../../src/codec/keyRing';
import { bundleProductionWorkflowCode } from '../../src/worker/workflowBundle';
import type { AuthorizationState } from '../../src/workflows/definitions';

export const HISTORIES_DIR = join(__dirname, 'histories');
export const MANIFEST_FILE = 'manifest.json';
export const REPLAY_KEY_FILE = join(__dirname, 'replay-test-keys.txt');

/** The committed, public, test-only key ring the corpus is encrypted with. */
export function replayKeyRing(): KeyRing {
  return loadKeyRingFile(REPLAY_KEY_FILE);
}

/** One captured history, as the manifest lists it. */
export interface CorpusEntry {
  /** File name under test/replay/histories/. */
  file: string;
  /** Scenario that produced it (one scenario may snapshot its workflow several times). */
  scenario: string;
  description: string;
  /** Histories do not carry the workflow id; the workflow uses it (jitter seed, view), so replay must be given it. */
  workflowId: string;
  runId: string;
  /** The run's status when captured: RUNNING for a snapshot of an open run (the history so far). */
  status: string;
  /** The authorization state the workflow reported for this run when captured. */
  state: AuthorizationState;
  events: number;
  lastEvent: string;
  /**
   * A digest of the sequence of event types: the same scenario captured again gives the same shape unless the workflow
   * changed what it does there (the manifest's diff shows which histories a change touched).
   */
  shape: string;
}

export interface CorpusManifest {
  capturedAt: string;
  /** `git rev-parse HEAD` of the tree captured (`+dirty` when it had uncommitted changes). */
  gitCommit: string;
  temporalCli: string;
  sdk: string;
  /** The key id the payloads are encrypted with (replay-test-keys.txt). */
  keyId: string;
  histories: CorpusEntry[];
}

export function readManifest(dir: string = HISTORIES_DIR): CorpusManifest {
  return JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as CorpusManifest;
}

export interface NamedHistory {
  /** How failures name it: the history file's path. */
  name: string;
  workflowId: string;
  history: History;
}

export function loadCorpus(dir: string = HISTORIES_DIR): { manifest: CorpusManifest; histories: NamedHistory[] } {
  const manifest = readManifest(dir);
  const histories = manifest.histories.map((entry) => ({
    name: `test/replay/histories/${entry.file}`,
    workflowId: entry.workflowId,
    history: historyFromJSON(JSON.parse(readFileSync(join(dir, entry.file), 'utf8'))),
  }));
  return { manifest, histories };
}

/**
 * The options a production worker replays with: the prebundled production code (failure converter and interceptors
 * compiled in) and the worker's data converter over the corpus key ring.
 */
export async function productionReplayOptions(workflowsPath?: string): Promise<ReplayWorkerOptions> {
  const code = await productionBundleOnce(workflowsPath);
  return {
    workflowBundle: { code },
    dataConverter: createEncryptingDataConverter(replayKeyRing(), { refuseUnencoded: true }),
    replayName: 'antom-auth-replay-corpus',
  };
}

const bundles = new Map<string, Promise<string>>();
/** The production bundle's code, built once per process and workflows path (webpack costs seconds). */
export function productionBundleOnce(workflowsPath = ''): Promise<string> {
  let code = bundles.get(workflowsPath);
  if (!code) {
    code = bundleProductionWorkflowCode(workflowsPath || undefined);
    code.catch(() => bundles.delete(workflowsPath));
    bundles.set(workflowsPath, code);
  }
  return code;
}

export interface ReplayOutcome {
  name: string;
  workflowId: string;
  /** Absent when the history replayed; otherwise a ReplayDivergence naming the history and the divergence. */
  error?: ReplayDivergence;
}

/** A history the current code cannot replay. The message names the history and the first divergent command. */
export class ReplayDivergence extends Error {
  override readonly name = 'ReplayDivergence';
  constructor(
    readonly historyName: string,
    readonly workflowId: string,
    readonly detail: string,
    override readonly cause: Error,
  ) {
    super(`${historyName} (workflow ${workflowId}) no longer replays on the current workflow code:\n${detail}`);
  }
}

/** Replays each history (one replay worker for all), in order; every history gets an outcome. */
export async function replayHistories(options: ReplayWorkerOptions, histories: readonly NamedHistory[]): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories(
    options,
    histories.map(({ history, workflowId }) => ({ history, workflowId })),
  );
  let index = 0;
  for await (const result of results) {
    const replayed = histories[index++]!;
    outcomes.push({
      name: replayed.name,
      workflowId: replayed.workflowId,
      ...(result.error ? { error: new ReplayDivergence(replayed.name, replayed.workflowId, describeDivergence(result.error, replayed.history), result.error) } : {}),
    });
  }
  if (outcomes.length !== histories.length) throw new Error(`replay stopped after ${outcomes.length} of ${histories.length} histories`);
  return outcomes;
}

const EventType = temporal.api.enums.v1.EventType;

/** `EVENT_TYPE_ACTIVITY_TASK_SCHEDULED` → `ActivityTaskScheduled`. */
export function eventTypeName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  const name = type === null || type === undefined ? 'UNSPECIFIED' : (EventType[type] ?? String(type));
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _sep: string, letter: string) => letter.toUpperCase());
}

/** One line per event: id, type and what identifies it (activity type, timer, marker, signal, update). */
export function describeEvent(event: temporal.api.history.v1.IHistoryEvent): string {
  const id = Number(event.eventId ?? 0);
  const type = eventTypeName(event.eventType);
  const details: string[] = [];
  const scheduled = event.activityTaskScheduledEventAttributes;
  if (scheduled) details.push(`activity ${scheduled.activityType?.name ?? '?'} (id ${scheduled.activityId ?? '?'})`);
  const timer = event.timerStartedEventAttributes;
  if (timer) details.push(`timer ${timer.timerId ?? '?'}`);
  if (event.timerFiredEventAttributes) details.push(`timer ${event.timerFiredEventAttributes.timerId ?? '?'}`);
  const marker = event.markerRecordedEventAttributes;
  if (marker) details.push(`marker ${marker.markerName ?? '?'}`);
  const signal = event.workflowExecutionSignaledEventAttributes;
  if (signal) details.push(`signal ${signal.signalName ?? '?'}`);
  const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
  if (accepted) details.push(`update ${accepted.acceptedRequest?.input?.name ?? '?'}`);
  return `#${id} ${type}${details.length ? ` — ${details.join(', ')}` : ''}`;
}

/**
 * Readable divergence: core's message (which names the mismatching command and event), then the history event it
 * points at and the events of that workflow task, so a reviewer sees what the old code did at that point.
 */
export function describeDivergence(error: Error, history: History): string {
  const flat = error.message.replace(/\s+/g, ' ').trim();
  // Core's own sentence (e.g. "[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: …"),
  // without the SDK's wrapping and the Rust debug structure around it.
  const core = /message: "([^"]*)"/.exec(flat)?.[1] ?? flat;
  const lines = [`  first divergence: ${core}`];
  const machine = /(\w+) machine does not handle this event/.exec(core)?.[1];
  if (machine) lines.push(`  the current code issued ${/^[AEIOU]/.test(machine) ? 'an' : 'a'} ${machine} command where the history recorded something else`);
  if (/No command scheduled for event/i.test(core)) lines.push('  the current code issued no command where the history recorded one');
  const eventId = divergentEventId(core);
  const events = history.events ?? [];
  if (eventId !== undefined) {
    const at = events.findIndex((e) => Number(e.eventId) === eventId);
    if (at >= 0) {
      lines.push(`  the history recorded there: ${describeEvent(events[at]!)}`);
      // The workflow task whose commands diverged: from the last WorkflowTaskCompleted before the event.
      let start = at;
      while (start > 0 && events[start - 1]!.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) start--;
      const from = Math.max(0, start - 4);
      const to = Math.min(events.length, at + 3);
      lines.push("  the history's events there (the old code's commands follow WorkflowTaskCompleted):");
      for (const event of events.slice(from, to)) lines.push(`    ${Number(event.eventId) === eventId ? '>' : ' '} ${describeEvent(event)}`);
    }
  }
  return lines.join('\n');
}

/** The history event id core's nondeterminism message points at, when it names one. */
export function divergentEventId(message: string): number | undefined {
  const match = /HistoryEvent\(id: (\d+)/.exec(message) ?? /event[ _]id:? (\d+)/i.exec(message);
  return match ? Number(match[1]) : undefined;
}
