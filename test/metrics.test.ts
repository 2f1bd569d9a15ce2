/** The service metrics: Antom calls, notifications (bounded labels), refresh lead time, state gauges, Temporal text. */
import test from 'ava';
import { AUTHORIZATION_COUNT_CACHE_MS, createServiceMetrics } from '../src/metrics';

test('Antom calls are counted by platform, endpoint and outcome, with their duration', async (t) => {
  const metrics = createServiceMetrics({ defaultMetrics: false });
  metrics.recordAntomCall({ platform: 'antom', endpoint: 'applyToken', durationMs: 120, outcome: 'success', resultCode: 'SUCCESS' });
  metrics.recordAntomCall({ platform: 'antom', endpoint: 'applyToken', durationMs: 80, outcome: 'unknown-retry', error: 'AntomTransportError' });
  const text = (await metrics.render()).body;
  t.regex(text, /antom_auth_antom_calls_total\{platform="antom",endpoint="applyToken",outcome="success"\} 1/);
  t.regex(text, /antom_auth_antom_calls_total\{platform="antom",endpoint="applyToken",outcome="unknown-retry"\} 1/);
  t.regex(text, /antom_auth_antom_call_duration_seconds_count\{platform="antom",endpoint="applyToken"\} 2/);
});

test('a forged notification type cannot create new label values', async (t) => {
  const metrics = createServiceMetrics({ defaultMetrics: false });
  metrics.recordNotification('antom', 'EVIL_TYPE_1', 'invalid');
  metrics.recordNotification('antom', 'EVIL_TYPE_2', 'invalid');
  const text = (await metrics.render()).body;
  t.regex(text, /type="other",outcome="invalid"\} 2/);
  t.false(text.includes('EVIL_TYPE'));
});

test('refresh lead time is observed in seconds', async (t) => {
  const metrics = createServiceMetrics({ defaultMetrics: false });
  metrics.observeRefreshLeadTime('2030-01-11T00:00:00Z', '2030-01-01T00:00:00Z');
  const text = (await metrics.render()).body;
  t.regex(text, /antom_auth_refresh_lead_time_seconds_sum 864000/);
});

test('authorizations by state and NEEDS_ATTENTION come from the injected counter at scrape time', async (t) => {
  let counts: Record<string, number> = { ACTIVE: 7, NEEDS_ATTENTION: 2 };
  let calls = 0;
  let clock = 0;
  const metrics = createServiceMetrics({ defaultMetrics: false, now: () => clock, countAuthorizationsByState: async () => { calls++; return counts; } });
  let text = (await metrics.render()).body;
  t.regex(text, /antom_auth_authorizations\{state="ACTIVE"\} 7/);
  t.regex(text, /antom_auth_needs_attention 2/);
  t.is(calls, 1, 'one count serves both gauges of a scrape');
  counts = { ACTIVE: 8 };
  text = (await metrics.render()).body;
  t.regex(text, /antom_auth_authorizations\{state="ACTIVE"\} 7/, 'within 30 s the same round serves the scrape');
  t.is(calls, 1);
  clock += AUTHORIZATION_COUNT_CACHE_MS;
  text = (await metrics.render()).body;
  t.is(calls, 2);
  t.regex(text, /antom_auth_authorizations\{state="ACTIVE"\} 8/);
  t.false(text.includes('state="NEEDS_ATTENTION"'), 'states that vanished are dropped');
  t.regex(text, /antom_auth_needs_attention 0/);
});

test('the Temporal SDK text is appended; a failing source does not fail the scrape', async (t) => {
  const withTemporal = createServiceMetrics({ defaultMetrics: false, temporalMetrics: async () => 'temporal_workflow_completed 3\n' });
  t.regex((await withTemporal.render()).body, /temporal_workflow_completed 3/);
  const failing = createServiceMetrics({ defaultMetrics: false, temporalMetrics: async () => { throw new Error('down'); } });
  t.regex((await failing.render()).body, /antom_auth_notifications_total/);
});
