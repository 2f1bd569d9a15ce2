/**
 * /metrics and Temporal visibility: the authorization counts are cached (at most one counting round per 30 s whatever
 * the scrape rate) and count running executions only. The fake is WorkflowClient.count; the counter, the cache and the
 * route are the real ones.
 */
import test from 'ava';
import Fastify from 'fastify';
import { authorizationCounter, leadWindowWithoutRefreshQuery, stateCountQuery } from '../src/api/authorizationCounts';
import { healthRoutes } from '../src/api/healthRoutes';
import { AUTHORIZATION_COUNT_CACHE_MS, createServiceMetrics } from '../src/metrics';
import { AUTHORIZATION_STATES } from '../src/workflows/definitions';

function countingVisibility(answer: (query: string) => number = () => 1) {
  const queries: string[] = [];
  return {
    queries,
    client: {
      async count(query?: string) {
        queries.push(query ?? '');
        await new Promise((resolve) => setTimeout(resolve, 5)); // a visibility round takes a moment: scrapes overlap it
        return { count: answer(query ?? ''), groups: [] };
      },
    },
  };
}

const ROUND = AUTHORIZATION_STATES.length + 1;

test('200 scrapes of /metrics within a short time cause at most one round of visibility counts', async (t) => {
  const visibility = countingVisibility();
  const metrics = createServiceMetrics({ defaultMetrics: false, countAuthorizationsByState: authorizationCounter(visibility.client) });
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(healthRoutes, { readiness: {}, metrics, isAuthenticated: () => true, authorizeMetrics: () => undefined });
  const scrape = () => app.inject({ method: 'GET', url: '/metrics' });
  const answers = [...(await Promise.all(Array.from({ length: 100 }, scrape)))]; // concurrent scrapes
  for (let i = 0; i < 100; i++) answers.push(await scrape()); // and back-to-back ones
  t.is(answers.length, 200);
  t.true(answers.every((a) => a.statusCode === 200 && /antom_auth_authorizations\{state="ACTIVE"\} 1/.test(a.body)));
  t.true(visibility.queries.length <= ROUND, `${visibility.queries.length} count queries for 200 scrapes`);
  t.is(visibility.queries.length, ROUND, 'one full round: every state plus the lead-window count');
});

test('after the cache interval the next scrape counts afresh; a failed round is not retried within it', async (t) => {
  let clock = 1_000_000;
  let failing = true;
  const visibility = countingVisibility((query) => {
    if (failing) throw new Error('visibility unavailable');
    return query.includes("= 'ACTIVE'") ? 5 : 0;
  });
  const metrics = createServiceMetrics({ defaultMetrics: false, now: () => clock, countAuthorizationsByState: authorizationCounter(visibility.client) });
  for (let i = 0; i < 50; i++) t.false((await metrics.render()).body.includes('antom_auth_authorizations{'));
  t.true(visibility.queries.length <= ROUND, 'a failing visibility store is asked once per interval, not per scrape');
  failing = false;
  clock += AUTHORIZATION_COUNT_CACHE_MS - 1;
  await metrics.render();
  t.true(visibility.queries.length <= ROUND);
  clock += 1;
  const body = (await metrics.render()).body;
  t.regex(body, /antom_auth_authorizations\{state="ACTIVE"\} 5/);
  t.regex(body, /antom_auth_tokens_in_lead_window_without_refresh 0/);
  t.true(visibility.queries.length <= 2 * ROUND);
  t.is(AUTHORIZATION_COUNT_CACHE_MS, 30_000);
});

test('every count query counts running executions of our workflow only', async (t) => {
  const visibility = countingVisibility();
  await authorizationCounter(visibility.client)();
  t.is(visibility.queries.length, ROUND);
  for (const query of visibility.queries) {
    t.true(query.includes("ExecutionStatus = 'Running'"), query);
    t.true(query.includes("WorkflowType = 'authorizationWorkflow'"), query);
  }
  t.is(stateCountQuery('ACTIVE'), "WorkflowType = 'authorizationWorkflow' AND ExecutionStatus = 'Running' AND AntomAuthorizationState = 'ACTIVE'");
});

test('the lead-window count: ACTIVE or NEEDS_ATTENTION, token expiring within the lead, no refresh scheduled', async (t) => {
  const query = leadWindowWithoutRefreshQuery(new Date('2030-01-01T00:00:00.000Z'), 10 * 86_400_000);
  t.is(
    query,
    "WorkflowType = 'authorizationWorkflow' AND ExecutionStatus = 'Running' AND AntomAuthorizationState IN ('ACTIVE', 'NEEDS_ATTENTION')" +
      " AND AntomAccessTokenExpiry < '2030-01-11T00:00:00.000Z' AND AntomNextRefreshAt IS NULL",
  );
  const visibility = countingVisibility((q) => (q.includes('IS NULL') ? 3 : 0));
  const metrics = createServiceMetrics({ defaultMetrics: false, countAuthorizationsByState: authorizationCounter(visibility.client) });
  const body = (await metrics.render()).body;
  t.regex(body, /antom_auth_tokens_in_lead_window_without_refresh 3/);
  t.false(body.includes('state="tokens'), 'the lead-window count is not a state');
});
