/**
 * The activities of the authorization workflow (AuthorizationActivities in src/workflows/activityContract.ts).
 *
 *   const store = createActivityStore({ redis, keyRing, keyPrefix: config.redis.keyPrefix,
 *                                       requestsPerSecond: config.rateLimitPerSecond });
 *   const activities = createActivities({
 *     antom: { antom: antomClient, alipayplus: alipayPlusClient },   // AntomClient per profile; either may be absent
 *     store,                                                        // Redis: projection, authState index, journal, limiter
 *     logger,                                                       // pino (src/logger.ts)
 *     clock,                                                        // optional () => epoch ms (virtual clock in tests)
 *     alipayPlusAuthClient: { name: 'Legal Name Ltd' },             // needed for Alipay+ prepare
 *     onProjected,                                                  // optional: (ProjectedTokenEvent) => void, e.g. metrics
 *     webhooks: { sender, onAttempt },                              // optional: WebhookSender (WEBHOOK_URL), attempts hook
 *   });
 *   Worker.create({ activities, … })
 *
 * Every Antom call takes a shared rate-limit slot first. Failures are ApplicationFailures typed with the result code
 * (or a failureMapping.ts local type), nonRetryable for final outcomes, details [{ outcome, resultCode }] — never a
 * token or authCode in a message, a detail or a log line.
 */
import type { AuthorizationActivities } from '../workflows/activityContract';
import { createApplyTokenActivity } from './applyTokenActivity';
import { createConsultActivity } from './consultActivity';
import { createDisposeExchangeActivity } from './disposeExchangeActivity';
import type { ActivityDependencies } from './dependencies';
import { createProjectTokenActivity, createRemoveProjectionActivity } from './projectionActivities';
import { createRevokeActivity } from './revokeActivity';
import { createDeliverWebhookActivity } from './webhookActivity';

export { createActivityStore, type ActivityDependencies, type ActivityStore, type ActivityStoreOptions, type AlipayPlusAuthClient, type AntomClientsByProfile, type MerchantClient, type ProjectedTokenEvent } from './dependencies';
export { ACTIVITY_FAILURE_TYPES, toActivityFailure } from './failureMapping';
export { WEBHOOK_DELIVERY_FAILED, type WebhookAttemptEvent, type WebhookAttemptOutcome, type WebhookDeliveryDependencies } from './webhookActivity';

export function createActivities(deps: ActivityDependencies): AuthorizationActivities {
  const applyToken = createApplyTokenActivity(deps);
  const digester = deps.store.routingDigester;
  return {
    consult: createConsultActivity(deps),
    // Each token comes with its routing digest (keyed, no secret), which the workflow records in visibility
    // (AntomTokenDigests); computed on every return, a journaled answer included, so it is always under today's key.
    applyToken: async (input) => {
      const tokens = await applyToken(input);
      return digester ? { ...tokens, routingDigest: digester.digest(tokens.accessToken) } : tokens;
    },
    revoke: createRevokeActivity(deps),
    disposeExchange: createDisposeExchangeActivity(deps),
    projectToken: createProjectTokenActivity(deps),
    removeProjection: createRemoveProjectionActivity(deps),
    deliverWebhook: createDeliverWebhookActivity(deps),
  };
}
