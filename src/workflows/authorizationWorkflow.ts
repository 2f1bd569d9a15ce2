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
    a.plan = a.computePlan();
    a.publish();
    while (!isTerminalState(a.state)) await nextStep(a)(a);
    // A token issued to an abandoned exchange is revoked before the authorization closes.
    await condition(() => a.record.abandonedExchanges.length === 0);
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
