/**
 * `npm run bench:storm` — a refresh storm on the real engine (bench/support/serviceRig.ts: own dev server, the
 * product worker from src/worker.ts with the shared Redis rate limiter, the API, the sandbox, Redis under a unique
 * prefix): N authorizations due in the same minute while the sandbox answers REQUEST_TRAFFIC_EXCEED_LIMIT above Q
 * refresh calls per second (a sliding one-second window, src/sandbox/faults.ts).
 *
 * Prints the total time (first due instant → last refreshed token) against N/Q — the baseline: the time a perfect
 * client sending exactly Q/s needs — the number of REQUEST_TRAFFIC_EXCEED_LIMIT answers, the calls made per refreshed
 * token, and the most refresh calls the sandbox received in any one-second window. Goal: ≤ 1.1 × N/Q with 0
 * rate-limit answers. It reports; it never fails on timing (exit 1 only when an authorization does not link, or a
 * refresh is not done within a generous bound).
 *
 * How N authorizations come to be due in the same minute: they are linked through the library (AuthorizationClient)
 * on SANDBOX_SHORT, made to issue 2-hour tokens, each with a per-authorization policy (shortLivedRefreshFraction,
 * jitterMaxMs 0) that puts its planned refresh at an instant spread evenly over one minute [T0, T0 + 60 s], T0 being
 * after the last link is expected ACTIVE (estimated from a probe of P links first). The due instants printed are the
 * workflows' own nextRefreshAt. Before T0 the wallet is switched to 2-year tokens, so a refreshed token's next
 * refresh is far away and each authorization refreshes exactly once in the measurement.
 *
 * Options: --n N (2000) --q Q (20: the sandbox's limit) --limit L (product ANTOM_RATE_LIMIT_RPS; default Q)
 *          --probe P (60) --link-concurrency C (16) --spread-seconds S (60)
 */
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { AuthorizationClient } from '../src/client';
import { SHORT_LIVED_TEST_WALLET, type ReceivedRequest } from '../src/sandbox';
import { fetchRetrying, percentile, ServiceRig, sleepMs } from './support/serviceRig';
import { fixed, textTable } from './support/textTable';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const FIRST_LIFE_MS = 2 * HOUR;

