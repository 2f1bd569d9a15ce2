/**
 * The baselines of `npm run bench:e2e` and `bench:storm`, bundled for their own worker on the same dev server as the
 * product: the least a link and a refresh cycle can cost on the engine.
 *
 *   minimalLink     started by update-with-start like the product's link; its update handler runs as many activities
 *                   as the product's link ran before it answered (no-ops returning a URL), and the workflow starts as
 *                   many timers as the product's had started by then. It then waits (cached by the worker, like an
 *                   authorization asleep until its refresh) until the benchmark terminates it.
 *   minimalRefreshCycle  timer → refresh → projection → continue-as-new (bench/support/minimalCycleWorkflow.ts).
 */
import { condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export { minimalRefreshCycle } from './minimalCycleWorkflow';

export interface MinimalLinkActivities {
  minimalConsult(input: { step: number }): Promise<{ url: string }>;
}

export interface MinimalLinkInput {
  /** Activities the link update runs before answering (the product's count, measured in the same run). */
  activities: number;
  /** Timers the workflow starts (the product's count), each `timerMs` long. */
  timers: number;
  timerMs: number;
}

export const minimalLinkUpdate = defineUpdate<{ url: string }>('minimalLink');

const { minimalConsult } = proxyActivities<MinimalLinkActivities>({ startToCloseTimeout: '30 seconds' });

export async function minimalLink(input: MinimalLinkInput): Promise<void> {
  let answered = false;
  setHandler(minimalLinkUpdate, async () => {
    let url = '';
    for (let step = 0; step < input.activities; step++) url = (await minimalConsult({ step })).url;
    answered = true;
    return { url };
  });
  const timers = Array.from({ length: input.timers }, () => sleep(input.timerMs));
  await condition(() => answered);
  await Promise.all(timers);
}
