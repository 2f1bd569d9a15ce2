/**
 * One authorization (wallet, customer) for its whole life: consult → authCode → applyToken → ACTIVE → refresh → …
 * → continue-as-new per cycle. Orchestration only:
 *   - the state is one object (Authorization.record, authorization.ts), also the continue-as-new input;
 *   - each state has one small step (authorizationSteps.ts: start there to find what happens when);
 *   - the handlers record requests the steps act on (authorizationHandlers.ts);
 *   - the decisions are pure modules (failureDecision, refreshSchedule, tokenServing, policy), the side effects
 *     activities (authorizationActivities.ts).
 *
 * Cancellation: the loop runs in a non-cancellable scope and a Temporal cancel only records the request, exactly like
 * the `cancel` update and signal. So an in-flight applyToken always completes and the token it brings is revoked (no
 * orphan), and the revoke itself can never be interrupted.
 */
import { CancellationScope, allHandlersFinished, condition, log, sleep } from '@temporalio/workflow';
import { acknowledgeWebhookEvent, turnWebhooksOff } from './webhookOutbox';
import { summarizeActivityFailure } from './activityFailure';
import { Authorization } from './authorization';
import { registerHandlers } from './authorizationHandlers';
import { nextStep } from './authorizationSteps';
import { isTerminalState, type AuthorizationInput, type AuthorizationView } from './definitions';

export async function authorizationWorkflow(input: AuthorizationInput): Promise<AuthorizationView> {
  const a = new Authorization(input);
  // Registered before the first await, so update-with-start finds the link handler.
  registerHandlers(a);

  return CancellationScope.nonCancellable(async () => {
    void disposeAbandonedExchanges(a);
    void deliverWebhooks(a);
    a.plan = a.computePlan();
    a.publish();
    while (!isTerminalState(a.state)) await nextStep(a)(a);
    // A token issued to an abandoned exchange is revoked before the authorization closes.
    await condition(() => a.record.abandonedExchanges.length === 0);
    // The last events (the terminal one among them) get policy.webhookDrainMs to be acknowledged; the run closes
    // then whatever the receiver does, so a dead receiver cannot keep an ended authorization open.
    const delivered = () => a.outbox.events.length === 0 || a.webhooksOff;
    if (!delivered() && !(await condition(delivered, a.policy.webhookDrainMs))) {
      log.warn('webhook receiver still failing; closing with events undelivered', { workflowId: a.workflowId, undelivered: a.outbox.events.length });
    }
    // Let in-flight update handlers (cancel, link) see the final state before the run closes. Non-cancellable too:
    // after a Temporal cancel the workflow completes with its REVOKED view instead of failing as cancelled.
    await condition(allHandlersFinished);
    return a.view();
  });
}

/**
 * Beside the steps, for the run's life: each exchange given up without its answer is checked, and any token Antom
 * issued to it revoked (the activity retries until it is done; a final refusal is retried after a long pause, never
 * dropped). Unfinished work is carried by continue-as-new in the record.
 */
async function disposeAbandonedExchanges(a: Authorization): Promise<void> {
  for (;;) {
    await condition(() => a.record.abandonedExchanges.length > 0);
    const exchange = a.record.abandonedExchanges[0]!;
    try {
      await a.acts.disposeExchange({ exchange, revokeExtras: a.revokeExtras() });
      a.record.abandonedExchanges = a.record.abandonedExchanges.filter((e) => e !== exchange);
      a.publish();
    } catch (error) {
      a.recordError(summarizeActivityFailure(error).code, 'revoke');
      log.error('an abandoned exchange could not be disposed of; retrying later', { workflowId: a.workflowId });
      await sleep(a.policy.refreshRetryMaximumIntervalMs);
    }
  }
}

/**
 * Beside the steps, for the run's life: the outbox's head is POSTed to the merchant (deliverWebhook retries it
 * without limit, with capped backoff), and only once it is acknowledged is the next one sent — in order per
 * authorization. The steps never wait for it. A run that turns over abandons the attempt in flight and the next run
 * sends the same event again (same id): at least once. Without WEBHOOK_URL the first answer says so and the outbox
 * turns off (webhookOutbox.ts).
 */
async function deliverWebhooks(a: Authorization): Promise<void> {
  for (;;) {
    await condition(() => a.outbox.events.length > 0 && !a.webhooksOff);
    const event = a.outbox.events[0]!;
    try {
      const result = await a.acts.deliverWebhook({ event, backlog: a.outbox.events.length });
      if (result.outcome === 'not-configured') {
        a.record.webhooks = turnWebhooksOff(a.outbox);
        continue;
      }
    } catch (error) {
      // Attempts are unlimited, so only a non-retryable failure (a bug) lands here: skip the event rather than stall
      // every later one behind it.
      log.error('webhook event could not be delivered; skipped', { workflowId: a.workflowId, eventId: event.id, code: summarizeActivityFailure(error).code });
    }
    a.record.webhooks = acknowledgeWebhookEvent(a.outbox, event.id);
  }
}
