/**
 * The benchmark's wiring, built from the same pieces as the scenario harness (test/workflows/scenarios/harness.ts,
 * which cannot be imported outside ava): the real workflow bundle on the offline environment, the real activities
 * (activitiesWiring.ts) against the real sandbox on the environment's virtual clock, a real Redis under a unique key
 * prefix, and the encrypting data converter. The baseline workflow (minimalCycleWorkflow.ts) shares the bundle.
 *
 * Linking does what the API and a customer would: update-with-start `link`, approve in the wallet (sandbox admin),
 * deliver the authCode as the redirect would, and wait for ACTIVE.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { createLogger } from '../../src/logger';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';
import {
  TASK_QUEUE,
  WORKFLOW_TYPE,
  authorizationStaticSummary,
  authorizationWorkflowId,
  deliverAuthCodeUpdate,
  linkUpdate,
  publicStateQuery,
  type AuthorizationInput,
  type AuthorizationView,
  SEARCH_ATTRIBUTES,
  type LinkResponse,
} from '../../src/workflows/definitions';
import { merchantKeys } from '../../test/support/fixtureKeys';
import { OfflineWorkflowEnvironment } from '../../test/support/offlineEnvironment';
import { createScenarioActivities } from '../../test/workflows/scenarios/activitiesWiring';
import type { MinimalCycleActivities } from './minimalCycleWorkflow';
import { SandboxRequestTally } from './sandboxRequestTally';

const MERCHANT_CLIENT_ID = 'SANDBOX_BENCH_LIFECYCLE';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKFLOWS_PATH = require.resolve('./benchWorkflows');
/** Virtual seconds allowed for a delivered authCode to become ACTIVE (the code itself lives 60 s). */
const ACTIVATION_WAIT_STEPS = 5;

export interface LinkedAuthorization {
  wallet: string;
  customerId: string;
  workflowId: string;
  handle: WorkflowHandle;
  relinks: number;
}

export class LinkFailedError extends Error {
  constructor(workflowId: string, reason: string) {
    super(`${workflowId}: ${reason}`);
    this.name = 'LinkFailedError';
  }
}

export class LifecycleRig {
  readonly tally: SandboxRequestTally;

  private constructor(
    readonly env: OfflineWorkflowEnvironment,
    readonly sandbox: RunningSandbox,
    readonly redis: Redis,
    readonly keyPrefix: string,
    /** Calls of the baseline's activities, to check the baseline really ran its cycles. */
    private readonly baselineCalls: { count: number },
  ) {
    this.tally = new SandboxRequestTally(sandbox);
  }

  get baselineActivityCalls(): number {
    return this.baselineCalls.count;
  }

  static async create(options: { startTimeMs: number }): Promise<LifecycleRig> {
    const keyRing = parseKeyRingSpec(`bench-k1:${generateEncryptionKey()}`);
    const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
    // The sandbox and the activities read the environment's virtual clock, which exists only after create().
    const clock: { now: () => number } = { now: () => options.startTimeMs };
    const sandbox = await startSandbox({
      clock: { now: () => clock.now() },
      // Request-time headers come from the activities' clock; no time window to trip over across virtual years.
      requestTimeWindowMs: null,
      merchants: [{ clientId: MERCHANT_CLIENT_ID, publicKey: merchantKeys.publicKey }],
    });
    const baselineCalls = { count: 0 };
    const keyPrefix = `bench:lifecycle:${randomUUID()}:`;
    const product = createScenarioActivities({
      sandboxUrl: () => sandbox.url,
      sandboxPublicKey: () => sandbox.publicKey,
      clientId: MERCHANT_CLIENT_ID,
      merchantPrivateKey: merchantKeys.privateKey,
      redis: () => redis,
      keyPrefix,
      clock: () => clock.now(),
      logger: createLogger({ level: 'silent', name: 'bench-lifecycle' }),
      encryptionKeyRing: keyRing,
    });
    const baseline: MinimalCycleActivities = {
      minimalRefresh: async ({ tokenVersion }) => {
        baselineCalls.count += 1;
        return { tokenVersion: tokenVersion + 1, expiresAt: clock.now() };
      },
      minimalProject: async () => {
        baselineCalls.count += 1;
      },
    };
    let env: OfflineWorkflowEnvironment;
    try {
      env = await OfflineWorkflowEnvironment.create({
        workflowsPath: WORKFLOWS_PATH,
        taskQueue: TASK_QUEUE,
        activities: { ...product, ...baseline },
        dataConverter: createEncryptingDataConverter(keyRing),
        startTimeMs: options.startTimeMs,
        searchAttributes: Object.values(SEARCH_ATTRIBUTES),
      });
    } catch (error) {
      await sandbox.close();
      redis.disconnect();
      throw error;
    }
    clock.now = () => env.now();
    return new LifecycleRig(env, sandbox, redis, keyPrefix, baselineCalls);
  }

