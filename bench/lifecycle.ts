/**
 * `npm run bench:lifecycle` — N customers over 10 simulated years, offline: the real authorization workflow on the
 * offline environment (test/support), the real activities, the real sandbox (HTTP + RSA) and a real Redis.
 *
 * Prints, per wallet and in total: runs, refresh cycles, history events per refresh cycle (per run of a refresh
 * cycle, "as Temporal counts them" by the environment's history model), events per customer-year, refresh calls per
 * refreshed token (from the sandbox's received-request log, identical retries included), and wall time. The baseline,
 * measured in the same run on the same environment instance, is the minimal cycle (bench/support/minimalCycleWorkflow:
 * timer → refresh activity → projection activity → continue-as-new); product figures are printed as ratios to it.
 *
 * It reports; it never fails on timing or on the ≤ 25 events target. It exits 1 only on a functional error: a
 * customer that does not reach ACTIVE, ends up parked/failed/expired, a determinism violation (--replay), or a
 * baseline that did not run its cycles.
 *
 * Then the same life on Temporal's time-skipping test server (bench/support/serverLifecycle.ts): a few customers per
 * wallet and the minimal cycle, read back from the server — events per refresh cycle and history bytes per cycle as
 * the server records them, printed next to the offline estimate (the offline environment models events, not bytes).
 *
 * Options: --customers N (20) --years Y (10) --step-days D (7) --short-customers S (2) --short-hours H (24)
 *          --refresh-faults K (0: K applyToken calls answered U, retried identically) --no-relink --replay --trace
 *          --wallets GCASH,TNG,DANA,KAKAOPAY
 *          --no-server (skip the time-skipping server) --server-customers C (1 per wallet) --server-step-days D (7)
 */
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { SHORT_LIVED_TEST_WALLET } from '../src/sandbox';
import type { AuthorizationState, AuthorizationView } from '../src/workflows/definitions';
import type { HistoryEventType } from '../test/support/historyEvents';
import type { WorkflowRun } from '../test/support/workflowRun';
import { isRefreshCycleRun, meanEventCounts, PRODUCT_CYCLE, summarize, type CycleActivityTypes } from './support/historyStats';
import { LifecycleRig, type LinkedAuthorization } from './support/lifecycleRig';
import type { MinimalCycleInput } from './support/minimalCycleWorkflow';
import { isServerCycleRun, runOnTimeSkippingServer, type ServerLifecycleResult, type ServerRun } from './support/serverLifecycle';
import { fixed, textTable } from './support/textTable';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const TARGET_EVENTS_PER_CYCLE = 25;
const START_TIME_MS = Date.UTC(2026, 0, 1);
const BASELINE_CYCLE: CycleActivityTypes = { refresh: 'minimalRefresh', projection: 'minimalProject' };
/** The long-horizon baseline refreshes at GCASH's pace: a 2-year token refreshed 10 days early. */
const LONG_BASELINE_PERIOD_MS = 2 * YEAR - 10 * DAY;
/** The short-horizon baseline at SANDBOX_SHORT's pace: a 30-minute token refreshed at half its life. */
const SHORT_BASELINE_PERIOD_MS = 15 * 60_000;
/** States a healthy authorization never settles in while a merchant relinks on REAUTH_REQUIRED (without relinks, TOKEN_EXPIRED is expected). */
const BROKEN_STATES: ReadonlySet<AuthorizationState> = new Set(['NEEDS_ATTENTION', 'FAILED', 'TOKEN_EXPIRED', 'AUTHORIZATION_EXPIRED', 'REVOKED', 'CANCELED_BY_WALLET']);

