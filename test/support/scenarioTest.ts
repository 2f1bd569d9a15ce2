/**
 * Registers one ava test per environment for a scenario: offline and on the time-skipping server, and with
 * `{ devServer: true }` on the real dev server too.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import {
  createOfflineScenarioEnvironment,
  createDevServerScenarioEnvironment,
  createServerScenarioEnvironment,
  timeSkippingServerAvailability,
} from './scenarioEnvironment';
import type { ScenarioEnvironment, ScenarioOptions } from './scenarioEnvironment';

export type ScenarioBody<C> = (t: ExecutionContext, env: ScenarioEnvironment, context: C) => Promise<void>;

/**
 * `setup` runs once per environment so each gets fresh activity state; its `context` (e.g. the activities' call
 * log) is handed to the body.
 */
export function scenario<C>(
  title: string,
  setup: () => { options: ScenarioOptions; context: C },
  body: ScenarioBody<C>,
  variants: { devServer?: boolean } = {},
): void {
  const run = (create: (o: ScenarioOptions) => Promise<ScenarioEnvironment>) => async (t: ExecutionContext) => {
    const { options, context } = setup();
    const env = await create(options);
    try {
      await body(t, env, context);
      // Every offline scenario doubles as a determinism check of the workflows it ran.
      await env.offline?.assertDeterministic();
    } finally {
      await env.teardown();
    }
  };
  test(`${title} [offline]`, run(createOfflineScenarioEnvironment));
  // Always registered and run: without a server binary the variant fails and says how to install one.
  test.serial(`${title} [time-skipping server]`, async (t) => {
    const server = timeSkippingServerAvailability();
    if (!server.available) return t.fail(server.reason);
    return run(createServerScenarioEnvironment)(t);
  });
  // Real time: only for short scenarios that check the authority where the time-skipping server differs.
  if (variants.devServer) test.serial(`${title} [dev server]`, run(createDevServerScenarioEnvironment));
}
