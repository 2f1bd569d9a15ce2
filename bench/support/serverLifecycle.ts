/**
 * The lifecycle benchmark's second engine: Temporal's time-skipping test server (the provisioned
 * .temporal/bin/temporal-test-server or TEMPORAL_TEST_SERVER_PATH, started as the scenario tests start it:
 * test/support/scenarioEnvironment.ts) with a real Worker on the same bundle (product + minimal cycle), the real
 * activities against the real sandbox following the server's skipped-to time, a real Redis under a unique prefix.
 *
 * After the simulated years it reads every run of every workflow back from the server (following
 * continuedExecutionRunId from the latest run) and measures what the server recorded: events per run and history
 * bytes per run (the run's History message, protobuf-encoded, as GetWorkflowExecutionHistory returns it: payloads
 * encrypted by the codec, as stored).
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Redis } from 'ioredis';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { createLogger } from '../../src/logger';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';
import {
  SEARCH_ATTRIBUTES,
  WORKFLOW_TYPE,
  authorizationStaticSummary,
  authorizationWorkflowId,
  deliverAuthCodeUpdate,
  linkUpdate,
  publicStateQuery,
  type AuthorizationInput,
  type AuthorizationView,
  type LinkResponse,
} from '../../src/workflows/definitions';
import { merchantKeys } from '../../test/support/fixtureKeys';
import { createServerScenarioEnvironment, type ScenarioEnvironment } from '../../test/support/scenarioEnvironment';
import { createScenarioActivities } from '../../test/workflows/scenarios/activitiesWiring';
import type { MinimalCycleActivities, MinimalCycleInput } from './minimalCycleWorkflow';

const MERCHANT_CLIENT_ID = 'SANDBOX_BENCH_LIFECYCLE_SERVER';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EventType = temporal.api.enums.v1.EventType;

/** One run as the server recorded it. */
export interface ServerRun {
  workflowId: string;
  runId: string;
  /** The closing event: CONTINUED_AS_NEW, COMPLETED, … or RUNNING. */
  status: string;
  continuedFrom: string | undefined;
  events: number;
  bytes: number;
  activityTypes: string[];
  eventTypes: string[];
}

export interface ServerLifecycleOptions {
  wallets: string[];
  customersPerWallet: number;
  horizonMs: number;
  stepMs: number;
  baselineWorkflows: number;
  baselinePeriodMs: number;
  relink: boolean;
}

export interface ServerLifecycleResult {
  product: Map<string, ServerRun[]>;
  baseline: ServerRun[];
  customers: Array<{ wallet: string; workflowId: string; relinks: number; finalState: string }>;
  /** Server time from the first link to the end (the horizon plus the baseline's last cycle): the life measured. */
  lifeMs: number;
  wallMs: number;
  errors: string[];
}

export function isServerCycleRun(run: ServerRun, refresh: string, projection: string, requireContinuedFrom = true): boolean {
  if (run.status !== 'CONTINUED_AS_NEW' || (requireContinuedFrom && run.continuedFrom === undefined)) return false;
  return [...run.activityTypes].sort().join('|') === [refresh, projection].sort().join('|');
}

