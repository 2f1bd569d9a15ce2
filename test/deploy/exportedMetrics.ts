/** The metric names the service really exports, read from a real registry (createServiceMetrics) and src/metrics.ts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH, createServiceMetrics } from '../../src/metrics';

export const REPO = join(__dirname, '..', '..');

/** Every sample name a scrape can show: `# TYPE` names, histograms and summaries with their suffixes. */
export async function exportedMetricNames(): Promise<Set<string>> {
  const metrics = createServiceMetrics({
    countAuthorizationsByState: async () => ({ ACTIVE: 1, NEEDS_ATTENTION: 1, [TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH]: 0 }),
  });
  const { body } = await metrics.render();
  const names = new Set<string>();
  for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The names declared in src/metrics.ts (`name: 'antom_auth_…'`); the rest of `exportedMetricNames` are prom-client's process metrics. */
export function namesDeclaredInSource(): Set<string> {
  const source = readFileSync(join(REPO, 'src', 'metrics.ts'), 'utf8');
  return new Set([...source.matchAll(/name: '(antom_auth_[a-z_]+)'/g)].map((m) => m[1]!));
}

/** The base name of a sample name (histogram suffixes removed). */
export function baseName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}
