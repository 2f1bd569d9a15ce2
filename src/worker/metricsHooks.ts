/**
 * How the worker's metrics are fed: the AntomClient's `onCall` (calls by endpoint and outcome) and the projection
 * activity's `onProjected` (refresh lead time) and deliverWebhook's `onAttempt` (attempts by outcome). A function of its own so the wiring can be tested without Temporal.
 *
 *   workerMetricsHooks(metrics) → { onCall, onProjected, onWebhookAttempt }
 */
import type { ProjectedTokenEvent, WebhookAttemptEvent } from '../activities';
import type { CallEvent } from '../antom/client';
import type { ServiceMetrics } from '../metrics';

/** The part of ServiceMetrics a worker writes to. */
export type WorkerMetrics = Pick<ServiceMetrics, 'recordAntomCall' | 'observeRefreshLeadTime' | 'recordWebhookAttempt'> & Partial<Pick<ServiceMetrics, 'setWebhookBacklogCounter'>>;

export interface WorkerMetricsHooks {
  onCall(event: CallEvent): void;
  onProjected(event: ProjectedTokenEvent): void;
  onWebhookAttempt(event: WebhookAttemptEvent): void;
}

export function workerMetricsHooks(metrics: WorkerMetrics): WorkerMetricsHooks {
  return {
    onCall: (event) => metrics.recordAntomCall(event),
    // Only a projection with a planned refresh has a lead time (a parked or revoked one has none).
    onProjected: (event) => {
      if (event.nextRefreshAt) metrics.observeRefreshLeadTime(event.accessTokenExpiry, event.nextRefreshAt);
    },
    onWebhookAttempt: (event) => metrics.recordWebhookAttempt(event.outcome),
  };
}
