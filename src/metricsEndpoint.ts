/**
 * Where the service metrics come from and where they are served, shared by `npm start` and `npm run worker`:
 *
 *   installTemporalRuntimeWithMetrics({ logger, shutdownSignals? }) → { temporalMetrics? }
 *       installs the Temporal runtime with its Prometheus exporter on a loopback port; the result goes straight into
 *       createServiceMetrics(…) so one scrape shows the SDK's metrics next to ours. Call it before anything touches
 *       Temporal: the runtime's options are fixed once it exists.
 *   startMetricsServer(metrics, { port, host? }) → MetricsServer { url, port, close() }
 *       a bare GET /metrics endpoint (node:http) for a process without the API (the standalone worker).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { freePort } from './embeddedTemporal';
import { temporalMetricsFrom, type ServiceMetrics, type ServiceMetricsOptions } from './metrics';

/** The exporter's conventional port; another one is taken when it is busy (several processes on one host). */
const PREFERRED_EXPORTER_PORT = 9464;

export interface TemporalRuntimeMetricsOptions {
  logger: Logger;
  /** Signals the runtime turns into a graceful worker shutdown; default the SDK's. `[]` when the caller orders shutdown itself. */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * The port is probed first; if another process takes it in between, another one is tried; without any, SDK metrics
 * are skipped (with a warning) rather than failing the start.
 */
export async function installTemporalRuntimeWithMetrics(options: TemporalRuntimeMetricsOptions): Promise<Pick<ServiceMetricsOptions, 'temporalMetrics'>> {
  const signals = options.shutdownSignals === undefined ? {} : { shutdownSignals: options.shutdownSignals };
  for (const preferred of [PREFERRED_EXPORTER_PORT, 0, 0]) {
    const port = await freePort(preferred);
    try {
      Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } }, ...signals });
      return { temporalMetrics: temporalMetricsFrom(`http://127.0.0.1:${port}/metrics`) };
    } catch (error) {
      if (!/address already in use/i.test(error instanceof Error ? error.message : '')) throw error;
    }
  }
  options.logger.warn('no port for the Temporal SDK metrics exporter; /metrics shows the service metrics only');
  Runtime.install({ ...signals });
  return {};
}

export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9100/metrics` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  /** Default all interfaces: Prometheus scrapes a container from outside it. */
  host?: string;
}

async function answer(metrics: Pick<ServiceMetrics, 'render'>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; metrics are at /metrics\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  let rendered: { contentType: string; body: string };
  try {
    rendered = await metrics.render();
  } catch {
    // A failing collector is a failed scrape (Prometheus records it), not a crashed worker.
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
    return;
  }
  response.writeHead(200, { 'content-type': rendered.contentType });
  response.end(request.method === 'HEAD' ? undefined : rendered.body);
}

/** Listens on `port` (0: a free one); rejects with the listen error (e.g. EADDRINUSE) so the caller can name the setting. */
export async function startMetricsServer(metrics: Pick<ServiceMetrics, 'render'>, options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (request, response) => {
    void answer(metrics, request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, options.host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    port,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
