/**
 * One small interface over the offline environment and Temporal's real time-skipping test server, so the same
 * scenario code runs on both: offline (the fast tier) and Temporal's time-skipping test server (the authority),
 * provisioned by scripts/provision-temporal.sh or given by TEMPORAL_TEST_SERVER_PATH.
 */
import { Client, type Connection, type WorkflowClient } from '@temporalio/client';
import type { DataConverter, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { locateTemporalBinary, missingBinaryMessage } from '../../src/temporalBinaries';
import { startDevServer } from './devServer';
import { OfflineWorkflowEnvironment } from './offlineEnvironment';
import type { OfflineWorkflowEnvironmentOptions } from './offlineEnvironment';
import { bundleWorkflowsOnce } from './workflowBundleCache';

/** The part of `WorkflowClient` scenarios use; both the real client and the offline one provide it. */
export type ScenarioWorkflowClient = Pick<
  WorkflowClient,
  'start' | 'execute' | 'signalWithStart' | 'executeUpdateWithStart' | 'startUpdateWithStart' | 'getHandle' | 'result'
>;

export type ScenarioEnvironmentKind = 'offline' | 'time-skipping server' | 'dev server';

export interface ScenarioEnvironment {
  readonly kind: ScenarioEnvironmentKind;
  readonly taskQueue: string;
  readonly client: { readonly workflow: ScenarioWorkflowClient };
  /** Current (virtual or skipped) time in ms since epoch. */
  now(): Promise<number>;
  /** Advance time by `ms` (time-skipping; on the dev server real time passes, so keep it short). */
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
  /**
   * Custom search attributes the workflows upsert, registered on the namespace as an operator (or `npm start`) would.
   * A server fails every workflow task that upserts an unregistered one; the offline environment does the same.
   */
  searchAttributes?: readonly { name: string; type: SearchAttributeType }[];
  /** Offline-only knobs (ignored on a server). */
  offline?: Omit<OfflineWorkflowEnvironmentOptions, 'workflowsPath' | 'activities' | 'taskQueue' | 'dataConverter'>;
}

export type ServerAvailability =
  | { available: true; executable: { type: 'existing-path'; path: string } }
  | { available: false; reason: string };

/**
 * TEMPORAL_TEST_SERVER_PATH, else the binary `npm test`'s pretest provisioned into .temporal/bin. There is no skip:
 * without a binary the server variants fail with the line that says how to install it.
 */
export function timeSkippingServerAvailability(): ServerAvailability {
  const located = locateTemporalBinary('test-server');
  return located
    ? { available: true, executable: { type: 'existing-path', path: located.path } }
    : { available: false, reason: missingBinaryMessage('test-server') };
}

export async function createOfflineScenarioEnvironment(options: ScenarioOptions): Promise<ScenarioEnvironment> {
  const env = await OfflineWorkflowEnvironment.create({
    ...options.offline,
    workflowsPath: options.workflowsPath,
    ...(options.activities ? { activities: options.activities } : {}),
    ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.searchAttributes ? { searchAttributes: options.searchAttributes } : {}),
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
  // The test server implements AddSearchAttributes (not List): register once per (fresh) server.
  const worker = await registerAndStartWorker(testEnv.connection, testEnv.nativeConnection, testEnv.namespace ?? 'default', taskQueue, options);
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

/**
 * The real Temporal dev server (the same server as production, SQLite in memory) with a real Worker: real time, so
 * only for short scenarios — the authority where the Java time-skipping server differs (test/support/README.md).
 */
export async function createDevServerScenarioEnvironment(options: ScenarioOptions): Promise<ScenarioEnvironment> {
  const server = await startDevServer({ searchAttributes: false });
  const taskQueue = options.taskQueue ?? 'offline-test';
  const client = new Client({ connection: server.env.connection, namespace: server.namespace, ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) });
  const worker = await registerAndStartWorker(server.env.connection, server.env.nativeConnection, server.namespace, taskQueue, options);
  const running = worker.run();
  return {
    kind: 'dev server',
    taskQueue,
    client,
    now: async () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    teardown: async () => {
      worker.shutdown();
      await running;
      await server.teardown();
    },
    offline: undefined,
  };
}

/** Registers the scenario's search attributes on the server's namespace, then creates a Worker on the bundle. */
async function registerAndStartWorker(
  connection: Connection,
  nativeConnection: NativeConnection,
  namespace: string,
  taskQueue: string,
  options: ScenarioOptions,
): Promise<Worker> {
  if (options.searchAttributes?.length) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        options.searchAttributes.map(({ name, type }) => [name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${type}`]]),
      ),
    });
  }
  const bundle = await bundleWorkflowsOnce(options.workflowsPath);
  return Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundle: { code: bundle.code },
    ...(options.activities ? { activities: options.activities } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
}
