/**
 * GET /healthz  — the process serves HTTP (liveness; no dependencies, so a Redis blip does not restart pods).
 * GET /readyz   — every dependency check passes within its time limit (Temporal, Redis): 200, else 503 naming
 *                 which failed.
 * GET /metrics  — Prometheus text: ours plus the Temporal SDK's.
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics';

/** A readiness check resolves when the dependency answers and rejects (or hangs) otherwise. */
export type ReadinessChecks = Readonly<Record<string, () => Promise<unknown>>>;

/** 2 s: a healthy Redis or Temporal frontend answers in milliseconds; longer is "not ready" for a load balancer. */
export const READINESS_TIMEOUT_MS = 2000;

export interface HealthRoutesOptions {
  readonly readiness: ReadinessChecks;
  readonly metrics: Pick<ServiceMetrics, 'render'>;
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

  app.get('/readyz', async (_request, reply) => {
    const names = Object.keys(options.readiness);
    const results = await Promise.all(names.map((name) => probe(options.readiness[name]!)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ready = results.every((result) => result === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await options.metrics.render();
    return reply.header('content-type', contentType).send(body);
  });
}
