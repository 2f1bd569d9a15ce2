/**
 * The workflow's webhook outbox: events waiting to be delivered, oldest first, carried across continue-as-new.
 * Pure decisions; the workflow appends on a state change and a delivery loop sends the head, one at a time, so an
 * event is only ever sent once every earlier one was acknowledged (a 2xx) — in order per authorization.
 *
 * Bounded: at `limit` events the oldest waiting event that is not being delivered is dropped (the head may be in
 * flight and stays). The newest events win because each carries the whole current view, and a receiver sees the
 * drop as a gap in `sequence`; `dropped` counts them for the workflow's log and UI.
 *
 * Webhooks not configured (no WEBHOOK_URL on the worker): the first delivery answers so, and the outbox turns `off` —
 * events are no longer kept, so an authorization costs no history for webhooks nobody receives. Learned once per
 * authorization, not per run: asking in every run would add an activity to every refresh cycle. An ACTIVE event (a
 * link or relink) asks again, so an authorization linked after WEBHOOK_URL was set is heard from.
 */
import type { AttentionPhase } from './definitions';
import type { WebhookAuthorizationView, WebhookEvent, WebhookEventType } from './webhookEvents';

export interface WebhookOutbox {
  /** Sequence of the next event (1 for an authorization's first). */
  nextSequence: number;
  /** Waiting events, oldest first; the head is the one being delivered. */
  events: WebhookEvent[];
  /** Events dropped at the bound over the authorization's life. */
  dropped: number;
  /** The worker answered not-configured: keep nothing until an ACTIVE event asks again (shouldEmit). */
  off?: boolean;
  /** The code and phase the last NEEDS_ATTENTION event reported (a repeat of them is no new event). */
  lastAttention?: { code: string; phase: AttentionPhase };
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
  const { off: _off, ...on } = outbox;
  return { ...on, nextSequence: sequence + 1, events, dropped };
}

/** The outbox after the event `id` was acknowledged; unchanged when it is not the head (already dropped or acked). */
export function acknowledgeWebhookEvent(outbox: WebhookOutbox, id: string): WebhookOutbox {
  if (outbox.events[0]?.id !== id) return outbox;
  return { ...outbox, events: outbox.events.slice(1) };
}

/** Webhooks are not configured on the worker: nothing waiting is kept (the sequence goes on, so ids stay unique). */
export function turnWebhooksOff(outbox: WebhookOutbox): WebhookOutbox {
  return { ...outbox, events: [], off: true };
}

/** Whether an event of `type` is kept: always while on; when off, only ACTIVE (a link), which asks the worker again. */
export function shouldEmit(outbox: WebhookOutbox, type: WebhookEventType): boolean {
  return outbox.off !== true || type === 'ACTIVE';
}
