// Retiring an ENCRYPTION_KEYS key, the Temporal half (issue 13 §3): which key ids the payloads of runs still carry.
// Only payload metadata is read (`encryption-key-id`); nothing is decrypted.
//
// Why a run's whole history and not only its latest input: a worker that has not cached a run (restart, eviction)
// replays the run's history from its first event, decoding every payload in it — the continue-as-new input, but also
// signals, updates, activity results and markers recorded since. A key is needed as long as any payload of an open
// run's current history was sealed with it. Continue-as-new re-seals: the new run's input is encoded by the worker's
// codec with the current key, and the old run is closed. (Closed runs keep their payloads until the namespace's
// retention deletes them: reading or replaying them — the UI, a replay corpus — needs their keys; `includeClosed`.)
import type { WorkflowClient } from '@temporalio/client';
import { ENCRYPTION_KEY_ID_METADATA } from './encryptionCodec';

export interface RunKeyReferences {
  readonly workflowId: string;
  readonly runId: string;
  readonly status: string;
  /** keyId → number of payloads of this run's history sealed with it. */
  readonly keyIds: Record<string, number>;
}

export interface HistoryKeyAudit {
  readonly runs: RunKeyReferences[];
  /** keyId → how many runs reference it. */
  readonly runsByKeyId: Record<string, number>;
}

export interface HistoryKeyAuditOptions {
  /** Closed runs too (for reading/replaying old histories); default: running executions only. */
  readonly includeClosed?: boolean;
  /** Restricts the visibility query (e.g. `WorkflowType = 'authorizationWorkflow'`). */
  readonly extraQuery?: string;
}

const decoder = new TextDecoder();

/** Counts `encryption-key-id` metadata of every payload anywhere in `value` (a history, an event). */
export function countPayloadKeyIds(value: unknown, into: Record<string, number> = {}): Record<string, number> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    const metadata = (node as { metadata?: Record<string, Uint8Array | null | undefined> | null }).metadata;
    const keyId = metadata?.[ENCRYPTION_KEY_ID_METADATA];
    if (keyId instanceof Uint8Array) {
      const id = decoder.decode(keyId);
      into[id] = (into[id] ?? 0) + 1;
      continue; // a sealed payload holds nothing else to look into
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push(child);
  }
  return into;
}

/** Lists runs by visibility and reads each one's history (payload metadata only). */
export async function auditHistoryKeyIds(workflows: Pick<WorkflowClient, 'list' | 'getHandle'>, options: HistoryKeyAuditOptions = {}): Promise<HistoryKeyAudit> {
  const clauses = [options.includeClosed ? undefined : `ExecutionStatus = 'Running'`, options.extraQuery].filter((c): c is string => Boolean(c));
  const runs: RunKeyReferences[] = [];
  const runsByKeyId: Record<string, number> = {};
  for await (const execution of workflows.list(clauses.length > 0 ? { query: clauses.join(' AND ') } : {})) {
    const history = await workflows.getHandle(execution.workflowId, execution.runId).fetchHistory();
    const keyIds = countPayloadKeyIds(history.events ?? []);
    runs.push({ workflowId: execution.workflowId, runId: execution.runId, status: execution.status.name, keyIds });
    for (const keyId of Object.keys(keyIds)) runsByKeyId[keyId] = (runsByKeyId[keyId] ?? 0) + 1;
  }
  return { runs, runsByKeyId };
}
