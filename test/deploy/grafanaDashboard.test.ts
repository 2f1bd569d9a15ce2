/** deploy/grafana/antom-auth.json parses, and every metric it queries is one the service exports (src/metrics.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { REPO, baseName, exportedMetricNames, namesDeclaredInSource } from './exportedMetrics';

interface Target { expr?: string; refId?: string }
interface Panel { id: number; title: string; type: string; targets?: Target[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating?: { list: { query?: unknown; definition?: string }[] } }

const dashboard = (): Dashboard => JSON.parse(readFileSync(join(REPO, 'deploy', 'grafana', 'antom-auth.json'), 'utf8')) as Dashboard;

/** Metric names in a PromQL expression: identifiers of ours (antom_auth_*, temporal_*) — functions and labels aren't. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:antom_auth|temporal)_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1]!);
}

test('the dashboard parses, has a uid, a title and panels with queries and unique ids', (t) => {
  const d = dashboard();
  t.is(d.uid, 'antom-auth');
  t.truthy(d.title);
  t.true(d.panels.length >= 10);
  t.is(new Set(d.panels.map((p) => p.id)).size, d.panels.length);
  for (const panel of d.panels) t.true((panel.targets ?? []).some((target) => Boolean(target.expr)), `${panel.title} queries something`);
});

test('every metric the dashboard queries is exported by the service and declared in src/metrics.ts (or prom-client process metrics)', async (t) => {
  const exported = await exportedMetricNames();
  const declared = namesDeclaredInSource();
  const d = dashboard();
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr ?? ''));
  for (const variable of d.templating?.list ?? []) if (variable.definition) exprs.push(variable.definition);
  const queried = new Set(exprs.flatMap(metricsIn));
  for (const name of queried) t.true(exported.has(name), `${name} is exported by createServiceMetrics`);
  for (const name of declared) t.true([...queried].some((q) => baseName(q) === name), `${name} (src/metrics.ts) is on the dashboard`);
});

test('the check catches a metric the service does not export', async (t) => {
  const exported = await exportedMetricNames();
  t.false(metricsIn('rate(antom_auth_refreshes_failed_total[5m])').every((name) => exported.has(name)));
});