  input(wallet: string, customerId: string): AuthorizationInput {
    return {
      customerId,
      wallet,
      profile: 'antom',
      consult: { authRedirectUrl: 'https://merchant.example/authorizations/return', terminalType: 'WEB' },
    };
  }

  /** Link → approve in the wallet → redirect delivers the authCode → ACTIVE. */
  async activate(wallet: string, customerId: string): Promise<LinkedAuthorization> {
    const input = this.input(wallet, customerId);
    const workflowId = authorizationWorkflowId(wallet, customerId);
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.env.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      staticSummary: authorizationStaticSummary(wallet, customerId),
    });
    const response = await this.env.client.workflow.executeUpdateWithStart(linkUpdate, { startWorkflowOperation });
    const customer: LinkedAuthorization = { wallet, customerId, workflowId, handle: this.env.client.workflow.getHandle(workflowId), relinks: 0 };
    await this.approveAndDeliver(customer, response);
    return customer;
  }

  /** What a merchant does on REAUTH_REQUIRED: ask the customer to link again. */
  async relink(customer: LinkedAuthorization): Promise<void> {
    const response = await customer.handle.executeUpdate(linkUpdate);
    await this.approveAndDeliver(customer, response);
    customer.relinks += 1;
  }

  async view(customer: LinkedAuthorization): Promise<AuthorizationView> {
    return customer.handle.query(publicStateQuery);
  }

  async close(): Promise<void> {
    await this.sandbox.close().catch(() => undefined);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await this.redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      this.redis.disconnect();
      await this.env.teardown();
    }
  }

  private async approveAndDeliver(customer: LinkedAuthorization, response: LinkResponse): Promise<void> {
    if (!response.link) throw new LinkFailedError(customer.workflowId, `link answered without a consult result (state ${response.state})`);
    const approved = this.sandbox.admin.approve({ authState: response.link.authState, clientId: MERCHANT_CLIENT_ID });
    const redirect = new URL(approved.redirectUrl);
    const delivered = await customer.handle.executeUpdate(deliverAuthCodeUpdate, {
      args: [{ authCode: redirect.searchParams.get('authCode') ?? '', authState: redirect.searchParams.get('authState') ?? '', source: 'redirect' }],
    });
    if (!delivered.accepted) throw new LinkFailedError(customer.workflowId, `authCode not accepted (state ${delivered.state})`);
    for (let step = 0; step < ACTIVATION_WAIT_STEPS; step++) {
      await this.env.runUntilIdle();
      const view = await this.view(customer);
      if (view.state === 'ACTIVE') return;
      if (view.state !== 'APPLYING_TOKEN') throw new LinkFailedError(customer.workflowId, `reached ${view.state} instead of ACTIVE`);
      await this.env.sleep(1000);
    }
    throw new LinkFailedError(customer.workflowId, `not ACTIVE ${ACTIVATION_WAIT_STEPS} virtual seconds after the authCode`);
  }
}
