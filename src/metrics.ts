/**
 * The service's Prometheus metrics (prom-client), on a registry of its own so tests and several app instances in
 * one process never collide on the global default registry.
 *
 *   createServiceMetrics(options?) → ServiceMetrics
 *     .registry                         the prom-client Registry (`/metrics` serves it)
 *     .recordAntomCall(event)           AntomClient `onCall` hook: Antom calls by platform, endpoint and outcome
 *     .recordNotification(platform, type, outcome)
 *     .observeRefreshLeadTime(accessTokenExpiry, nextRefreshAt)   seconds between the planned refresh and expiry
 *     .recordTokenRead(outcome)
 *     .setAuthorizationCounter(counter)  the by-state counter, when it only exists after start-up
 *     .recordWebhookAttempt(outcome)     deliverWebhook's `onAttempt` hook: webhook delivery attempts by outcome
 *     .setWebhookBacklogCounter(counter) the pending-deliveries counter (Redis, src/store/webhookBacklog.ts)
 *     .render() → Promise<{ contentType, body }>  our metrics plus the Temporal SDK's (when a source is wired)
 *
 * Authorizations by state, the NEEDS_ATTENTION count and the tokens in their lead window without a scheduled refresh
 * are gauges filled at scrape time from an injected counter (Temporal visibility in production), so a scrape shows the
 * truth rather than what this process happened to see. One counting round serves every scrape for
 * AUTHORIZATION_COUNT_CACHE_MS (30 s), whatever the scrape rate.
 * Temporal's own SDK metrics come from the Rust core's Prometheus exporter (Runtime telemetry); `temporalMetrics`
 * fetches its text so one scrape target shows both.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallEvent } from './antom/client';

export type NotificationPlatform = 'antom' | 'alipayplus';

/** How one inbound notification ended. */
export type NotificationOutcome =
  | 'delivered'
  | 'duplicate'
  | 'recorded'
  /** Matched nothing (Redis nor Temporal visibility) yet: answered 503 so the platform resends. */
  | 'unrouted'
  /** Matched nothing for NOTIFICATION_UNROUTED_ACK_AFTER_MS: acknowledged and recorded for operators. */
  | 'unrouted-acknowledged'
  /** An authorizationNotifyType this service does not handle: acknowledged and recorded for operators. */
  | 'unknown-type'
  /** Routed to an authorization whose workflow has ended (or is gone): acknowledged, nothing to do. */
  | 'ended'
  | 'rejected'
  | 'in-progress'
  | 'delivery-failed'
  | 'unverified'
  | 'invalid';

export type TokenReadOutcome = 'hit' | 'miss';

/** How one webhook delivery attempt ended (src/activities/webhookActivity.ts). */
export type WebhookAttemptOutcome = 'delivered' | 'http-status' | 'timeout' | 'connection';

/**
 * The key under which a counter may also report the tokens within their refresh lead window that have no refresh
 * scheduled (a symbol, so it never shows up as a state: the by-state gauge walks the string keys only).
 */
export const TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH: unique symbol = Symbol('tokensInLeadWindowWithoutRefresh');

/** Authorizations by state, plus optionally the lead-window count under TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH. */
export type AuthorizationCounts = Readonly<Record<string, number>> & { readonly [TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH]?: number };

/**
 * 30 s: one visibility counting round (a count per state, plus one) serves every scrape within it. Without it each
 * scrape ran a round, so 200 scrapes (several Prometheus replicas, a dashboard refreshing, a curl loop) made 2,600
 * visibility queries. The gauges feed alerts that wait 15 minutes and Prometheus scrapes every 15–60 s, so a count up
 * to 30 s old changes nothing an operator sees. A failed round is remembered for the same 30 s (the gauges stay empty)
 * so a struggling visibility store is not hammered either.
 */
export const AUTHORIZATION_COUNT_CACHE_MS = 30_000;

