/**
 * History figures from the offline environment's recorded runs (events "as Temporal counts them", README of
 * test/support). A *refresh-cycle run* is a run that began by continue-as-new, ended by continue-as-new, and scheduled
 * exactly one refresh and one projection — the steady state every long-lived authorization spends its life in.
 */
import type { HistoryEventType } from '../../test/support/historyEvents';
import type { WorkflowRun } from '../../test/support/workflowRun';

export interface CycleActivityTypes {
  refresh: string;
  projection: string;
}

/**
 * What the classification reads of a run: the offline environment's WorkflowRun has it, and so does a run read back
 * from a real server's history (test/e2e checks the server's runs against this benchmark's figures).
 */
export interface RunShape {
  /** 'CONTINUED_AS_NEW', 'RUNNING', 'COMPLETED', … (WorkflowExecutionStatusName). */
  status: string;
  continuedFromRunId?: string | undefined;
  activityRecords: readonly { activityType: string }[];
}

/** The product's refresh cycle: one applyToken (refresh) and one projection per run. */
export const PRODUCT_CYCLE: CycleActivityTypes = { refresh: 'applyToken', projection: 'projectToken' };

export function isRefreshCycleRun(run: RunShape, types: CycleActivityTypes, requireContinuedFrom = true): boolean {
  if (run.status !== 'CONTINUED_AS_NEW') return false;
  if (requireContinuedFrom && run.continuedFromRunId === undefined) return false;
  const scheduled = run.activityRecords.map((record) => record.activityType).sort();
  return scheduled.join('|') === [types.refresh, types.projection].sort().join('|');
}

export interface Summary {
  count: number;
  total: number;
  mean: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, total: 0, mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  const total = values.reduce((sum, v) => sum + v, 0);
  return { count: values.length, total, mean: total / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** Mean count of each event type over `runs` (types absent from a run count as 0 there). */
export function meanEventCounts(runs: readonly WorkflowRun[]): Map<HistoryEventType, number> {
  const totals = new Map<HistoryEventType, number>();
  for (const run of runs) {
    for (const [type, count] of Object.entries(run.eventCounts()) as Array<[HistoryEventType, number]>) {
      totals.set(type, (totals.get(type) ?? 0) + count);
    }
  }
  const means = new Map<HistoryEventType, number>();
  for (const [type, total] of totals) means.set(type, runs.length === 0 ? 0 : total / runs.length);
  return means;
}