interface Options {
  n: number;
  q: number;
  limit: number;
  probe: number;
  linkConcurrency: number;
  spreadSeconds: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '2000' },
      q: { type: 'string', default: '20' },
      limit: { type: 'string' },
      probe: { type: 'string', default: '60' },
      'link-concurrency': { type: 'string', default: '16' },
      'spread-seconds': { type: 'string', default: '60' },
    },
  });
  const n = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${text})`);
    return value;
  };
  const q = n('q', values.q, 1);
  return {
    n: Math.floor(n('n', values.n, 1)),
    q,
    limit: values.limit === undefined ? q : n('limit', values.limit, 0.1),
    probe: Math.floor(n('probe', values.probe, 1)),
    linkConcurrency: Math.floor(n('link-concurrency', values['link-concurrency'], 1)),
    spreadSeconds: n('spread-seconds', values['spread-seconds'], 1),
  };
}

const functionalErrors: string[] = [];

/** Collects the sandbox's received requests by sequence number (its log keeps the last 1,000). */
class RefreshLog {
  private lastSeq = 0;
  missed = 0;
  readonly refreshCalls: ReceivedRequest[] = [];

  constructor(private readonly rig: ServiceRig) {}

  collect(): void {
    const fresh = this.rig.sandbox.admin.requests().filter((r) => r.seq > this.lastSeq);
    if (fresh.length === 0) return;
    if (fresh[0]!.seq > this.lastSeq + 1) this.missed += fresh[0]!.seq - this.lastSeq - 1;
    this.lastSeq = fresh[fresh.length - 1]!.seq;
    for (const r of fresh) {
      if (r.endpoint === 'applyToken' && (r.body as { grantType?: string } | undefined)?.grantType === 'REFRESH_TOKEN') this.refreshCalls.push(r);
    }
  }
}

async function main(): Promise<void> {
  const opts = options();
  const startedAt = performance.now();
  const rig = await ServiceRig.start({
    rateLimitPerSecond: opts.limit,
    maxCachedWorkflows: opts.n + opts.probe + 100,
    walletPolicies: { [SHORT_LIVED_TEST_WALLET]: { accessTokenLifetimeMs: FIRST_LIFE_MS, refreshTokenLifetimeMs: DAY, rotateRefreshToken: true } },
  });
  const library = new AuthorizationClient({ workflowClient: rig.client.workflow, redis: rig.redis, keyRing: rig.keyRing, keyPrefix: rig.prefix, taskQueue: rig.taskQueue });
  const log = new RefreshLog(rig);
  const collector = setInterval(() => log.collect(), 100);
  try {
    console.log(
      `bench:storm — N ${opts.n}, sandbox limit Q ${opts.q}/s on applyToken, product ANTOM_RATE_LIMIT_RPS ${opts.limit}; own dev server ${rig.server.address}, ` +
        `one product worker; node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
    );

    // Link + approve + redirect → ACTIVE, for one customer.
    const linkAndActivate = async (wallet: string, customerId: string, policy?: Record<string, number>): Promise<void> => {
      const response = await library.link({
        wallet,
        customerId,
        profile: 'antom',
        consult: { authRedirectUrl: `${rig.apiUrl}/authorizations/return`, terminalType: 'WEB' },
        ...(policy ? { policy } : {}),
      });
      if (!response.link) throw new Error(`link ${wallet}/${customerId}: no consult result (${response.state})`);
      const approved = rig.sandbox.admin.approve({ authState: response.link.authState });
      const redirect = await fetchRetrying(approved.redirectUrl, { redirect: 'manual' });
      await redirect.arrayBuffer();
      for (let i = 0; i < 1200; i++) {
        const view = await library.getState(wallet, customerId);
        if (view.state === 'ACTIVE') return;
        if (view.state !== 'APPLYING_TOKEN' && view.state !== 'AWAITING_AUTH_CODE') throw new Error(`${wallet}/${customerId} reached ${view.state}`);
        await sleepMs(100);
      }
      throw new Error(`${wallet}/${customerId} not ACTIVE after 2 minutes`);
    };
    const pool = async (count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<number[]> => {
      let next = 0;
      const latencies: number[] = [];
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < count) {
          const i = next++;
          const t0 = performance.now();
          try {
            await work(i);
          } catch (error) {
            functionalErrors.push((error as Error).message);
          }
          latencies.push(performance.now() - t0);
        }
      }));
      return latencies.sort((a, b) => a - b);
    };

    // Probe: how fast this machine links (those authorizations stay ACTIVE on a 2-year wallet, outside the storm).
    const probeStart = performance.now();
    const probeLatencies = await pool(opts.probe, opts.linkConcurrency, (i) => linkAndActivate('GCASH', `probe-${i}`));
    const linkRate = opts.probe / ((performance.now() - probeStart) / 1000);
    const estimatedLinkMs = (opts.n / linkRate) * 1000;
    const t0 = Date.now() + estimatedLinkMs * 1.35 + 30_000;
    const spreadMs = opts.spreadSeconds * 1000;
    console.log(
      `probe: ${opts.probe} links to ACTIVE at ${fixed(linkRate, 1)}/s (p50 ${fixed(percentile(probeLatencies, 0.5) / 1000, 1)} s) → ` +
        `${opts.n} storm links expected in ${fixed(estimatedLinkMs / 1000, 0)} s; due window planned at +${fixed((t0 - Date.now()) / 1000, 0)} s for ${opts.spreadSeconds} s`,
    );

    // The storm's authorizations: each planned refresh at T0 + (i / N) × spread (order shuffled by a stride).
    const stride = 7919;
    const linkStart = performance.now();
    let late = 0;
    await pool(opts.n, opts.linkConcurrency, async (i) => {
      const slot = (i * stride) % opts.n;
      const dueAt = t0 + (slot / opts.n) * spreadMs;
      // issuedAt ≈ now + the activation's own latency (p50 of the probe).
      const offset = dueAt - (Date.now() + percentile(probeLatencies, 0.5));
      if (offset <= 1000) {
        late += 1;
        throw new Error(`storm link ${i} came after its planned refresh (linking slower than the probe said; lower --n)`);
      }
      await linkAndActivate(SHORT_LIVED_TEST_WALLET, `storm-${i}`, { shortLivedRefreshFraction: offset / FIRST_LIFE_MS, jitterMaxMs: 0 });
    });
    const linkSeconds = (performance.now() - linkStart) / 1000;
    // Refreshed tokens live 2 years: their next refresh is far outside the measurement.
    rig.sandbox.admin.setWalletPolicy(SHORT_LIVED_TEST_WALLET, { accessTokenLifetimeMs: 2 * YEAR, refreshTokenLifetimeMs: 2 * YEAR, rotateRefreshToken: true });

    // The due instants as the workflows planned them.
    const due: number[] = [];
    for (let i = 0; i < opts.n; i++) {
      const view = await library.getState(SHORT_LIVED_TEST_WALLET, `storm-${i}`).catch(() => undefined);
      if (view?.state === 'ACTIVE' && view.nextRefreshAt) due.push(Date.parse(view.nextRefreshAt));
    }
    due.sort((a, b) => a - b);
    const stormN = due.length;
    if (stormN === 0) throw new Error('no authorization is waiting for its refresh');
    const firstDue = due[0]!;
    const lastDue = due[due.length - 1]!;
    console.log(
      `linked ${stormN}/${opts.n} storm authorizations in ${fixed(linkSeconds, 0)} s (${late} too late); due from +${fixed((firstDue - Date.now()) / 1000, 0)} s, ` +
        `spread ${fixed((lastDue - firstDue) / 1000, 1)} s\n`,
    );

    // The storm: the sandbox limits applyToken to Q/s from now on.
    rig.sandbox.admin.setRateLimit({ endpoint: 'applyToken', requestsPerSecond: opts.q });
    const idealMs = (stormN / opts.q) * 1000;
    const boundMs = Math.max(5 * idealMs, 120_000) + (firstDue - Date.now());
    const waitStart = Date.now();
    const issued = () => log.refreshCalls.filter((r) => r.resultStatus === 'S').length;
    while (issued() < stormN && Date.now() - waitStart < boundMs) await sleepMs(250);
    await sleepMs(500);
    log.collect();
    const calls = log.refreshCalls;
    const ok = calls.filter((r) => r.resultStatus === 'S');
    const limited = calls.filter((r) => r.resultCode === 'REQUEST_TRAFFIC_EXCEED_LIMIT');
    const otherNotS = calls.filter((r) => r.resultStatus !== 'S' && r.resultCode !== 'REQUEST_TRAFFIC_EXCEED_LIMIT');
    if (ok.length < stormN) functionalErrors.push(`only ${ok.length} of ${stormN} tokens refreshed within ${fixed(boundMs / 1000, 0)} s`);
    const lastOk = ok.length > 0 ? Math.max(...ok.map((r) => r.at)) : Number.NaN;
    const firstCall = calls.length > 0 ? Math.min(...calls.map((r) => r.at)) : Number.NaN;
    const totalMs = lastOk - firstDue;
    // The most calls in any one-second window (sliding, as the sandbox counts).
    const arrivals = calls.map((r) => r.at).sort((a, b) => a - b);
    let maxWindow = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i]! - arrivals[j]! >= 1000) j++;
      maxWindow = Math.max(maxWindow, i - j + 1);
    }
    const states = new Map<string, number>();
    for (let i = 0; i < opts.n; i++) {
      const state = (await library.getState(SHORT_LIVED_TEST_WALLET, `storm-${i}`).catch(() => undefined))?.state ?? 'missing';
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    if (log.missed > 0) console.log(`warning: ${log.missed} sandbox requests fell out of its log before being counted; call counts are low`);

    console.log(
      textTable(
        ['line', 'value'],
        [
          ['storm.n (authorizations due)', String(stormN)],
          ['storm.due-spread s', fixed((lastDue - firstDue) / 1000, 1)],
          ['storm.baseline N/Q s', fixed(idealMs / 1000, 1)],
          ['storm.total s (first due → last token)', fixed(totalMs / 1000, 1)],
          ['storm.ratio total/(N/Q)  (goal ≤ 1.10)', fixed(totalMs / idealMs, 3)],
          ['storm.drain s (first call → last token)', fixed((lastOk - firstCall) / 1000, 1)],
          ['storm.refresh calls', String(calls.length)],
          ['storm.tokens refreshed (S)', String(ok.length)],
          ['storm.REQUEST_TRAFFIC_EXCEED_LIMIT answers  (goal 0)', String(limited.length)],
          ['storm.other non-S answers', String(otherNotS.length)],
          ['storm.calls per refreshed token', fixed(calls.length / Math.max(1, ok.length), 3)],
          ['storm.max calls in any 1 s window (sandbox limit Q)', `${maxWindow} (Q ${opts.q})`],
          ['storm.rate-limit answers in the first 5 s of the storm', String(limited.filter((r) => r.at - firstCall < 5000).length)],
          ['storm.states after', [...states.entries()].map(([s, c]) => `${s} ${c}`).join(', ')],
        ],
      ),
    );
    const goal = totalMs <= 1.1 * idealMs && limited.length === 0;
    console.log(`\ngoal (≤ 1.1 × N/Q and 0 rate-limit answers): ${goal ? 'met' : 'NOT met'} (informational)`);
    console.log(`total wall time ${fixed((performance.now() - startedAt) / 1000, 0)} s`);
  } finally {
    clearInterval(collector);
    await rig.close();
  }
  if (functionalErrors.length > 0) {
    console.error(`\nFUNCTIONAL ERRORS (${functionalErrors.length}):\n${[...new Set(functionalErrors)].slice(0, 20).map((e) => `  - ${e}`).join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
