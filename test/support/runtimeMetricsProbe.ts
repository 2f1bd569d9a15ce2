/**
 * Run as its own process (the Temporal runtime is per process and installed once): installs the runtime through
 * installTemporalRuntimeWithMetrics, records one SDK metric and one of ours, serves them with startMetricsServer,
 * scrapes the endpoint once and prints `{ url, status, contentType, body }` as JSON on stdout.
 */
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createServiceMetrics } from '../../src/metrics';
import { installTemporalRuntimeWithMetrics, startMetricsServer } from '../../src/metricsEndpoint';

async function probe(): Promise<void> {
  const metrics = createServiceMetrics({ defaultMetrics: false, ...(await installTemporalRuntimeWithMetrics({ logger: pino({ level: 'silent' }), shutdownSignals: [] })) });
  Runtime.instance().metricMeter.createCounter('probe_sdk_counter', 'count', 'a metric recorded through the Temporal runtime').add(3);
  metrics.recordAntomCall({ platform: 'antom', endpoint: 'applyToken', durationMs: 120, outcome: 'success' });
  const server = await startMetricsServer(metrics, { port: 0, host: '127.0.0.1' });
  const response = await fetch(server.url);
  const result = { url: server.url, status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  await server.close();
  process.stdout.write(JSON.stringify(result));
}

probe().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