export async function runOnTimeSkippingServer(options: ServerLifecycleOptions): Promise<ServerLifecycleResult> {
  const started = performance.now();
  const errors: string[] = [];
  const keyRing = parseKeyRingSpec(`bench-k1:${generateEncryptionKey()}`);
  const keyPrefix = `bench:lifecycle-server:${randomUUID()}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  // The server's clock as last seen: by the driver after each skip, by each activity attempt's scheduled time.
  let serverNowMs = Date.now();
  let sandbox: RunningSandbox | undefined;
  let env: ScenarioEnvironment | undefined;
  try {
    sandbox = await startSandbox({
      clock: { now: () => serverNowMs },
      requestTimeWindowMs: null,
      merchants: [{ clientId: MERCHANT_CLIENT_ID, publicKey: merchantKeys.publicKey }],
    });
    const running = sandbox;
    const product = createScenarioActivities({
      sandboxUrl: () => running.url,
      sandboxPublicKey: () => running.publicKey,
      clientId: MERCHANT_CLIENT_ID,
      merchantPrivateKey: merchantKeys.privateKey,
      redis: () => redis,
      keyPrefix,
      clock: () => serverNowMs,
      logger: createLogger({ level: 'silent', name: 'bench-lifecycle-server' }),
      encryptionKeyRing: keyRing,
    });
    const followServerClock = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
      if (scheduled > serverNowMs) serverNowMs = scheduled;
      return fn(...args);
    };
    const baseline: MinimalCycleActivities = {
      minimalRefresh: async ({ tokenVersion }) => ({ tokenVersion: tokenVersion + 1, expiresAt: serverNowMs }),
      minimalProject: async () => undefined,
    };
    env = await createServerScenarioEnvironment({
      workflowsPath: require.resolve('./benchWorkflows'),
      taskQueue: 'bench-lifecycle',
      activities: {
        consult: followServerClock(product.consult),
        applyToken: followServerClock(product.applyToken),
        revoke: followServerClock(product.revoke),
        projectToken: followServerClock(product.projectToken),
        removeProjection: followServerClock(product.removeProjection),
        ...baseline,
      },
      dataConverter: createEncryptingDataConverter(keyRing),
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    });
    const scenario = env;
    const client = scenario.client.workflow;
    serverNowMs = await scenario.now();
    const skip = async (ms: number) => {
      await scenario.sleep(ms);
      serverNowMs = Math.max(serverNowMs, await scenario.now());
    };

    // Baseline first: the minimal cycle at a long-lived wallet's pace over the same horizon.
    const cycles = Math.max(2, Math.floor(options.horizonMs / options.baselinePeriodMs));
    const baselineIds = Array.from({ length: options.baselineWorkflows }, (_, i) => `baseline:server:${i}`);
    for (const workflowId of baselineIds) {
      const input: MinimalCycleInput = { cycle: 0, cycles, periodMs: options.baselinePeriodMs, tokenVersion: 1 };
      await client.start('minimalRefreshCycle', { workflowId, taskQueue: scenario.taskQueue, args: [input] });
    }

    const approveAndDeliver = async (handle: WorkflowHandle, workflowId: string, response: LinkResponse): Promise<void> => {
      if (!response.link) throw new Error(`${workflowId}: link answered without a consult result (${response.state})`);
      const approved = running.admin.approve({ authState: response.link.authState, clientId: MERCHANT_CLIENT_ID });
      const redirect = new URL(approved.redirectUrl);
      await handle.executeUpdate(deliverAuthCodeUpdate, {
        args: [{ authCode: redirect.searchParams.get('authCode') ?? '', authState: redirect.searchParams.get('authState') ?? '', source: 'redirect' }],
      });
      for (let step = 0; step < 10; step++) {
        const view = (await handle.query(publicStateQuery)) as AuthorizationView;
        if (view.state === 'ACTIVE') return;
        await skip(1000);
      }
      throw new Error(`${workflowId}: not ACTIVE 10 s after the authCode`);
    };

    const lifeStartMs = serverNowMs;
    const customers: Array<{ wallet: string; workflowId: string; handle: WorkflowHandle; relinks: number; finalState: string; broken: boolean }> = [];
    for (const wallet of options.wallets) {
      for (let i = 0; i < options.customersPerWallet; i++) {
        const customerId = `server-${i + 1}`;
        const workflowId = authorizationWorkflowId(wallet, customerId);
        const input: AuthorizationInput = { customerId, wallet, profile: 'antom', consult: { authRedirectUrl: 'https://merchant.example/authorizations/return', terminalType: 'WEB' } };
        try {
          const response = await client.executeUpdateWithStart(linkUpdate, {
            startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPE, {
              workflowId,
              taskQueue: scenario.taskQueue,
              workflowIdConflictPolicy: 'USE_EXISTING',
              args: [input],
              staticSummary: authorizationStaticSummary(wallet, customerId),
            }),
          });
          const handle = client.getHandle(workflowId);
          await approveAndDeliver(handle, workflowId, response);
          customers.push({ wallet, workflowId, handle, relinks: 0, finalState: 'ACTIVE', broken: false });
        } catch (error) {
          errors.push(`server link ${workflowId}: ${(error as Error).message}`);
        }
      }
    }

    for (let done = 0; done < options.horizonMs; done += options.stepMs) {
      await skip(Math.min(options.stepMs, options.horizonMs - done));
      for (const customer of customers) {
        if (customer.broken) continue;
        const view = (await customer.handle.query(publicStateQuery).catch(() => undefined)) as AuthorizationView | undefined;
        if (!view) continue;
        customer.finalState = view.state;
        if (view.state === 'REAUTH_REQUIRED' && options.relink) {
          try {
            const response = await customer.handle.executeUpdate(linkUpdate);
            await approveAndDeliver(customer.handle, customer.workflowId, response);
            customer.relinks += 1;
          } catch (error) {
            customer.broken = true;
            errors.push(`server relink ${customer.workflowId}: ${(error as Error).message}`);
          }
        } else if (['NEEDS_ATTENTION', 'FAILED', 'TOKEN_EXPIRED', 'REVOKED'].includes(view.state)) {
          customer.broken = true;
          errors.push(`server: ${customer.workflowId} reached ${view.state}`);
        }
      }
    }
    // Let the baseline finish its last cycles.
    await skip(options.baselinePeriodMs);
    const lifeMs = serverNowMs - lifeStartMs;

    const productRuns = new Map<string, ServerRun[]>();
    for (const customer of customers) {
      productRuns.set(customer.workflowId, await serverRuns(scenario, customer.workflowId));
    }
    const baselineRuns: ServerRun[] = [];
    for (const id of baselineIds) baselineRuns.push(...(await serverRuns(scenario, id)));
    return {
      product: productRuns,
      baseline: baselineRuns,
      customers: customers.map((c) => ({ wallet: c.wallet, workflowId: c.workflowId, relinks: c.relinks, finalState: c.finalState })),
      lifeMs,
      wallMs: performance.now() - started,
      errors,
    };
  } finally {
    await env?.teardown().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

/** Every run of `workflowId`, oldest first, read back from the server. */
async function serverRuns(env: ScenarioEnvironment, workflowId: string): Promise<ServerRun[]> {
  const runs: ServerRun[] = [];
  let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    const startedEvent = events[0]?.workflowExecutionStartedEventAttributes;
    const last = events[events.length - 1];
    const closing: Record<number, string> = {
      [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW]: 'CONTINUED_AS_NEW',
      [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]: 'COMPLETED',
      [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]: 'FAILED',
      [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]: 'TERMINATED',
      [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT]: 'TIMED_OUT',
      [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED]: 'CANCELED',
    };
    const eventType = (e: (typeof events)[number]) => EventType[e.eventType ?? 0] ?? String(e.eventType);
    runs.unshift({
      workflowId,
      runId,
      status: last ? (closing[last.eventType ?? 0] ?? 'RUNNING') : 'RUNNING',
      continuedFrom: startedEvent?.continuedExecutionRunId || undefined,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      activityTypes: events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?'),
      // PascalCase, as the offline environment names them (EVENT_TYPE_TIMER_STARTED → TimerStarted).
      eventTypes: events.map((e) => eventType(e).replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())),
    });
    runId = startedEvent?.continuedExecutionRunId || undefined;
  }
  return runs;
}
