/**
 * `npm run bench:e2e` — the service end to end on the real engine (bench/support/serviceRig.ts: its own Temporal dev
 * server on free ports, the product worker from src/worker.ts, the API, the sandbox, Redis under a unique prefix),
 * each figure next to a baseline measured in the same run on the same server:
 *
 *   links/s and p50/p99   POST /authorizations (API → update-with-start → consult → answer with the URL) at
 *                         concurrency 1 and 16, vs the minimal link (bench/support/e2eBaselineWorkflows.ts) behind a
 *                         bare Fastify route: update-with-start running as many no-op activities and starting as many
 *                         timers as the product's link did before answering (counted from its history in this run).
 *   refresh cycles/s      one product worker, K authorizations on a short-lived wallet policy (SANDBOX_SHORT made to
 *                         live a few seconds once they are ACTIVE, then kicked once with POST …/refresh) refreshing as
 *                         fast as the worker lets them, vs K minimal cycles
 *                         (timer → refresh activity → projection activity → continue-as-new) on a baseline worker.
 *   worker RSS per cached workflow   process RSS growth with C ACTIVE authorizations cached by the product worker,
 *                         vs C minimal-link workflows cached by the baseline worker (both waiting on timers).
 *   Redis bytes per authorization    MEMORY USAGE over this run's own keys with C ACTIVE authorizations, vs a plain
 *                         (unencrypted) hash of the same token fields.
 *
 * It reports; it never fails on timing. It exits 1 only on a functional error (a link without a URL, an
 * authorization that does not become ACTIVE, a baseline that did not run).
 *
 * Options: --links1 N (40) --links16 N (400) --cached C (1000) --cycle-workflows K (150) --cycle-seconds S (40)
 *          --short-life-ms L (6000: the short-lived wallet's access token life; product refresh period ≈ L/2)
 */
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import Fastify from 'fastify';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SHORT_LIVED_TEST_WALLET } from '../src/sandbox';
import { redisKeys } from '../src/store/redisKeys';
import { TokenProjectionStore } from '../src/store/tokenProjection';
import { minimalLinkUpdate, type MinimalLinkInput } from './support/e2eBaselineWorkflows';
import type { MinimalCycleInput } from './support/minimalCycleWorkflow';
import { SandboxRequestTally } from './support/sandboxRequestTally';
import { fetchRetrying, percentile, scanKeys, ServiceRig, sleepMs } from './support/serviceRig';
import { fixed, textTable } from './support/textTable';

const LONG_WALLET = 'GCASH';
const EventType = temporal.api.enums.v1.EventType;

