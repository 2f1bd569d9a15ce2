/** /healthz, /readyz (naming the failing dependency) and /metrics. */
import test from 'ava';
import { startApiHarness } from './apiHarness';

test('healthz answers without touching dependencies; readyz checks each one', async (t) => {
  const h = await startApiHarness(t, { readiness: { redis: async () => 'PONG', temporal: async () => { throw new Error('connection refused'); } } });
  t.deepEqual((await h.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.is(ready.statusCode, 503);
  t.deepEqual(ready.json(), { status: 'not-ready', checks: { redis: 'ok', temporal: 'Error: connection refused' } });
});

test('readyz is 200 when every check passes, using the real Redis', async (t) => {
  const h = await startApiHarness(t);
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.is(ready.statusCode, 200);
  t.deepEqual(ready.json(), { status: 'ready', checks: { redis: 'ok' } });
});

test('a hanging dependency makes readyz fail within its time limit instead of hanging', async (t) => {
  const h = await startApiHarness(t, { readiness: { temporal: () => new Promise(() => undefined) } });
  const started = Date.now();
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  t.is(ready.statusCode, 503);
  t.regex(ready.json<{ checks: { temporal: string } }>().checks.temporal, /no answer within 2000 ms/);
  t.true(Date.now() - started < 5000);
});

test('/metrics serves the Prometheus text of our metrics', async (t) => {
  const h = await startApiHarness(t);
  h.metrics.recordNotification('antom', 'AUTHCODE_CREATED', 'delivered');
  const response = await h.app.inject({ method: 'GET', url: '/metrics' });
  t.is(response.statusCode, 200);
  t.regex(String(response.headers['content-type']), /^text\/plain/);
  t.regex(response.body, /antom_auth_notifications_total\{platform="antom",type="AUTHCODE_CREATED",outcome="delivered"\} 1/);
});
