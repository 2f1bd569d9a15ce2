// The standalone worker's metrics, without a Temporal server: the real activities (sandbox + Redis, as the worker
// builds them) wired through workerMetricsHooks, scraped over HTTP from startMetricsServer — Antom calls by endpoint
// and outcome, and the refresh lead time of each projection written.
import test from 'ava';
import { createActivities } from '../src/activities';
import { AntomClient } from '../src/antom/client';
import { createServiceMetrics } from '../src/metrics';
import { startMetricsServer } from '../src/metricsEndpoint';
import { workerMetricsHooks } from '../src/worker/metricsHooks';
import { createHarness, MERCHANT, uniqueAuthState, webConsult } from './activities/activityHarness';
import { merchantKeys } from './support/fixtureKeys';

const DAY_S = 86_400;

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('worker metrics endpoint: Antom calls by endpoint/outcome and the refresh lead time of written projections', async (t) => {
  const h = await createHarness(t);
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const hooks = workerMetricsHooks(metrics);
  // As createWorker builds them: its own AntomClient with onCall, the activities with onProjected.
  const client = new AntomClient({ clientId: MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: h.sandbox.publicKey, baseUrl: h.sandbox.url, onCall: hooks.onCall });
  t.teardown(() => client.close());
  const activities = createActivities({ ...h.deps, antom: { antom: client }, onProjected: hooks.onProjected });
  const server = await startMetricsServer(metrics, { port: 0, host: '127.0.0.1' });
  t.teardown(() => server.close());
  const scrape = async () => {
    const response = await fetch(server.url);
    t.is(response.status, 200);
    t.regex(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };

  const before = await scrape();
  t.is(sample(before, 'antom_auth_refresh_lead_time_seconds_count'), 0, 'nothing observed before a projection');

  const authState = uniqueAuthState('metrics');
  await h.run('consult', { profile: 'antom', wallet: 'GCASH', authState, options: webConsult() }, {}, activities);
  const { authCode } = h.sandbox.admin.approve({ authState, clientId: MERCHANT });
  const tokens = await h.run('applyToken', { requestId: 'exchange-1', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '2' }, activities);
  // A code used twice is a customer-final outcome: counted under its own label, next to the successes.
  await t.throwsAsync(h.run('applyToken', { requestId: 'exchange-2', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode }, { activityId: '3' }, activities));

  const workflowId = 'authorization:GCASH:customer-metrics';
  const leadSeconds = 10 * DAY_S;
  const nextRefreshAt = new Date(Date.parse(tokens.accessTokenExpiry) - leadSeconds * 1000).toISOString();
  const project = { workflowId, wallet: 'GCASH', customerId: 'customer-metrics', tokens, state: 'ACTIVE', authorizationId: 'authorization-1' };
  await h.run('projectToken', { ...project, nextRefreshAt, version: 2 }, { activityId: '4' }, activities);
  // Not observed: a stale write (older version, the projection is unchanged) and one without a planned refresh.
  await h.run('projectToken', { ...project, nextRefreshAt: new Date(Date.parse(tokens.accessTokenExpiry) - 3_600_000).toISOString(), version: 1 }, { activityId: '5' }, activities);
  await h.run('projectToken', { ...project, state: 'NEEDS_ATTENTION', version: 3 }, { activityId: '6' }, activities);

  const body = await scrape();
  t.is(sample(body, 'antom_auth_antom_calls_total{platform="antom",endpoint="consult",outcome="success"}'), 1);
  t.is(sample(body, 'antom_auth_antom_calls_total{platform="antom",endpoint="applyToken",outcome="success"}'), 1);
  t.is(sample(body, 'antom_auth_antom_calls_total{platform="antom",endpoint="applyToken",outcome="customer-final"}'), 1);
  t.is(sample(body, 'antom_auth_antom_call_duration_seconds_count{platform="antom",endpoint="applyToken"}'), 2);
  t.is(sample(body, 'antom_auth_refresh_lead_time_seconds_count'), 1);
  t.is(sample(body, 'antom_auth_refresh_lead_time_seconds_sum'), leadSeconds);
  t.is(sample(body, 'antom_auth_refresh_lead_time_seconds_bucket{le="604800"}'), 0, '10 days is above the 7-day bucket');
  t.is(sample(body, 'antom_auth_refresh_lead_time_seconds_bucket{le="864000"}'), 1, '…and within the 10-day one');
  t.false(body.includes(tokens.accessToken), 'no token in the metrics');
});

test('a failing onProjected hook is logged and ignored: the projection is written and the activity succeeds', async (t) => {
  const h = await createHarness(t);
  const activities = createActivities({ ...h.deps, onProjected: () => { throw new Error('metrics backend broke'); } });
  const authState = uniqueAuthState('hook');
  await h.run('consult', { profile: 'antom', wallet: 'GCASH', authState, options: webConsult() });
  const { authCode } = h.sandbox.admin.approve({ authState, clientId: MERCHANT });
  const tokens = await h.run('applyToken', { requestId: 'exchange-1', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode });
  const workflowId = 'authorization:GCASH:customer-hook';
  const nextRefreshAt = new Date(Date.parse(tokens.accessTokenExpiry) - DAY_S * 1000).toISOString();
  await t.notThrowsAsync(h.run('projectToken', { workflowId, wallet: 'GCASH', customerId: 'customer-hook', tokens, nextRefreshAt, state: 'ACTIVE', version: 1, authorizationId: 'authorization-1' }, {}, activities));
  t.is((await h.store.tokenProjection.getMetadata(workflowId))?.nextRefreshAt, nextRefreshAt);
  t.true(h.logLines.some((line) => line.includes('onProjected hook failed')));
  t.false(h.logLines.join('\n').includes(tokens.accessToken));
});
