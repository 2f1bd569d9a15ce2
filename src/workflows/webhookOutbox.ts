/**
 * The workflow's webhook outbox: events waiting to be delivered, oldest first, carried across continue-as-new.
 * Pure decisions; the workflow appends on a state change and a delivery loop sends the head, one at a time, so an
 * event is only ever sent once every earlier one was acknowledged (a 2xx) — in order per authorization.
 *
 * Bounded: at `limit` events the oldest waiting event that is not being delivered is dropped (the head may be in
 * flight and stays). The newest events win because each carries the whole current view, and a receiver sees the
 * drop as a gap in `sequence`; `dropped` counts them for the workflow's log and UI.
 */
import type { WebhookAuthorizationView, WebhookEvent, WebhookEventType } from './webhookEvents';

export interface WebhookOutbox {
  /** Sequence of the next event (1 for an authorization's first). */
  nextSequence: number;
  /** Waiting events, oldest first; the head is the one being delivered. */
  events: WebhookEvent[];
  /** Events dropped at the bound over the authorization's life. */
  dropped: number;
}

export const EMPTY_OUTBOX: WebhookOutbox = Object.freeze({ nextSequence: 1, events: [], dropped: 0 }) as WebhookOutbox;

export function webhookEventId(authorizationId: string, sequence: number): string {
  return `${authorizationId}:${sequence}`;
}

/** Appends the event for a state change, dropping the oldest non-head event when the outbox would exceed `limit`. */
export function appendWebhookEvent(
  outbox: WebhookOutbox,
  event: { type: WebhookEventType; occurredAt: string; authorization: WebhookAuthorizationView },
  limit: number,
): WebhookOutbox {
  const sequence = outbox.nextSequence;
  const next: WebhookEvent = { id: webhookEventId(event.authorization.authorizationId, sequence), sequence, ...event };
  let events = [...outbox.events, next];
  let dropped = outbox.dropped;
  const bound = Math.max(1, limit);
  while (events.length > bound) {
    // Keep the head (it may be in flight) when there is anything else to drop.
    events = events.length > 1 && bound > 1 ? [events[0]!, ...events.slice(2)] : events.slice(1);
    dropped += 1;
  }
  return { nextSequence: sequence + 1, events, dropped };
}

/** The outbox after the event `id` was acknowledged; unchanged when it is not the head (already dropped or acked). */
export function acknowledgeWebhookEvent(outbox: WebhookOutbox, id: string): WebhookOutbox {
  if (outbox.events[0]?.id !== id) return outbox;
  return { ...outbox, events: outbox.events.slice(1) };
}

/** Webhooks are not configured on the worker: nothing waiting is kept (the sequence goes on, so ids stay unique). */
export function discardWebhookEvents(outbox: WebhookOutbox): WebhookOutbox {
  return { ...outbox, events: [] };
}
