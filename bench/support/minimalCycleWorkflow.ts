/**
 * The baseline of `npm run bench:lifecycle`: the least a refresh cycle can cost in history, as Temporal counts it —
 * one timer, one refresh activity, one projection activity, continue-as-new. No handlers, no search attributes, no
 * state machine. The product's events per cycle are printed as a ratio to this workflow's, measured in the same run.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';

/** The two activities a cycle needs; the benchmark registers trivial in-process implementations. */
export interface MinimalCycleActivities {
  minimalRefresh(input: { cycle: number; tokenVersion: number }): Promise<{ tokenVersion: number; expiresAt: number }>;
  minimalProject(input: { tokenVersion: number; expiresAt: number }): Promise<void>;
}

const { minimalRefresh, minimalProject } = proxyActivities<MinimalCycleActivities>({ startToCloseTimeout: '30 seconds' });

export interface MinimalCycleInput {
  cycle: number;
  /** Cycles to run in total; the last run completes instead of continuing as new. */
  cycles: number;
  periodMs: number;
  tokenVersion: number;
}

export async function minimalRefreshCycle(input: MinimalCycleInput): Promise<number> {
  await sleep(input.periodMs);
  const token = await minimalRefresh({ cycle: input.cycle, tokenVersion: input.tokenVersion });
  await minimalProject(token);
  const done = input.cycle + 1;
  if (done >= input.cycles) return done;
  return continueAsNew<typeof minimalRefreshCycle>({ ...input, cycle: done, tokenVersion: token.tokenVersion });
}
