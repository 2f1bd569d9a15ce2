/** /healthz, /readyz (naming the failing dependency, to a caller with an API key only) and /metrics (API key). */
import test from 'ava';
import { bearer, startApiHarness } from './apiHarness';

test('healthz answers without touching dependencies; readyz checks each one', async (t) => {
  const h = await startApiHarness(t, { readiness: { redis: async () => 'PONG', temporal: async () => { throw new Error('connection refused'); } } });
  t.deepEqual((await h.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
  const ready = await h.app.inject({ method: 'GET', url: '/readyz', headers: bearer });
  t.is(ready.statusCode, 503);
  t.deepEqual(ready.json(), { status: 'not-ready', checks: { redis: 'ok', temporal: 'Error: connection refused' } });
});

test('readyz without an API key tells only the status, never which dependency failed or its error text (internal host:port)', async (t) => {
  const h = await startApiHarness(t, { readiness: { redis: async () => 'PONG', temporal: async () => { throw new Error('connect ECONNREFUSED 10.1.2.3:7233'); } } });
  for (const headers of [{}, { authorization: 'Bearer not-a-configured-key-000000' }]) {
    const ready = await h.app.inject({ method: 'GET', url: '/readyz', headers });
    t.is(ready.statusCode, 503);
    t.deepEqual(ready.json(), { status: 'not-ready' });
    t.false(ready.body.includes('10.1.2.3'));
  }
});

test('readyz is 200 when every check passes, using the real Redis', async (t) => {
  const h = await startApiHarness(t);
  const ready = await h.app.inject({ method: 'GET', url: '/readyz', headers: bearer });
  t.is(ready.statusCode, 200);
  t.deepEqual(ready.json(), { status: 'ready', checks: { redis: 'ok' } });
  t.deepEqual((await h.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' });
});

test('a hanging dependency makes readyz fail within its time limit instead of hanging', async (t) => {
  const h = await startApiHarness(t, { readiness: { temporal: () => new Promise(() => undefined) } });
  const started = Date.now();
  const ready = await h.app.inject({ method: 'GET', url: '/readyz', headers: bearer });
  t.is(ready.statusCode, 503);
  t.regex(ready.json<{ checks: { temporal: string } }>().checks.temporal, /no answer within 2000 ms/);
  t.true(Date.now() - started < 5000);
});

test('/metrics needs an API key: without one 401 and nothing rendered (no visibility queries)', async (t) => {
  let rendered = 0;
  const h = await startApiHarness(t);
  const render = h.metrics.render.bind(h.metrics);
  h.metrics.render = async () => { rendered += 1; return render(); };
  for (const headers of [{}, { authorization: 'Bearer not-a-configured-key-000000' }]) {
    const response = await h.app.inject({ method: 'GET', url: '/metrics', headers });
    t.is(response.statusCode, 401);
    t.false(response.body.includes('antom_auth_'));
  }
  t.is(rendered, 0);
});

test('/metrics serves the Prometheus text of our metrics', async (t) => {
  const h = await startApiHarness(t);
  h.metrics.recordNotification('antom', 'AUTHCODE_CREATED', 'delivered');
  const response = await h.app.inject({ method: 'GET', url: '/metrics', headers: bearer });
  t.is(response.statusCode, 200);
  t.regex(String(response.headers['content-type']), /^text\/plain/);
  t.regex(response.body, /antom_auth_notifications_total\{platform="antom",type="AUTHCODE_CREATED",outcome="delivered"\} 1/);
});
