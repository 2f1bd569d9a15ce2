// The metrics endpoint shared by `npm start` and the standalone worker: our registry and the Temporal runtime's
// Prometheus exporter in one scrape, and a plain HTTP surface (404 elsewhere, 405 for writes, 500 on a failed render).
import test from 'ava';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createServiceMetrics } from '../src/metrics';
import { startMetricsServer } from '../src/metricsEndpoint';

const ROOT = join(__dirname, '..');

function hold(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

test('installTemporalRuntimeWithMetrics + startMetricsServer: one scrape shows SDK metrics and ours, even with the exporter port taken', async (t) => {
  // Whoever holds 9464 (this test, or another process), the exporter must land on another port.
  const held = await hold(9464);
  t.teardown(() => held?.close());
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'runtimeMetricsProbe.ts')], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`probe failed: ${stderr}`)) : resolve(stdout),
    );
  });
  const scraped = JSON.parse(output) as { status: number; contentType: string; body: string };
  t.is(scraped.status, 200);
  t.regex(scraped.contentType, /^text\/plain/);
  t.regex(scraped.body, /^antom_auth_antom_calls_total\{platform="antom",endpoint="applyToken",outcome="success"\} 1$/m);
  t.regex(scraped.body, /^probe_sdk_counter\S* 3$/m, 'the metric recorded through the Temporal runtime is in the same scrape');
});

test('startMetricsServer: GET/HEAD /metrics only; a failing render is a 500 without details; close stops listening', async (t) => {
  const metrics = createServiceMetrics({ defaultMetrics: false });
  metrics.recordTokenRead('hit');
  const server = await startMetricsServer(metrics, { port: 0, host: '127.0.0.1' });
  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const ok = await fetch(server.url);
  t.is(ok.status, 200);
  t.regex(await ok.text(), /^antom_auth_token_reads_total\{outcome="hit"\} 1$/m);
  const head = await fetch(server.url, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(await head.text(), '');
  t.is((await fetch(server.url.replace('/metrics', '/'))).status, 404);
  t.is((await fetch(`${server.url}?name=x`)).status, 200, 'a query string is still /metrics');
  const post = await fetch(server.url, { method: 'POST', body: 'x' });
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'GET, HEAD');
  await server.close();
  await t.throwsAsync(fetch(server.url));

  const broken = await startMetricsServer({ render: () => Promise.reject(new Error('collector exploded at /secret/path')) }, { port: 0, host: '127.0.0.1' });
  t.teardown(() => broken.close());
  const failed = await fetch(broken.url);
  t.is(failed.status, 500);
  t.false((await failed.text()).includes('/secret/path'));
});

test('startMetricsServer: a port in use is a listen error the caller can name (EADDRINUSE)', async (t) => {
  const first = await startMetricsServer(createServiceMetrics({ defaultMetrics: false }), { port: 0, host: '127.0.0.1' });
  t.teardown(() => first.close());
  const error = await t.throwsAsync(startMetricsServer(createServiceMetrics({ defaultMetrics: false }), { port: first.port, host: '127.0.0.1' }));
  t.is((error as NodeJS.ErrnoException).code, 'EADDRINUSE');
});
