/**
 * deliverWebhook: POSTs one event of an authorization's outbox to the merchant (WEBHOOK_URL) and returns on a 2xx.
 * Every other outcome fails the attempt retryably (WEBHOOK_DELIVERY_FAILED) and the workflow's retry policy backs off
 * without limit; the lifecycle never waits on it. Without a configured sender it answers `not-configured` at once,
 * and the workflow stops emitting for the run.
 *
 * Side records, never failing the attempt: the shared backlog in Redis (antom_auth_webhook_deliveries_pending) and the
 * deps.onWebhookAttempt hook (attempts by outcome). Logs carry the event id, type and status, never the body.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { WebhookSender } from '../webhooks/webhookSender';
import { WebhookDeliveryError } from '../webhooks/webhookSender';
import type { DeliverWebhookInput, DeliverWebhookResult } from '../workflows/activityContract';
import type { ActivityDependencies } from './dependencies';

export const WEBHOOK_DELIVERY_FAILED = 'WEBHOOK_DELIVERY_FAILED';

/** How one attempt ended, for the attempts counter. */
export type WebhookAttemptOutcome = 'delivered' | 'http-status' | 'timeout' | 'connection';


export interface WebhookAttemptEvent {
  readonly outcome: WebhookAttemptOutcome;
  readonly type: string;
  readonly durationMs: number;
}

export interface WebhookDeliveryDependencies {
  /** Absent: WEBHOOK_URL is not set; every call answers not-configured. */
  sender?: Pick<WebhookSender, 'send'>;
  onAttempt?: (event: WebhookAttemptEvent) => void;
}

export function createDeliverWebhookActivity(deps: ActivityDependencies): (input: DeliverWebhookInput) => Promise<DeliverWebhookResult> {
  const now = Date.now;
  return async function deliverWebhook(input: DeliverWebhookInput): Promise<DeliverWebhookResult> {
    const sender = deps.webhooks?.sender;
    if (!sender) return { outcome: 'not-configured' };
    const { event } = input;
    const workflowId = event.authorization.workflowId;
    const backlog = deps.store.webhookBacklog;
    const started = now();
    const record = (outcome: WebhookAttemptOutcome) => {
      try {
        deps.webhooks?.onAttempt?.({ outcome, type: event.type, durationMs: now() - started });
      } catch (error) {
        deps.logger.warn({ err: error }, 'onWebhookAttempt hook failed; ignored');
      }
    };
    try {
      const { status } = await sender.send(event);
      record('delivered');
      await backlog?.delivered(workflowId).catch((error: unknown) => deps.logger.warn({ workflowId, err: error }, 'webhook backlog not updated'));
      deps.logger.debug({ workflowId, eventId: event.id, type: event.type, status }, 'webhook delivered');
      return { outcome: 'delivered', status };
    } catch (error) {
      const kind = error instanceof WebhookDeliveryError ? error.kind : 'connection';
      record(kind);
      await backlog?.failing(workflowId, input.backlog).catch((cause: unknown) => deps.logger.warn({ workflowId, err: cause }, 'webhook backlog not updated'));
      const detail = error instanceof WebhookDeliveryError ? error.message : 'unexpected error';
      deps.logger.warn({ workflowId, eventId: event.id, type: event.type, kind, ...(error instanceof WebhookDeliveryError && error.status ? { status: error.status } : {}) }, 'webhook delivery failed; retried');
      // Always retryable: the receiver may come back at any time, and only the workflow decides when to stop.
      throw ApplicationFailure.create({ type: WEBHOOK_DELIVERY_FAILED, message: `deliverWebhook: ${detail}`, nonRetryable: false });
    }
  };
}