interface Options {
  customers: number;
  years: number;
  stepMs: number;
  shortCustomers: number;
  shortHours: number;
  refreshFaults: number;
  relink: boolean;
  replay: boolean;
  /** Print the event sequence of one refresh-cycle run and of one first (linking) run. */
  trace: boolean;
  wallets: string[];
  server: boolean;
  serverCustomers: number;
  serverStepMs: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '20' },
      years: { type: 'string', default: '10' },
      'step-days': { type: 'string', default: '7' },
      'short-customers': { type: 'string', default: '2' },
      'short-hours': { type: 'string', default: '24' },
      'refresh-faults': { type: 'string', default: '0' },
      'no-relink': { type: 'boolean', default: false },
      replay: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      wallets: { type: 'string', default: 'GCASH,TNG,DANA,KAKAOPAY' },
      'no-server': { type: 'boolean', default: false },
      'server-customers': { type: 'string', default: '1' },
      'server-step-days': { type: 'string', default: '7' },
    },
  });
  const count = (name: string, text: string, min: number): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${text})`);
    return value;
  };
  return {
    customers: Math.floor(count('customers', values.customers, 1)),
    years: count('years', values.years, 0.01),
    stepMs: count('step-days', values['step-days'], 0.01) * DAY,
    shortCustomers: Math.floor(count('short-customers', values['short-customers'], 0)),
    shortHours: count('short-hours', values['short-hours'], 0.01),
    refreshFaults: Math.floor(count('refresh-faults', values['refresh-faults'], 0)),
    relink: !values['no-relink'],
    replay: values.replay,
    trace: values.trace,
    wallets: values.wallets.split(',').map((w) => w.trim()).filter((w) => w.length > 0),
    server: !values['no-server'],
    serverCustomers: Math.floor(count('server-customers', values['server-customers'], 1)),
    serverStepMs: count('server-step-days', values['server-step-days'], 0.01) * DAY,
  };
}

/** A group of customers simulated together over one horizon, and what became of them. */
interface Cohort {
  label: string;
  customers: LinkedAuthorization[];
  horizonMs: number;
  linkWallMs: number;
  lifeWallMs: number;
  finalViews: Map<string, AuthorizationView>;
}

interface WalletRow {
  label: string;
  customers: number;
  customerYears: number;
  runs: WorkflowRun[];
  cycleRuns: WorkflowRun[];
  firstRuns: WorkflowRun[];
  refreshes: number;
  relinks: number;
  refreshCalls: number;
  tokensByAuthCode: number;
  tokensByRefresh: number;
  refreshCallsNotS: number;
}

const functionalErrors: string[] = [];

async function main(): Promise<void> {
  const opts = options();
  const rig = await LifecycleRig.create({ startTimeMs: START_TIME_MS });
  try {
    console.log(
      `bench:lifecycle — ${opts.customers} customers × ${opts.years} y (${opts.wallets.join(', ')}), step ${fixed(opts.stepMs / DAY, 1)} d; ` +
        `${opts.shortCustomers} × ${SHORT_LIVED_TEST_WALLET} over ${opts.shortHours} h; relink on REAUTH_REQUIRED: ${opts.relink ? 'yes' : 'no'}; ` +
        `refresh faults (U): ${opts.refreshFaults}\nmachine: ${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
        'history events are the offline environment\'s estimate of what a Temporal server writes (test/support/README.md)\n',
    );

    // Each cohort right after its baseline of the same shape, so background load hits both alike.
    const longHorizonMs = opts.years * YEAR;
    const longBaseline = await runBaseline(rig, 'long', opts.customers, LONG_BASELINE_PERIOD_MS, longHorizonMs, opts.stepMs);
    const long = await runCohort(rig, opts, 'long', opts.wallets, opts.customers, longHorizonMs, opts.stepMs);
    const longRows = opts.wallets.map((wallet) => walletRow(rig, long, wallet));
    let shortRows: WalletRow[] = [];
    let short: { cohort: Cohort; baseline: BaselineResult } | undefined;
    if (opts.shortCustomers > 0) {
      const shortHorizonMs = opts.shortHours * HOUR;
      const baseline = await runBaseline(rig, 'short', opts.shortCustomers, SHORT_BASELINE_PERIOD_MS, shortHorizonMs, HOUR);
      const cohort = await runCohort(rig, { ...opts, refreshFaults: 0 }, 'short', [SHORT_LIVED_TEST_WALLET], opts.shortCustomers, shortHorizonMs, HOUR);
      short = { cohort, baseline };
      shortRows = [walletRow(rig, cohort, SHORT_LIVED_TEST_WALLET)];
    }
    if (rig.tally.missedRequests > 0) {
      console.log(`warning: ${rig.tally.missedRequests} sandbox requests fell out of its log before being counted; call counts are low\n`);
    }

    report(opts, { cohort: long, baseline: longBaseline }, longRows, short, shortRows);
    if (opts.trace) trace([...longRows, ...shortRows]);
    if (opts.server) {
      console.log(`\n---- the same life on Temporal's time-skipping test server: ${opts.serverCustomers} customer(s) per wallet × ${opts.years} y, step ${fixed(opts.serverStepMs / DAY, 1)} d ----`);
      const server = await runOnTimeSkippingServer({
        wallets: opts.wallets,
        customersPerWallet: opts.serverCustomers,
        horizonMs: opts.years * YEAR,
        stepMs: opts.serverStepMs,
        baselineWorkflows: opts.wallets.length,
        baselinePeriodMs: LONG_BASELINE_PERIOD_MS,
        relink: opts.relink,
      });
      functionalErrors.push(...server.errors);
      reportServer(opts, server, longRows, longBaseline);
    }

    if (opts.replay) {
      const started = performance.now();
      try {
        await rig.env.assertDeterministic();
        console.log(`\ndeterminism replay of every recorded run: ok (${fixed((performance.now() - started) / 1000, 2)} s)`);
      } catch (error) {
        functionalErrors.push(`determinism replay: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await rig.close();
  }
  if (functionalErrors.length > 0) {
    console.error(`\nFUNCTIONAL ERRORS (${functionalErrors.length}):\n${functionalErrors.map((e) => `  - ${e}`).join('\n')}`);
    process.exitCode = 1;
  }
}

// ---- baseline ----------------------------------------------------------------------------------------------------------

interface BaselineResult {
  workflows: number;
  runs: WorkflowRun[];
  cycleRuns: WorkflowRun[];
  cycles: number;
  wallMs: number;
}

/**
 * The minimal cycle in the shape of a product cohort: as many workflows, the same horizon and step, a period like the
 * cohort's wallet. Its activities are in-process no-ops, so its wall time is the environment's own cost of a cycle.
 */
async function runBaseline(rig: LifecycleRig, label: string, workflows: number, periodMs: number, horizonMs: number, stepMs: number): Promise<BaselineResult> {
  const cycles = Math.max(2, Math.floor(horizonMs / periodMs));
  const workflowIds = Array.from({ length: workflows }, (_, i) => `baseline:${label}:${i}`);
  const callsBefore = rig.baselineActivityCalls;
  const started = performance.now();
  const handles = [];
  for (const workflowId of workflowIds) {
    const input: MinimalCycleInput = { cycle: 0, cycles, periodMs, tokenVersion: 1 };
    handles.push(await rig.env.client.workflow.start('minimalRefreshCycle', { workflowId, taskQueue: rig.env.taskQueue, args: [input] }));
  }
  await advance(rig, Math.max(horizonMs, cycles * periodMs), stepMs, async () => undefined);
  const results = await Promise.all(handles.map((h) => h.result() as Promise<number>));
  const wallMs = performance.now() - started;
  const calls = rig.baselineActivityCalls - callsBefore;
  if (results.some((done) => done !== cycles) || calls !== 2 * cycles * workflows) {
    functionalErrors.push(`baseline ${label}: expected ${cycles} cycles per workflow and ${2 * cycles * workflows} activity calls, got ${results.join(',')} / ${calls}`);
  }
  const runs = workflowIds.flatMap((id) => [...rig.env.runs(id)]);
  // Every run but the last is a steady-state cycle, the first one included (the baseline has no linking).
  const cycleRuns = runs.filter((run) => isRefreshCycleRun(run, BASELINE_CYCLE, false));
  return { workflows, runs, cycleRuns, cycles: cycles * workflows, wallMs };
}

// ---- product cohorts -----------------------------------------------------------------------------------------------------

async function runCohort(rig: LifecycleRig, opts: Options, label: string, wallets: string[], count: number, horizonMs: number, stepMs: number): Promise<Cohort> {
  const customers: LinkedAuthorization[] = [];
  const cohortStartMs = rig.env.now();
  const linkStarted = performance.now();
  for (let i = 0; i < count; i++) {
    const wallet = wallets[i % wallets.length]!;
    const customerId = `${label}-${String(i + 1).padStart(4, '0')}`;
    try {
      customers.push(await rig.activate(wallet, customerId));
    } catch (error) {
      functionalErrors.push(`link ${wallet}/${customerId}: ${(error as Error).message}`);
    }
  }
  const linkWallMs = performance.now() - linkStarted;
  rig.tally.collect();
  if (opts.refreshFaults > 0) {
    rig.sandbox.admin.addFault({ endpoint: 'applyToken', times: opts.refreshFaults, effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
  }

  const broken = new Set<string>();
  // A customer ACTIVE until its planned refresh/notice cannot change before it (short of a fault, which the
  // refresh itself meets): querying only when that instant has passed keeps the driver's own cost out of the figures.
  const quietUntil = new Map<string, number>();
  const lifeStarted = performance.now();
  await advance(rig, horizonMs, stepMs, async () => {
    for (const customer of customers) {
      if (broken.has(customer.workflowId) || rig.env.now() < (quietUntil.get(customer.workflowId) ?? 0)) continue;
      const view = await rig.view(customer);
      quietUntil.set(customer.workflowId, view.state === 'ACTIVE' && view.nextRefreshAt ? Date.parse(view.nextRefreshAt) : 0);
      if (view.state === 'REAUTH_REQUIRED' && opts.relink) {
        try {
          await rig.relink(customer);
        } catch (error) {
          broken.add(customer.workflowId);
          functionalErrors.push(`relink ${customer.workflowId}: ${(error as Error).message}`);
        }
      } else if (BROKEN_STATES.has(view.state) && !(view.state === 'TOKEN_EXPIRED' && !opts.relink)) {
        broken.add(customer.workflowId);
        functionalErrors.push(`${customer.workflowId} reached ${view.state} ${fixed((rig.env.now() - cohortStartMs) / DAY, 1)} days after linking${view.lastError ? ` (last error ${view.lastError.code} in ${view.lastError.phase})` : ''}`);
      }
    }
  });
  const lifeWallMs = performance.now() - lifeStarted;

  const finalViews = new Map<string, AuthorizationView>();
  for (const customer of customers) {
    const view = await rig.view(customer);
    finalViews.set(customer.workflowId, view);
    const acceptable = opts.relink ? view.state === 'ACTIVE' : view.state === 'ACTIVE' || view.state === 'REAUTH_REQUIRED' || view.state === 'TOKEN_EXPIRED';
    if (!acceptable && !broken.has(customer.workflowId)) functionalErrors.push(`${customer.workflowId} ended in ${view.state}`);
  }
  return { label, customers, horizonMs, linkWallMs, lifeWallMs, finalViews };
}

/** Moves virtual time by `totalMs` in `stepMs` steps; after each, counts sandbox requests and runs `afterStep`. */
async function advance(rig: LifecycleRig, totalMs: number, stepMs: number, afterStep: () => Promise<void>): Promise<void> {
  for (let done = 0; done < totalMs; done += stepMs) {
    await rig.env.sleep(Math.min(stepMs, totalMs - done));
    await rig.env.runUntilIdle();
    rig.tally.collect();
    await afterStep();
  }
  rig.tally.collect();
}

function walletRow(rig: LifecycleRig, cohort: Cohort, wallet: string): WalletRow {
  const customers = cohort.customers.filter((c) => c.wallet === wallet);
  const runs = customers.flatMap((c) => [...rig.env.runs(c.workflowId)]);
  const counts = rig.tally.counts(wallet);
  return {
    label: wallet,
    customers: customers.length,
    customerYears: (customers.length * cohort.horizonMs) / YEAR,
    runs,
    cycleRuns: runs.filter((run) => isRefreshCycleRun(run, PRODUCT_CYCLE)),
    firstRuns: customers.map((c) => rig.env.runs(c.workflowId)[0]!).filter((run) => run !== undefined),
    refreshes: customers.reduce((sum, c) => sum + (cohort.finalViews.get(c.workflowId)?.refreshCount ?? 0), 0),
    relinks: customers.reduce((sum, c) => sum + c.relinks, 0),
    refreshCalls: counts.refreshCalls,
    tokensByAuthCode: counts.tokensIssuedByAuthCode,
    tokensByRefresh: counts.tokensIssuedByRefresh,
    refreshCallsNotS: counts.refreshCallsNotS,
  };
}

function totalRow(label: string, rows: WalletRow[]): WalletRow {
  return {
    label,
    customers: rows.reduce((s, r) => s + r.customers, 0),
    customerYears: rows.reduce((s, r) => s + r.customerYears, 0),
    runs: rows.flatMap((r) => r.runs),
    cycleRuns: rows.flatMap((r) => r.cycleRuns),
    firstRuns: rows.flatMap((r) => r.firstRuns),
    refreshes: rows.reduce((s, r) => s + r.refreshes, 0),
    relinks: rows.reduce((s, r) => s + r.relinks, 0),
    refreshCalls: rows.reduce((s, r) => s + r.refreshCalls, 0),
    tokensByAuthCode: rows.reduce((s, r) => s + r.tokensByAuthCode, 0),
    tokensByRefresh: rows.reduce((s, r) => s + r.tokensByRefresh, 0),
    refreshCallsNotS: rows.reduce((s, r) => s + r.refreshCallsNotS, 0),
  };
}

// ---- report ---------------------------------------------------------------------------------------------------------------

interface MeasuredCohort {
  cohort: Cohort;
  baseline: BaselineResult;
}

const historyEvents = (runs: readonly WorkflowRun[]): number => runs.reduce((sum, run) => sum + run.historyLength, 0);

function report(opts: Options, long: MeasuredCohort, longRows: WalletRow[], short: MeasuredCohort | undefined, shortRows: WalletRow[]): void {
  const baselineRuns = [...long.baseline.cycleRuns, ...(short?.baseline.cycleRuns ?? [])];
  const baselineCycle = summarize(baselineRuns.map((r) => r.historyLength));
  const productRows = [...longRows, totalRow(`TOTAL (${opts.years} y)`, longRows), ...shortRows.map((r) => ({ ...r, label: `${r.label} (${opts.shortHours} h)` }))];
  const baselineRow = (label: string, b: BaselineResult): string[] => {
    const cycle = summarize(b.cycleRuns.map((r) => r.historyLength));
    return [label, String(b.workflows), String(b.runs.length), String(b.cycles), '—', String(cycle.count), fixed(cycle.mean), fixed(cycle.max, 0), fixed(cycle.mean / baselineCycle.mean, 2), '—', '—', '—', '—', '—'];
  };
  console.log(
    textTable(
      ['wallet', 'cust', 'runs', 'refreshes', 'relinks', 'cycle runs', 'ev/cycle mean', 'max', '×minimal', 'first run ev', 'ev/cust-year', 'refresh calls', 'tokens code+refresh', 'calls/refreshed token'],
      [
        ...productRows.map((r) => {
          const cycle = summarize(r.cycleRuns.map((run) => run.historyLength));
          const first = summarize(r.firstRuns.map((run) => run.historyLength));
          return [
            r.label,
            String(r.customers),
            String(r.runs.length),
            String(r.refreshes),
            String(r.relinks),
            String(cycle.count),
            fixed(cycle.mean),
            fixed(cycle.max, 0),
            fixed(cycle.mean / baselineCycle.mean, 2),
            fixed(first.mean),
            fixed(historyEvents(r.runs) / r.customerYears, 1),
            String(r.refreshCalls),
            `${r.tokensByAuthCode}+${r.tokensByRefresh}`,
            fixed(r.tokensByRefresh === 0 ? Number.NaN : r.refreshCalls / r.tokensByRefresh, 2),
          ];
        }),
        baselineRow(`minimal cycle (${opts.years} y)`, long.baseline),
        ...(short ? [baselineRow(`minimal cycle (${opts.shortHours} h)`, short.baseline)] : []),
      ],
    ),
  );
  console.log(
    '\ncycle run = a run begun and ended by continue-as-new that scheduled exactly one refresh and one projection (steady state);\n' +
      'first run ev = mean of the runs holding link → consult → authCode → applyToken → projection (and the first refresh when due in them);\n' +
      'ev/cust-year = every history event of every run ÷ customer-years simulated; calls/refreshed token = refresh applyToken\n' +
      'requests the sandbox received (identical retries included) ÷ tokens it issued by refresh (1.00 = no retry).',
  );

  const productCycleRuns = [...longRows, ...shortRows].flatMap((r) => r.cycleRuns);
  const allCycles = summarize(productCycleRuns.map((run) => run.historyLength));
  console.log(
    `\nevents per refresh cycle: product mean ${fixed(allCycles.mean)} (min ${fixed(allCycles.min, 0)}, max ${fixed(allCycles.max, 0)}, ${allCycles.count} cycle runs) · ` +
      `minimal cycle ${fixed(baselineCycle.mean)} · ratio ${fixed(allCycles.mean / baselineCycle.mean, 2)} · ` +
      `target ≤ ${TARGET_EVENTS_PER_CYCLE}: ${allCycles.count === 0 ? 'no cycle measured' : allCycles.max <= TARGET_EVENTS_PER_CYCLE ? 'met' : 'NOT met'} (informational)`,
  );

  // Where the product's history goes: its cycle against the minimal one, and the first (linking) run.
  const product = meanEventCounts(productCycleRuns);
  const minimal = meanEventCounts(baselineRuns);
  const firstRuns = [...longRows, ...shortRows].flatMap((r) => r.firstRuns);
  const first = meanEventCounts(firstRuns);
  const types = [...new Set<HistoryEventType>([...product.keys(), ...minimal.keys(), ...first.keys()])].sort();
  console.log(`\nevents per run by type (mean): refresh-cycle runs vs the minimal cycle; first runs (${firstRuns.length}) for reference`);
  console.log(
    textTable(
      ['event', 'product cycle', 'minimal cycle', 'extra', 'first run'],
      [
        ...types.map((type) => {
          const p = product.get(type) ?? 0;
          const m = minimal.get(type) ?? 0;
          return [type, fixed(p, 2), fixed(m, 2), p === m ? '' : `${p > m ? '+' : ''}${fixed(p - m, 2)}`, fixed(first.get(type) ?? 0, 2)];
        }),
        ['total', fixed(allCycles.mean, 2), fixed(baselineCycle.mean, 2), fixed(allCycles.mean - baselineCycle.mean, 2), fixed(summarize(firstRuns.map((r) => r.historyLength)).mean, 2)],
      ],
    ),
  );

  console.log('\nwall time (informational; the minimal cycle runs the same number of workflows, horizon and steps, with no-op activities):');
  const wallLine = (label: string, m: MeasuredCohort, rows: WalletRow[], simulated: { amount: number; unit: string }) => {
    const total = totalRow('', rows);
    const lifeS = m.cohort.lifeWallMs / 1000;
    const perCycle = total.refreshes === 0 ? Number.NaN : m.cohort.lifeWallMs / total.refreshes;
    const baselinePerCycle = m.baseline.wallMs / m.baseline.cycles;
    console.log(
      `  ${label}: link ${fixed(m.cohort.linkWallMs, 0)} ms for ${m.cohort.customers.length} customers (${fixed(m.cohort.linkWallMs / Math.max(1, m.cohort.customers.length), 1)} ms each); ` +
        `life ${fixed(m.cohort.lifeWallMs, 0)} ms → ${fixed(simulated.amount / lifeS, 2)} simulated ${simulated.unit}/s, ` +
        `${fixed((simulated.amount * m.cohort.customers.length) / lifeS, 2)} customer-${simulated.unit}/s, ` +
        `${fixed(perCycle, 2)} ms per refresh cycle\n` +
        `  ${' '.repeat(label.length)}  minimal cycle: ${fixed(m.baseline.wallMs, 0)} ms for ${m.baseline.cycles} cycles (${fixed(baselinePerCycle, 2)} ms/cycle) · ` +
        `product/minimal: life ${fixed(m.cohort.lifeWallMs / m.baseline.wallMs, 2)}×, per cycle ${fixed(perCycle / baselinePerCycle, 2)}×`,
    );
  };
  wallLine(`${opts.customers} customers × ${opts.years} y`, long, longRows, { amount: opts.years, unit: 'years' });
  if (short) wallLine(`${opts.shortCustomers} × ${SHORT_LIVED_TEST_WALLET} × ${opts.shortHours} h`, short, shortRows, { amount: opts.shortHours, unit: 'hours' });
}

/** Server figures per wallet next to the offline estimate of the same wallet (measured above in this run). */
function reportServer(opts: Options, server: ServerLifecycleResult, offlineRows: WalletRow[], offlineBaseline: BaselineResult): void {
  // Years each server customer lived: the horizon plus the skip that lets the baseline finish its last cycle.
  const lifeYears = server.lifeMs / YEAR;
  const customerYears = (wallet: string) => server.customers.filter((c) => c.wallet === wallet).length * lifeYears;
  const serverCycle = (runs: ServerRun[]) => runs.filter((r) => isServerCycleRun(r, 'applyToken', 'projectToken'));
  // Every baseline run but the last is a steady-state cycle, the first one included (it has no linking).
  const serverBaselineCycles = server.baseline.filter((r) => isServerCycleRun(r, 'minimalRefresh', 'minimalProject', false));
  const sb = { events: summarize(serverBaselineCycles.map((r) => r.events)), bytes: summarize(serverBaselineCycles.map((r) => r.bytes)) };
  const ob = summarize(offlineBaseline.cycleRuns.map((r) => r.historyLength));
  const rows: string[][] = [];
  const all: ServerRun[] = [];
  for (const wallet of opts.wallets) {
    const runs = server.customers.filter((c) => c.wallet === wallet).flatMap((c) => server.product.get(c.workflowId) ?? []);
    all.push(...runs);
    const cycles = serverCycle(runs);
    const ev = summarize(cycles.map((r) => r.events));
    const bytes = summarize(cycles.map((r) => r.bytes));
    const firstRuns = server.customers.filter((c) => c.wallet === wallet).map((c) => server.product.get(c.workflowId)?.[0]).filter((r): r is ServerRun => r !== undefined);
    const offline = offlineRows.find((r) => r.label === wallet);
    const offlineCycle = summarize(offline?.cycleRuns.map((r) => r.historyLength) ?? []);
    const years = customerYears(wallet);
    rows.push([
      `lifecycle.server ${wallet}`,
      String(runs.length),
      String(cycles.length),
      fixed(offlineCycle.mean),
      fixed(ev.mean),
      fixed(bytes.mean, 0),
      fixed(summarize(firstRuns.map((r) => r.events)).mean, 0),
      fixed(summarize(firstRuns.map((r) => r.bytes)).mean, 0),
      fixed(runs.reduce((s, r) => s + r.events, 0) / years, 1),
      fixed(runs.reduce((s, r) => s + r.bytes, 0) / years, 0),
      String(server.customers.filter((c) => c.wallet === wallet).reduce((s, c) => s + c.relinks, 0)),
    ]);
  }
  const allCycles = serverCycle(all);
  const totalYears = server.customers.length * lifeYears;
  const allEv = summarize(allCycles.map((r) => r.events));
  const allBytes = summarize(allCycles.map((r) => r.bytes));
  const offlineAll = summarize(offlineRows.flatMap((r) => r.cycleRuns).map((r) => r.historyLength));
  rows.push([
    'lifecycle.server TOTAL', String(all.length), String(allCycles.length), fixed(offlineAll.mean), fixed(allEv.mean), fixed(allBytes.mean, 0), '', '',
    fixed(all.reduce((s, r) => s + r.events, 0) / totalYears, 1), fixed(all.reduce((s, r) => s + r.bytes, 0) / totalYears, 0),
    String(server.customers.reduce((s, c) => s + c.relinks, 0)),
  ]);
  rows.push(['lifecycle.server minimal cycle', String(server.baseline.length), String(serverBaselineCycles.length), fixed(ob.mean), fixed(sb.events.mean), fixed(sb.bytes.mean, 0), '—', '—', '—', '—', '—']);
  rows.push(['lifecycle.server ratio product/minimal', '', '', fixed(offlineAll.mean / ob.mean, 2), fixed(allEv.mean / sb.events.mean, 2), fixed(allBytes.mean / sb.bytes.mean, 2), '', '', '', '', '']);
  console.log(
    textTable(
      ['line', 'runs', 'cycle runs', 'offline ev/cycle', 'server ev/cycle', 'server bytes/cycle', 'first run ev', 'first run bytes', 'server ev/cust-year', 'server bytes/cust-year', 'relinks'],
      rows,
    ),
  );
  console.log(
    `(server: events and bytes of each run's history as GetWorkflowExecutionHistory returns it (protobuf, payloads encrypted); ` +
      `offline: the environment's event estimate for the same wallet from the offline part above; ${fixed(lifeYears, 2)} simulated years per customer; wall time on the server ${fixed(server.wallMs / 1000, 1)} s; ` +
      `final states: ${server.customers.map((c) => `${c.wallet} ${c.finalState}`).join(', ')})`,
  );
  // Where offline and server differ, by event type (means over cycle runs).
  const serverTypes = new Map<string, number>();
  for (const run of allCycles) for (const type of run.eventTypes) serverTypes.set(type, (serverTypes.get(type) ?? 0) + 1 / allCycles.length);
  const offlineTypes = meanEventCounts(offlineRows.flatMap((r) => r.cycleRuns));
  const names = new Set<string>([...serverTypes.keys(), ...[...offlineTypes.keys()].map(String)]);
  const diffs = [...names].sort().map((type) => [type, fixed(offlineTypes.get(type as HistoryEventType) ?? 0, 2), fixed(serverTypes.get(type) ?? 0, 2)]).filter((row) => row[1] !== row[2]);
  if (diffs.length > 0) {
    console.log('\nevent types per refresh-cycle run where offline and server differ (mean):');
    console.log(textTable(['event', 'offline', 'server'], diffs));
  } else {
    console.log('\nevent types per refresh-cycle run: offline and server agree type by type');
  }
}

/** One cycle run and one first run, event by event (types and details only: payloads never appear in events). */
function trace(rows: WalletRow[]): void {
  const cycleRun = rows.flatMap((r) => r.cycleRuns)[0];
  const firstRun = rows.flatMap((r) => r.firstRuns).find((run) => run.status === 'CONTINUED_AS_NEW') ?? rows.flatMap((r) => r.firstRuns)[0];
  for (const [title, run] of [['a refresh-cycle run', cycleRun], ['a first run', firstRun]] as const) {
    if (!run) continue;
    console.log(`\n${title} (${run.workflowId}, ${run.status}, ${run.historyLength} events):`);
    for (const event of run.events) console.log(`  ${String(event.eventId).padStart(3)} ${event.type}${event.detail ? ` — ${event.detail}` : ''}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
