/**
 * GET /healthz  — the process serves HTTP (liveness; no dependencies, so a Redis blip does not restart pods).
 * GET /readyz   — every dependency check passes within its time limit (Temporal, Redis): 200, else 503. Anyone (a
 *                 load balancer) gets the status; only a caller with an API key with the `operator` or `metrics`
 *                 scope also gets which check failed and why — the error text names internal hosts and ports.
 * GET /metrics  — Prometheus text: ours plus the Temporal SDK's. Needs an API key with the `metrics` or `operator`
 *                 scope (Prometheus: `authorization: {credentials: <key>}`): each scrape counts authorizations
 *                 through Temporal visibility, and the numbers describe the merchant's business.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiScope } from '../apiKeys';
import type { ServiceMetrics } from '../metrics';

/** The scopes that may read /metrics and /readyz's details: a scraper's `metrics` key, or an operator. */
export const HEALTH_DETAIL_SCOPES: readonly ApiScope[] = ['metrics', 'operator'];

/** A readiness check resolves when the dependency answers and rejects (or hangs) otherwise. */
export type ReadinessChecks = Readonly<Record<string, () => Promise<unknown>>>;

/** 2 s: a healthy Redis or Temporal frontend answers in milliseconds; longer is "not ready" for a load balancer. */
export const READINESS_TIMEOUT_MS = 2000;

export interface HealthRoutesOptions {
  readonly readiness: ReadinessChecks;
  readonly metrics: Pick<ServiceMetrics, 'render'>;
  /** Whether the request carries a valid API key with one of HEALTH_DETAIL_SCOPES (readiness details are shown only then). */
  readonly isAuthenticated: (request: FastifyRequest) => boolean;
  /** Throws (401, or 403 without one of the route's scopes) unless the request may read /metrics; run before anything is rendered. */
  readonly authorizeMetrics: (request: FastifyRequest) => void | Promise<void>;
}

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${READINESS_TIMEOUT_MS} ms`), READINESS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => 'ok'), timeout]);
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const names = Object.keys(options.readiness);
    const results = await Promise.all(names.map((name) => probe(options.readiness[name]!)));
    const ready = results.every((result) => result === 'ok');
    const status = ready ? 'ready' : 'not-ready';
    if (!options.isAuthenticated(request)) return reply.code(ready ? 200 : 503).send({ status });
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    return reply.code(ready ? 200 : 503).send({ status, checks });
  });

  app.get('/metrics', { config: { scopes: HEALTH_DETAIL_SCOPES }, onRequest: async (request) => options.authorizeMetrics(request) }, async (_request, reply) => {
    const { contentType, body } = await options.metrics.render();
    return reply.header('content-type', contentType).send(body);
  });
}
