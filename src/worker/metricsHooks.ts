/**
 * How the worker's metrics are fed: the AntomClient's `onCall` (calls by endpoint and outcome) and the projection
 * activity's `onProjected` (refresh lead time). A function of its own so the wiring can be tested without Temporal.
 *
 *   workerMetricsHooks(metrics) → { onCall, onProjected }
 */
import type { ProjectedTokenEvent } from '../activities';
import type { CallEvent } from '../antom/client';
import type { ServiceMetrics } from '../metrics';

/** The part of ServiceMetrics a worker writes to. */
export type WorkerMetrics = Pick<ServiceMetrics, 'recordAntomCall' | 'observeRefreshLeadTime'>;

export interface WorkerMetricsHooks {
  onCall(event: CallEvent): void;
  onProjected(event: ProjectedTokenEvent): void;
}

export function workerMetricsHooks(metrics: WorkerMetrics): WorkerMetricsHooks {
  return {
    onCall: (event) => metrics.recordAntomCall(event),
    // Only a projection with a planned refresh has a lead time (a parked or revoked one has none).
    onProjected: (event) => {
      if (event.nextRefreshAt) metrics.observeRefreshLeadTime(event.accessTokenExpiry, event.nextRefreshAt);
    },
  };
}
