/**
 * The workflow's activity stubs, one per use, each with the timeouts and retries its rule needs. Workflow code (no
 * activity implementation is imported: the contract is type-only).
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { AuthorizationActivities } from './activityContract';
import type { AuthorizationPolicy } from './policy';

/** One attempt of an Antom call: the transport's own deadline is shorter; this only catches a hung worker. */
const ANTOM_ATTEMPT_TIMEOUT_MS = 30_000;
const AUTH_CODE_ATTEMPT_TIMEOUT_MS = 15_000;
const STORE_ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * applyToken heartbeats every 5 s (and renews its exchange lease then): a worker that died mid-exchange is noticed
 * after two missed beats instead of at startToClose, which matters inside the authCode's one minute.
 */
const APPLY_TOKEN_HEARTBEAT_TIMEOUT_MS = 12_000;
/** One webhook POST: the sender's own deadline (WEBHOOK_TIMEOUT_MS, ≤ 60 s) is shorter; this catches a hung worker. */
const WEBHOOK_ATTEMPT_TIMEOUT_MS = 70_000;
/** Removals and disposals retry until they succeed; a capped backoff notices Redis or Antom coming back quickly. */
const UNTIL_DONE_MAXIMUM_INTERVAL_MS = 60_000;

export type AuthorizationActivityStubs = ReturnType<typeof authorizationActivities>;

export function authorizationActivities(policy: AuthorizationPolicy) {
  const retry = (initialMs: number, maximumMs: number): ActivityOptions['retry'] => ({
    initialInterval: initialMs,
    maximumInterval: Math.max(initialMs, maximumMs),
    backoffCoefficient: 2,
  });
  const standardRetry = retry(policy.retryInitialIntervalMs, policy.retryMaximumIntervalMs);
  const untilDone = retry(policy.retryInitialIntervalMs, UNTIL_DONE_MAXIMUM_INTERVAL_MS);
  const antom = (budgetMs: number, summary: string, heartbeatTimeout?: number) =>
    proxyActivities<AuthorizationActivities>({
      scheduleToCloseTimeout: budgetMs,
      startToCloseTimeout: Math.min(ANTOM_ATTEMPT_TIMEOUT_MS, budgetMs),
      ...(heartbeatTimeout ? { heartbeatTimeout } : {}),
      retry: standardRetry,
      summary,
    });
  return {
    consult: antom(policy.consultBudgetMs, 'consult: get the authorization URL / QR').consult,
    // The authCode dies a minute after issue: short backoff so several identical attempts fit the budget.
    applyAuthCode: proxyActivities<AuthorizationActivities>({
      scheduleToCloseTimeout: policy.authCodeApplyBudgetMs,
      startToCloseTimeout: Math.min(AUTH_CODE_ATTEMPT_TIMEOUT_MS, policy.authCodeApplyBudgetMs),
      heartbeatTimeout: APPLY_TOKEN_HEARTBEAT_TIMEOUT_MS,
      retry: retry(500, 5_000),
      summary: 'applyToken: exchange the authCode',
    }).applyToken,
    refresh: antom(policy.refreshBudgetMs, 'applyToken: refresh with the latest refresh token', APPLY_TOKEN_HEARTBEAT_TIMEOUT_MS).applyToken,
    revoke: antom(policy.revokeBudgetMs, 'revoke the access token').revoke,
    projectToken: proxyActivities<AuthorizationActivities>({
      scheduleToCloseTimeout: policy.projectionBudgetMs,
      startToCloseTimeout: Math.min(STORE_ATTEMPT_TIMEOUT_MS, policy.projectionBudgetMs),
      retry: standardRetry,
      summary: 'project the token to Redis',
    }).projectToken,
    // No budget: a token left in Redis could reach the payment path, so a removal is retried until it succeeds.
    removeProjection: proxyActivities<AuthorizationActivities>({
      startToCloseTimeout: STORE_ATTEMPT_TIMEOUT_MS,
      retry: untilDone,
      summary: 'remove the Redis projection (retried until it succeeds)',
    }).removeProjection,
    // No budget either: a token issued to an abandoned exchange stays live at the wallet until it is revoked.
    disposeExchange: proxyActivities<AuthorizationActivities>({
      startToCloseTimeout: ANTOM_ATTEMPT_TIMEOUT_MS,
      retry: untilDone,
      summary: 'revoke any token issued to an abandoned exchange',
    }).disposeExchange,
    // Unlimited attempts: the merchant's receiver may be down for long, and an event is only dropped at the outbox
    // bound or when an ended run closes (policy.webhookDrainMs), never because attempts ran out.
    deliverWebhook: proxyActivities<AuthorizationActivities>({
      startToCloseTimeout: WEBHOOK_ATTEMPT_TIMEOUT_MS,
      retry: retry(policy.webhookRetryInitialIntervalMs, policy.webhookRetryMaximumIntervalMs),
      summary: 'deliver a state-change webhook to the merchant',
    }).deliverWebhook,
  };
}