interface Options {
  links1: number;
  links16: number;
  cached: number;
  cycleWorkflows: number;
  cycleSeconds: number;
  shortLifeMs: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      links1: { type: 'string', default: '40' },
      links16: { type: 'string', default: '400' },
      cached: { type: 'string', default: '1000' },
      'cycle-workflows': { type: 'string', default: '150' },
      'cycle-seconds': { type: 'string', default: '40' },
      'short-life-ms': { type: 'string', default: '6000' },
    },
  });
  const n = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${text})`);
    return Math.floor(value);
  };
  return {
    links1: n('links1', values.links1, 1),
    links16: n('links16', values.links16, 1),
    cached: n('cached', values.cached, 1),
    cycleWorkflows: n('cycle-workflows', values['cycle-workflows'], 1),
    cycleSeconds: n('cycle-seconds', values['cycle-seconds'], 1),
    shortLifeMs: n('short-life-ms', values['short-life-ms'], 2000),
  };
}

const functionalErrors: string[] = [];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleepMs(300);
  }
  return process.memoryUsage().rss;
}

interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `count` calls of `call(i)` with `concurrency` in flight; throughput and latency percentiles. */
async function load(count: number, concurrency: number, call: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        try {
          await call(i);
          latencies.push(performance.now() - t0);
        } catch (error) {
          failed += 1;
          functionalErrors.push((error as Error).message);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  // Throughput counts answered calls only; failures are functional errors, reported at the end.
  return { count: count - failed, seconds, perSecond: (count - failed) / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

async function main(): Promise<void> {
  const opts = options();
  const startedAt = performance.now();
  const rig = await ServiceRig.start({
    // The limiter is storm's subject; here it must not be what is measured.
    rateLimitPerSecond: 100_000,
    maxCachedWorkflows: opts.cached + opts.cycleWorkflows + 200,
    walletPolicies: { [SHORT_LIVED_TEST_WALLET]: { accessTokenLifetimeMs: 3_600_000, refreshTokenLifetimeMs: 3_600_000, rotateRefreshToken: true } },
  });
  const tally = new SandboxRequestTally(rig.sandbox);
  const collector = setInterval(() => tally.collect(), 200);
  const baselineApp = Fastify();
  try {
    console.log(
      `bench:e2e — own dev server ${rig.server.address}, one product worker + one baseline worker in this process; node ${process.version}, ` +
        `${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; start-up ${fixed((performance.now() - startedAt) / 1000, 1)} s\n`,
    );

    // ---- links -------------------------------------------------------------------------------------------------------
    const linkProduct = async (customerId: string, wallet = LONG_WALLET): Promise<{ authState: string }> => {
      const response = await rig.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet, customerId }) });
      const body = (await response.json()) as { normalUrl?: string; authState?: string; state?: string };
      if (response.status !== 200 || !body.normalUrl || !body.authState) {
        throw new Error(`link ${wallet}/${customerId} answered ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
      return { authState: body.authState };
    };
    const linked: Array<{ wallet: string; customerId: string; authState: string }> = [];

    // The product's first link tells how many activities and timers the baseline must run.
    const first = await linkProduct('warmup-0');
    linked.push({ wallet: LONG_WALLET, customerId: 'warmup-0', ...first });
    const shape = await linkShape(rig, `authorization:${LONG_WALLET}:warmup-0`);
    const baselineInput: MinimalLinkInput = { activities: shape.activities, timers: shape.timers, timerMs: 6 * 3_600_000 };
    console.log(`product link before its answer (from its history): ${shape.activities} activities, ${shape.timers} timers, ${shape.events} events → the minimal link does the same\n`);

    baselineApp.post<{ Body: { id: string } }>('/baseline/links', async (request, reply) => {
      const id = request.body?.id;
      if (typeof id !== 'string') return reply.code(400).send({ error: 'id required' });
      const startWorkflowOperation = new WithStartWorkflowOperation('minimalLink', {
        workflowId: `baseline-link:${id}`,
        taskQueue: rig.baselineTaskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [baselineInput],
      });
      const answer = await rig.client.workflow.executeUpdateWithStart(minimalLinkUpdate, { startWorkflowOperation });
      return { url: answer.url };
    });
    const baselineUrl = await baselineApp.listen({ host: '127.0.0.1', port: 0 });
    const linkBaseline = async (id: string) => {
      const response = await fetchRetrying(`${baselineUrl}/baseline/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
      const body = (await response.json()) as { url?: string };
      if (response.status !== 200 || !body.url) throw new Error(`baseline link answered ${response.status}`);
    };

    // Warm-up of both paths (JIT, connections, caches).
    await load(10, 4, async (i) => {
      const customerId = `warmup-${i + 1}`;
      linked.push({ wallet: LONG_WALLET, customerId, ...(await linkProduct(customerId)) });
    });
    await load(11, 4, (i) => linkBaseline(`warmup-${i}`));
    const warm = [...linked];
    await load(warm.length, 4, (i) => activate(rig, warm[i]!));

    // ---- worker RSS per cached workflow -----------------------------------------------------------------------------
    // C fresh workflows per worker, measured before anything else fills the caches.
    const rss0 = await settledRss();
    const baselineCachedBefore = rig.baselineWorker.getStatus().numCachedWorkflows;
    await load(opts.cached, 16, (i) => linkBaseline(`cache-${i}`));
    await sleepMs(1000);
    const rss1 = await settledRss();
    const baselineCached = rig.baselineWorker.getStatus().numCachedWorkflows;

    // C product authorizations ACTIVE: link through the API, approve in the wallet, the redirect delivers the authCode.
    const productCachedBefore = rig.productWorker.getStatus().numCachedWorkflows;
    const toActivate: Array<{ wallet: string; customerId: string; authState: string }> = [];
    await load(opts.cached, 16, async (i) => {
      const customerId = `cache-${i}`;
      toActivate.push({ wallet: LONG_WALLET, customerId, ...(await linkProduct(customerId)) });
    });
    const activation = await load(toActivate.length, 16, async (i) => {
      await activate(rig, toActivate[i]!);
    });
    await sleepMs(1000);
    const rss2 = await settledRss();
    const productCached = rig.productWorker.getStatus().numCachedWorkflows;
    const baselineGrowth = rss1 - rss0;
    const productGrowth = rss2 - rss1;
    const mb = (bytes: number) => fixed(bytes / 1_048_576, 1);
    const kb = (bytes: number) => fixed(bytes / 1024, 1);
    console.log(
      textTable(
        ['line', 'cached workflows', 'RSS growth MB', 'KB per cached workflow'],
        [
          ['e2e.rss product (ACTIVE authorizations)', `${productCachedBefore}→${productCached}`, mb(productGrowth), kb(productGrowth / Math.max(1, productCached - productCachedBefore))],
          ['e2e.rss baseline (minimal link)', `${baselineCachedBefore}→${baselineCached}`, mb(baselineGrowth), kb(baselineGrowth / Math.max(1, baselineCached - baselineCachedBefore))],
          ['e2e.rss ratio product/baseline', '', '', fixed(productGrowth / Math.max(1, productCached - productCachedBefore) / (baselineGrowth / Math.max(1, baselineCached - baselineCachedBefore)), 2)],
        ],
      ),
    );
    console.log(
      `(process RSS after forced GC of the main thread: ${mb(rss0)} MB before, ${mb(rss1)} MB with the baseline cached, ${mb(rss2)} MB with both; ` +
        `the product's growth also holds the sandbox's and API's state for ${toActivate.length} authorizations in this same process; ` +
        `activation ${fixed(activation.perSecond, 1)}/s at concurrency 16, p50 ${fixed(activation.p50, 0)} ms)\n`,
    );

    // ---- Redis bytes per authorization ------------------------------------------------------------------------------
    await redisBytes(rig, toActivate.length + warm.length);

    const linkRows: string[][] = [];
    const linkResults: Record<string, { product: LoadResult; baseline: LoadResult }> = {};
    for (const [concurrency, count] of [[1, opts.links1], [16, opts.links16]] as const) {
      // Half of each, interleaved in two rounds, so background load hits both alike.
      const half = Math.max(1, Math.floor(count / 2));
      const parts: { product: LoadResult[]; baseline: LoadResult[] } = { product: [], baseline: [] };
      for (let round = 0; round < 2; round++) {
        const n = round === 0 ? half : count - half;
        if (n <= 0) continue;
        parts.product.push(await load(n, concurrency, async (i) => {
          const customerId = `c${concurrency}-r${round}-${i}`;
          linked.push({ wallet: LONG_WALLET, customerId, ...(await linkProduct(customerId)) });
        }));
        parts.baseline.push(await load(n, concurrency, (i) => linkBaseline(`c${concurrency}-r${round}-${i}`)));
      }
      const merge = (results: LoadResult[]): LoadResult => {
        const total = results.reduce((s, r) => s + r.count, 0);
        const seconds = results.reduce((s, r) => s + r.seconds, 0);
        // Percentiles: the count-weighted mean of the rounds' (each round has its own sorted sample).
        const weighted = (key: 'p50' | 'p99') => results.reduce((s, r) => s + r[key] * r.count, 0) / total;
        return { count: total, seconds, perSecond: total / seconds, p50: weighted('p50'), p99: weighted('p99') };
      };
      const product = merge(parts.product);
      const baseline = merge(parts.baseline);
      linkResults[`c${concurrency}`] = { product, baseline };
      linkRows.push(
        [`e2e.links.c${concurrency} product (POST /authorizations)`, String(product.count), fixed(product.perSecond, 1), fixed(product.p50, 1), fixed(product.p99, 1)],
        [`e2e.links.c${concurrency} baseline (minimal link)`, String(baseline.count), fixed(baseline.perSecond, 1), fixed(baseline.p50, 1), fixed(baseline.p99, 1)],
        [`e2e.links.c${concurrency} ratio product/baseline`, '', fixed(product.perSecond / baseline.perSecond, 2), fixed(product.p50 / baseline.p50, 2), fixed(product.p99 / baseline.p99, 2)],
      );
    }
    console.log(textTable(['line', 'links', 'links/s', 'p50 ms', 'p99 ms'], linkRows));
    console.log('(a link answers when the consult result — the wallet URL — is in; the baseline answers when its no-op activities are done)\n');

    // ---- refresh cycles per second per worker -----------------------------------------------------------------------
    await refreshCycles(rig, tally, opts);
  } finally {
    clearInterval(collector);
    await baselineApp.close().catch(() => undefined);
    await rig.close();
  }
  if (functionalErrors.length > 0) {
    console.error(`\nFUNCTIONAL ERRORS (${functionalErrors.length}):\n${[...new Set(functionalErrors)].slice(0, 20).map((e) => `  - ${e}`).join('\n')}`);
    process.exitCode = 1;
  }
  console.log(`\ntotal wall time ${fixed((performance.now() - startedAt) / 1000, 0)} s`);
}