export interface ServiceMetricsOptions {
  /** Counts authorizations by workflow state (Temporal visibility counts). At most one call per `countCacheMs`. */
  countAuthorizationsByState?: () => Promise<AuthorizationCounts>;
  /** How long one counting round serves scrapes; default AUTHORIZATION_COUNT_CACHE_MS. */
  countCacheMs?: number;
  /** The clock the count cache reads (tests); default Date.now. */
  now?: () => number;
  /** The Temporal SDK's Prometheus text (the Runtime exporter), appended to ours. */
  temporalMetrics?: () => Promise<string>;
  /**
   * Webhook events held back by failing deliveries, over every worker (src/store/webhookBacklog.ts). Read at most once
   * per `countCacheMs` like the authorization counts.
   */
  countPendingWebhookDeliveries?: () => Promise<number>;
  /** Node process metrics (CPU, memory, event loop); default on. */
  defaultMetrics?: boolean;
}

export interface ServiceMetrics {
  readonly registry: Registry;
  recordAntomCall(event: CallEvent): void;
  recordNotification(platform: NotificationPlatform, type: string, outcome: NotificationOutcome): void;
  observeRefreshLeadTime(accessTokenExpiry: string, nextRefreshAt: string): void;
  recordTokenRead(outcome: TokenReadOutcome): void;
  /** Sets (or replaces) the counter behind the by-state gauges, once a Temporal client exists; the next scrape counts afresh. */
  setAuthorizationCounter(counter: () => Promise<AuthorizationCounts>): void;
  recordWebhookAttempt(outcome: WebhookAttemptOutcome): void;
  setWebhookBacklogCounter(counter: () => Promise<number>): void;
  render(): Promise<{ contentType: string; body: string }>;
}

/** Notification types as documented ('unknown': not read, e.g. unverified); anything else is bucketed so a forged type cannot grow label cardinality. */
const KNOWN_NOTIFICATION_TYPES = new Set(['AUTHCODE_CREATED', 'TOKEN_CREATED', 'TOKEN_CANCELED', 'consultUnbinding', 'unknown']);

