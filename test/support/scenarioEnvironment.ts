/**
 * One small interface over the offline environment and Temporal's real time-skipping test server, so the same
 * scenario code runs on both: offline always (CI), on the server wherever one can be had
 * (TEMPORAL_TEST_SERVER_PATH, or the SDK's download when temporal.download is reachable).
 */
import { execFileSync } from 'node:child_process';
import type { WorkflowClient } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { OfflineWorkflowEnvironment } from './offlineEnvironment';
import type { OfflineWorkflowEnvironmentOptions } from './offlineEnvironment';
import { bundleWorkflowsOnce } from './workflowBundleCache';

/** The part of `WorkflowClient` scenarios use; both the real client and the offline one provide it. */
export type ScenarioWorkflowClient = Pick<
  WorkflowClient,
  'start' | 'execute' | 'signalWithStart' | 'executeUpdateWithStart' | 'startUpdateWithStart' | 'getHandle' | 'result'
>;

export type ScenarioEnvironmentKind = 'offline' | 'time-skipping server';

export interface ScenarioEnvironment {
  readonly kind: ScenarioEnvironmentKind;
  readonly taskQueue: string;
  readonly client: { readonly workflow: ScenarioWorkflowClient };
  /** Current (virtual or skipped) time in ms since epoch. */
  now(): Promise<number>;
  /** Advance time by `ms` (time-skipping). */
  sleep(ms: number): Promise<void>;
  teardown(): Promise<void>;
  /** Present on the offline kind: the run logs, determinism replay, history estimates. */
  readonly offline: OfflineWorkflowEnvironment | undefined;
}

export interface ScenarioOptions {
  workflowsPath: string;
  activities?: object;
  taskQueue?: string;
  dataConverter?: DataConverter;
  /** Offline-only knobs (ignored on a server). */
  offline?: Omit<OfflineWorkflowEnvironmentOptions, 'workflowsPath' | 'activities' | 'taskQueue' | 'dataConverter'>;
}

export type ServerAvailability =
  | { available: true; executable: { type: 'existing-path'; path: string } | { type: 'cached-download' } }
  | { available: false; reason: string };

let availability: ServerAvailability | undefined;

/**
 * Decided synchronously (ava registers tests synchronously) and once per process: an explicit server binary, else
 * the SDK download if its host resolves, else unavailable with the reason. TEMPORAL_TEST_SERVER_DOWNLOAD=0 skips
 * the download probe.
 */
export function timeSkippingServerAvailability(): ServerAvailability {
  if (availability) return availability;
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (path) {
    availability = { available: true, executable: { type: 'existing-path', path } };
  } else if (process.env.TEMPORAL_TEST_SERVER_DOWNLOAD === '0') {
    availability = { available: false, reason: 'TEMPORAL_TEST_SERVER_PATH is not set and TEMPORAL_TEST_SERVER_DOWNLOAD=0' };
  } else {
    try {
      // A DNS lookup in a child process keeps this synchronous and bounded; offline machines fail in milliseconds.
      execFileSync(process.execPath, ['-e', "require('node:dns').lookup('temporal.download', (e) => process.exit(e ? 1 : 0))"], {
        timeout: 3000,
        stdio: 'ignore',
      });
      availability = { available: true, executable: { type: 'cached-download' } };
    } catch {
      availability = {
        available: false,
        reason: 'TEMPORAL_TEST_SERVER_PATH is not set and temporal.download is unreachable (no download possible)',
      };
    }
  }
  return availability;
}

export async function createOfflineScenarioEnvironment(options: ScenarioOptions): Promise<ScenarioEnvironment> {
  const env = await OfflineWorkflowEnvironment.create({
    ...options.offline,
    workflowsPath: options.workflowsPath,
    ...(options.activities ? { activities: options.activities } : {}),
    ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  return {
    kind: 'offline',
    taskQueue: env.taskQueue,
    client: env.client,
    now: async () => env.now(),
    sleep: (ms) => env.sleep(ms),
    teardown: () => env.teardown(),
    offline: env,
  };
}

export async function createServerScenarioEnvironment(options: ScenarioOptions): Promise<ScenarioEnvironment> {
  const server = timeSkippingServerAvailability();
  if (!server.available) throw new Error(`No time-skipping server: ${server.reason}`);
  const taskQueue = options.taskQueue ?? 'offline-test';
  const testEnv = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: server.executable },
    ...(options.dataConverter ? { client: { dataConverter: options.dataConverter } } : {}),
  });
  const bundle = await bundleWorkflowsOnce(options.workflowsPath);
  const worker = await Worker.create({
    connection: testEnv.nativeConnection,
    namespace: testEnv.namespace ?? 'default',
    taskQueue,
    workflowBundle: { code: bundle.code },
    ...(options.activities ? { activities: options.activities } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  const running = worker.run();
  return {
    kind: 'time-skipping server',
    taskQueue,
    client: testEnv.client,
    now: () => testEnv.currentTimeMs(),
    sleep: (ms) => testEnv.sleep(ms),
    teardown: async () => {
      worker.shutdown();
      await running;
      await testEnv.teardown();
    },
    offline: undefined,
  };
}