/** Activities and timers the product's link scheduled before its update completed, from the server's history. */
async function linkShape(rig: ServiceRig, workflowId: string): Promise<{ activities: number; timers: number; events: number }> {
  const history = await rig.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const completed = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  const until = completed ? Number(completed.eventId) : Number.POSITIVE_INFINITY;
  const before = events.filter((e) => Number(e.eventId) <= until);
  return {
    activities: before.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length,
    timers: before.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED).length,
    events: before.length,
  };
}

/** The customer approves in the wallet; the wallet redirect delivers the authCode through the API; wait for ACTIVE. */
async function activate(rig: ServiceRig, customer: { wallet: string; customerId: string; authState: string }, timeoutMs = 120_000): Promise<void> {
  const approved = rig.sandbox.admin.approve({ authState: customer.authState });
  const redirect = await fetchRetrying(approved.redirectUrl, { redirect: 'manual' });
  await redirect.arrayBuffer();
  const deadline = Date.now() + timeoutMs;
  let state = '';
  while (Date.now() < deadline) {
    const response = await rig.api(`/authorizations/${customer.wallet}/${customer.customerId}`);
    if (!response.ok) {
      // A starved server (query timeout) answers 5xx: ask again.
      await response.arrayBuffer();
      await sleepMs(250);
      continue;
    }
    state = ((await response.json()) as { state?: string }).state ?? '';
    if (state === 'ACTIVE') return;
    if (state !== 'AWAITING_AUTH_CODE' && state !== 'APPLYING_TOKEN') break;
    await sleepMs(100);
  }
  functionalErrors.push(`${customer.wallet}/${customer.customerId} did not become ACTIVE (last state ${state})`);
}