export function createServiceMetrics(options: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'antom_auth_' });

  const antomCalls = new Counter({
    name: 'antom_auth_antom_calls_total',
    help: 'Calls to Antom / Alipay+ by platform, endpoint and outcome class (success, unknown-retry, customer-final, systemic-final, already-done)',
    labelNames: ['platform', 'endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const antomCallSeconds = new Histogram({
    name: 'antom_auth_antom_call_duration_seconds',
    help: 'Duration of calls to Antom / Alipay+',
    labelNames: ['platform', 'endpoint'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'antom_auth_notifications_total',
    help: 'Inbound notifications by platform, type and outcome (unrouted: matched no authorization yet, answered 503; unrouted-acknowledged and unknown-type: acknowledged and recorded for operators, GET /operator/notifications/unrouted)',
    labelNames: ['platform', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const refreshLeadTime = new Histogram({
    name: 'antom_auth_refresh_lead_time_seconds',
    help: 'Time between a planned refresh and the access token expiry it protects',
    buckets: [3600, 86_400, 3 * 86_400, 7 * 86_400, 10 * 86_400, 14 * 86_400, 30 * 86_400],
    registers: [registry],
  });
  const tokenReads = new Counter({
    name: 'antom_auth_token_reads_total',
    help: 'Access-token reads for payments (hit: a usable token was returned)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  // Every gauge of every scrape within countCacheMs reads one counting round (its start time is what is cached, so a
  // slow round is shared by the scrapes waiting on it); a failed round leaves them empty rather than failing the scrape.
  let countByState = options.countAuthorizationsByState;
  const cacheMs = options.countCacheMs ?? AUTHORIZATION_COUNT_CACHE_MS;
  const now = options.now ?? Date.now;
  let round: { startedAt: number; counts: Promise<AuthorizationCounts | undefined> } | undefined;
  const counts = async (): Promise<AuthorizationCounts | undefined> => {
    if (!countByState) return undefined;
    const at = now();
    if (!round || at - round.startedAt >= cacheMs || at < round.startedAt) {
      round = { startedAt: at, counts: countByState().catch(() => undefined) };
    }
    return round.counts;
  };
  new Gauge({
    name: 'antom_auth_authorizations',
    help: 'Authorizations (workflows) by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [state, count] of Object.entries((await counts()) ?? {})) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'antom_auth_needs_attention',
    help: 'Authorizations parked in NEEDS_ATTENTION, waiting for an operator retry',
    registers: [registry],
    async collect() {
      this.reset();
      const result = await counts();
      if (result) this.set(result.NEEDS_ATTENTION ?? 0);
    },
  });

  new Gauge({
    name: 'antom_auth_tokens_in_lead_window_without_refresh',
    help: 'Running authorizations (ACTIVE or NEEDS_ATTENTION) whose access token expires within the refresh lead window and that have no refresh scheduled',
    registers: [registry],
    async collect() {
      this.reset();
      const value = (await counts())?.[TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH];
      if (value !== undefined) this.set(value);
    },
  });

  const webhookAttempts = new Counter({
    name: 'antom_auth_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered: a 2xx; http-status, timeout, connection: failed and retried)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Same caching as the authorization counts: one Redis read per countCacheMs whatever the scrape rate.
  let countBacklog = options.countPendingWebhookDeliveries;
  let backlogRound: { startedAt: number; count: Promise<number | undefined> } | undefined;
  new Gauge({
    name: 'antom_auth_webhook_deliveries_pending',
    help: 'Webhook events waiting behind a failing delivery (receiver down, slow or refusing), over every worker; 0 when none fail',
    registers: [registry],
    async collect() {
      this.reset();
      if (!countBacklog) return;
      const at = now();
      if (!backlogRound || at - backlogRound.startedAt >= cacheMs || at < backlogRound.startedAt) {
        backlogRound = { startedAt: at, count: countBacklog().catch(() => undefined) };
      }
      const value = await backlogRound.count;
      if (value !== undefined) this.set(value);
    },
  });

  return {
    registry,
    recordWebhookAttempt(outcome) {
      webhookAttempts.inc({ outcome });
    },
    setWebhookBacklogCounter(counter) {
      countBacklog = counter;
      backlogRound = undefined;
    },
    recordAntomCall(event) {
      antomCalls.inc({ platform: event.platform, endpoint: event.endpoint, outcome: event.outcome });
      antomCallSeconds.observe({ platform: event.platform, endpoint: event.endpoint }, event.durationMs / 1000);
    },
    recordNotification(platform, type, outcome) {
      notifications.inc({ platform, type: KNOWN_NOTIFICATION_TYPES.has(type) ? type : 'other', outcome });
    },
    observeRefreshLeadTime(accessTokenExpiry, nextRefreshAt) {
      const seconds = (Date.parse(accessTokenExpiry) - Date.parse(nextRefreshAt)) / 1000;
      if (Number.isFinite(seconds)) refreshLeadTime.observe(seconds);
    },
    recordTokenRead(outcome) {
      tokenReads.inc({ outcome });
    },
    setAuthorizationCounter(counter) {
      countByState = counter;
      round = undefined;
    },
    async render() {
      const ours = await registry.metrics();
      let temporal = '';
      if (options.temporalMetrics) temporal = await options.temporalMetrics().catch(() => '');
      return { contentType: registry.contentType, body: temporal ? `${ours}\n${temporal}` : ours };
    },
  };
}

/** Reads the Temporal Runtime's Prometheus exporter (e.g. `http://127.0.0.1:9464/metrics`), bounded in time. */
export function temporalMetricsFrom(url: string, timeoutMs = 2000): () => Promise<string> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return '';
    return response.text();
  };
}
