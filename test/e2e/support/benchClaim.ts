/**
 * What `npm run bench:lifecycle` claims about history length, computed the way it computes it: the bench's own rig
 * (bench/support/lifecycleRig.ts: the real workflow on the offline environment, the real activities, sandbox and
 * Redis), the same wallet policy, and the bench's classifier of refresh-cycle runs (bench/support/historyStats.ts).
 * Its figure is "history events per refresh-cycle run as Temporal counts them" — the offline environment's model of
 * the server; the end-to-end test holds it against the real server's histories.
 */
import { isRefreshCycleRun, PRODUCT_CYCLE } from '../../../bench/support/historyStats';
import { LifecycleRig } from '../../../bench/support/lifecycleRig';
import type { WalletPolicy } from '../../../src/sandbox';

export interface BenchHistoryClaim {
  /** History length of each refresh-cycle run (the bench's "ev/cycle" column), in order. */
  cycleRunLengths: number[];
  /** History length of the first run (link → consult → authCode → applyToken → first refresh). */
  firstRunLength: number;
}

export async function benchHistoryClaim(wallet: string, policy: WalletPolicy, cycleRuns = 3): Promise<BenchHistoryClaim> {
  const rig = await LifecycleRig.create({ startTimeMs: Date.UTC(2026, 0, 1) });
  try {
    rig.sandbox.admin.setWalletPolicy(wallet, policy);
    const customer = await rig.activate(wallet, 'bench-claim-1');
    const step = Math.max(1000, Math.floor(policy.accessTokenLifetimeMs / 8));
    for (let i = 0; i < 1000; i++) {
      const runs = rig.env.runs(customer.workflowId);
      if (runs.filter((run) => isRefreshCycleRun(run, PRODUCT_CYCLE)).length >= cycleRuns) break;
      await rig.env.sleep(step);
      await rig.env.runUntilIdle();
    }
    const runs = rig.env.runs(customer.workflowId);
    return {
      cycleRunLengths: runs.filter((run) => isRefreshCycleRun(run, PRODUCT_CYCLE)).map((run) => run.historyLength),
      firstRunLength: runs[0]!.historyLength,
    };
  } finally {
    await rig.close();
  }
}
