// Webhook deliveries held back by a failing receiver, across every worker: the source of the
// antom_auth_webhook_deliveries_pending gauge.
//
// Why in Redis: the attempts of one delivery land on any worker, so no worker alone knows whether an authorization's
// delivery is still failing. Each failed attempt writes `workflowId → <attempt ms>:<events waiting>`; a delivered one
// deletes the entry. An entry not refreshed within `staleAfterMs` is ignored and pruned (its workflow closed or moved
// on while no attempt was running), so a closed run cannot keep the gauge up for ever. Keys hold no secret.
import type { RedisClient } from './redisClient';
import { redisKeys, type RedisKeys } from './redisKeys';

/**
 * 30 minutes: several times the longest default backoff between attempts (5 minutes,
 * policy.webhookRetryMaximumIntervalMs) plus an attempt, so a delivery that keeps failing always refreshes its entry.
 */
export const WEBHOOK_BACKLOG_STALE_AFTER_MS = 30 * 60 * 1000;

export interface WebhookBacklogOptions {
  keys: RedisKeys;
  staleAfterMs?: number;
  clock?: () => number;
}

export class WebhookBacklog {
  readonly #staleAfterMs: number;
  readonly #clock: () => number;

  constructor(private readonly redis: RedisClient, private readonly options: WebhookBacklogOptions) {
    this.#staleAfterMs = options.staleAfterMs ?? WEBHOOK_BACKLOG_STALE_AFTER_MS;
    this.#clock = options.clock ?? Date.now;
  }

  /** An attempt failed with `waiting` events (its own included) held back behind it. */
  async failing(workflowId: string, waiting: number): Promise<void> {
    await this.redis.hset(this.options.keys.webhookBacklog(), workflowId, `${this.#clock()}:${Math.max(1, Math.floor(waiting))}`);
  }

  /** The head was delivered: the authorization no longer waits on a failing receiver. */
  async delivered(workflowId: string): Promise<void> {
    await this.redis.hdel(this.options.keys.webhookBacklog(), workflowId);
  }

  /** Events held back by failing deliveries (summed over authorizations), pruning stale entries. */
  async pending(): Promise<{ events: number; authorizations: number }> {
    const key = this.options.keys.webhookBacklog();
    const entries = await this.redis.hgetall(key);
    const oldest = this.#clock() - this.#staleAfterMs;
    let events = 0;
    let authorizations = 0;
    const stale: string[] = [];
    for (const [workflowId, value] of Object.entries(entries)) {
      const [at, waiting] = value.split(':').map(Number);
      if (!Number.isFinite(at) || !Number.isFinite(waiting) || at! < oldest) {
        stale.push(workflowId);
        continue;
      }
      events += waiting!;
      authorizations += 1;
    }
    if (stale.length > 0) await this.redis.hdel(key, ...stale);
    return { events, authorizations };
  }
}

/** The pending-deliveries gauge's source (createServiceMetrics' countPendingWebhookDeliveries) for a Redis and prefix. */
export function webhookBacklogCounter(redis: RedisClient, keyPrefix?: string): () => Promise<number> {
  const backlog = new WebhookBacklog(redis, { keys: redisKeys(keyPrefix) });
  return async () => (await backlog.pending()).events;
}