async function redisBytes(rig: ServiceRig, authorizations: number): Promise<void> {
  const keys = await scanKeys(rig.redis, rig.prefix);
  const families = new Map<string, { keys: number; bytes: number }>();
  let total = 0;
  for (const key of keys) {
    const bytes = Number((await rig.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    const family = key.slice(rig.prefix.length).split(':')[0] ?? '?';
    const entry = families.get(family) ?? { keys: 0, bytes: 0 };
    entry.keys += 1;
    entry.bytes += bytes;
    families.set(family, entry);
    total += bytes;
  }
  // Baseline: the same token fields in a plain hash (what a payment path minimally reads), measured the same way.
  const store = new TokenProjectionStore(rig.redis, { keyRing: rig.keyRing, keys: redisKeys(rig.prefix) });
  const sample = await store.get(`authorization:${LONG_WALLET}:warmup-0`);
  const plainKey = `${rig.prefix}baseline-plain`;
  await rig.redis.hset(plainKey, {
    accessToken: sample?.accessToken ?? 'x'.repeat(64),
    accessTokenExpiry: sample?.accessTokenExpiry ?? new Date().toISOString(),
    state: 'ACTIVE',
    userLoginId: sample?.userLoginId ?? '63****0001',
  });
  const plain = Number((await rig.redis.call('MEMORY', 'USAGE', plainKey, 'SAMPLES', '0')) ?? 0);
  await rig.redis.del(plainKey);
  const perAuthorization = total / Math.max(1, authorizations);
  console.log(
    textTable(
      ['line', 'keys', 'bytes', 'bytes per authorization'],
      [
        ...[...families.entries()].sort((a, b) => b[1].bytes - a[1].bytes).map(([family, f]) => [`  ${family}`, String(f.keys), String(f.bytes), fixed(f.bytes / Math.max(1, authorizations), 0)]),
        [`e2e.redis product (${authorizations} ACTIVE)`, String(keys.length), String(total), fixed(perAuthorization, 0)],
        ['e2e.redis baseline (plain hash of the token fields)', '1', String(plain), String(plain)],
        ['e2e.redis ratio product/baseline', '', '', fixed(perAuthorization / plain, 2)],
      ],
    ),
  );
  console.log('(MEMORY USAGE … SAMPLES 0 on every key under this run\'s prefix; shared keys such as the lifecycle index are divided among the authorizations)\n');
}

async function refreshCycles(rig: ServiceRig, tally: SandboxRequestTally, opts: Options): Promise<void> {
  const k = opts.cycleWorkflows;
  const productPeriodMs = opts.shortLifeMs / 2;
  // The baseline refreshes 4× as often, so that it too is offered more than one worker can do.
  const baselinePeriodMs = Math.max(250, productPeriodMs / 4);

  // Baseline: K minimal cycles, then a window.
  const cycles = Math.ceil((opts.cycleSeconds * 1000 * 4) / baselinePeriodMs) + 10;
  const baselineHandles = [];
  for (let i = 0; i < k; i++) {
    const input: MinimalCycleInput = { cycle: 0, cycles, periodMs: baselinePeriodMs, tokenVersion: 1 };
    baselineHandles.push(await rig.client.workflow.start('minimalRefreshCycle', { workflowId: `baseline-cycle:${i}`, taskQueue: rig.baselineTaskQueue, args: [input] }));
  }
  await sleepMs(baselinePeriodMs * 2);
  const b0 = rig.baselineCounters.refreshes;
  const bStart = performance.now();
  await sleepMs(opts.cycleSeconds * 1000);
  const baselineCycles = rig.baselineCounters.refreshes - b0;
  const baselineSeconds = (performance.now() - bStart) / 1000;
  await Promise.all(baselineHandles.map((h) => h.terminate('benchmark window over').catch(() => undefined)));
  if (baselineCycles === 0) functionalErrors.push('baseline refresh cycles: none ran');

  // Product: K authorizations on the short-lived wallet, linked and activated through the API.
  const customers: Array<{ wallet: string; customerId: string; authState: string }> = [];
  await load(k, 16, async (i) => {
    const customerId = `short-${i}`;
    const response = await rig.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: SHORT_LIVED_TEST_WALLET, customerId }) });
    const body = (await response.json()) as { authState?: string };
    if (!body.authState) {
      functionalErrors.push(`link ${SHORT_LIVED_TEST_WALLET}/${customerId}: ${response.status}`);
      return;
    }
    customers.push({ wallet: SHORT_LIVED_TEST_WALLET, customerId, authState: body.authState });
  });
  await load(customers.length, 16, (i) => activate(rig, customers[i]!));
  // Activated on hour-long tokens (so cycling ones do not starve the activations); now the wallet issues short-lived
  // tokens and each authorization is asked to refresh once (POST …/refresh): from then on it cycles every ~L/2.
  rig.sandbox.admin.setWalletPolicy(SHORT_LIVED_TEST_WALLET, { accessTokenLifetimeMs: opts.shortLifeMs, refreshTokenLifetimeMs: 3_600_000, rotateRefreshToken: true });
  await load(customers.length, 16, async (i) => {
    const c = customers[i]!;
    const response = await rig.api(`/authorizations/${c.wallet}/${c.customerId}/refresh`, { method: 'POST', body: '{}' });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`refresh-now ${c.customerId} answered ${response.status}`);
  });
  await sleepMs(productPeriodMs * 3);
  tally.collect();
  const p0 = tally.counts(SHORT_LIVED_TEST_WALLET);
  const pStart = performance.now();
  await sleepMs(opts.cycleSeconds * 1000);
  tally.collect();
  const p1 = tally.counts(SHORT_LIVED_TEST_WALLET);
  const productSeconds = (performance.now() - pStart) / 1000;
  const productCycles = p1.tokensIssuedByRefresh - p0.tokensIssuedByRefresh;
  const productCalls = p1.refreshCalls - p0.refreshCalls;
  // Where the authorizations are at the end (a worker that falls behind shows REFRESHING; anything else is an error).
  const states = new Map<string, number>();
  for (const c of customers) {
    const response = await rig.api(`/authorizations/${c.wallet}/${c.customerId}`);
    const state = ((await response.json()) as { state?: string }).state ?? '?';
    states.set(state, (states.get(state) ?? 0) + 1);
    if (state !== 'ACTIVE' && state !== 'REFRESHING') functionalErrors.push(`${c.customerId} in ${state} during the refresh window`);
  }
  await Promise.all(customers.map((c) => rig.client.workflow.getHandle(`authorization:${c.wallet}:${c.customerId}`).terminate('benchmark window over').catch(() => undefined)));
  if (tally.missedRequests > 0) console.log(`warning: ${tally.missedRequests} sandbox requests fell out of its log before being counted`);

  const productRate = productCycles / productSeconds;
  const baselineRate = baselineCycles / baselineSeconds;
  console.log(
    textTable(
      ['line', 'workflows', 'period ms', 'offered/s', 'cycles', 'window s', 'cycles/s'],
      [
        ['e2e.cycles product (refresh applyToken → project → continue-as-new)', String(customers.length), fixed(productPeriodMs, 0), fixed((customers.length * 1000) / productPeriodMs, 1), String(productCycles), fixed(productSeconds, 1), fixed(productRate, 1)],
        ['e2e.cycles baseline (minimal cycle, no-op activities)', String(k), fixed(baselinePeriodMs, 0), fixed((k * 1000) / baselinePeriodMs, 1), String(baselineCycles), fixed(baselineSeconds, 1), fixed(baselineRate, 1)],
        ['e2e.cycles ratio product/baseline', '', '', '', '', '', fixed(productRate / baselineRate, 2)],
      ],
    ),
  );
  console.log(
    `(one worker each, same dev server; product cycles = refresh tokens the sandbox issued in the window (${productCalls} refresh calls, ` +
      `${fixed(productCalls / Math.max(1, productCycles), 2)} per token); states at the end: ${[...states.entries()].map(([s, n]) => `${s} ${n}`).join(', ')}; ` +
      'when cycles/s is below offered/s the worker is the bottleneck)',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
