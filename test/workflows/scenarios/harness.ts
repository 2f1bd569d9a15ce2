/**
 * Shared setup of the authorization scenarios: the real workflow bundle on the scenario environment (offline always,
 * and Temporal's time-skipping test server), the real activities wired to the real sandbox and a real Redis
 * under a unique key prefix, the encrypting data converter, a notification receiver standing in for the API's
 * notification route, and teardown with a determinism replay of every recorded run.
 *
 * Test-side bookkeeping (activity calls, plaintext secrets seen, captured log lines) lives here so scenarios can
 * assert on what the system did — never on what it says it did.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type Logger as TemporalLogger, type LogLevel, type LogMetadata } from '@temporalio/common';
import { Redis } from 'ioredis';
import { verifyNotificationSignature } from '../../../src/api/notificationSignature';
import { AuthorizationClient } from '../../../src/client';
import { createEncryptingDataConverter } from '../../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../../src/codec/keyRing';
import { createLogger } from '../../../src/logger';
import { redisKeys } from '../../../src/store/redisKeys';
import { TokenProjectionStore, type ProjectedToken } from '../../../src/store/tokenProjection';
import { NOTIFICATION_ACK, startSandbox, type ApprovedConsent, type RunningSandbox, type SandboxOptions } from '../../../src/sandbox';
import type { ReceivedRequest } from '../../../src/sandbox';
import type { AuthorizationActivities } from '../../../src/workflows/activityContract';
import {
  SEARCH_ATTRIBUTES,
  TASK_QUEUE,
  WORKFLOW_TYPE,
  authorizationStaticSummary,
  authorizationWorkflowId,
  deliverAuthCodeUpdate,
  linkUpdate,
  publicStateQuery,
  walletCanceledSignal,
  type AuthorizationInput,
  type AuthorizationView,
  type ConsultOptions,
  type DeliverAuthCodeResponse,
  type LinkResponse,
  type PolicyOverrides,
  type Profile,
} from '../../../src/workflows/definitions';
import { merchantKeys } from '../../support/fixtureKeys';
import {
  createOfflineScenarioEnvironment,
  createServerScenarioEnvironment,
  timeSkippingServerAvailability,
  type ScenarioEnvironment,
  type ScenarioOptions,
} from '../../support/scenarioEnvironment';
import { createScenarioActivities, type ScenarioClientKeys } from './activitiesWiring';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const YEAR = 365 * DAY;

export const MERCHANT_CLIENT_ID = 'SANDBOX_MERCHANT_1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ActivityCall {
  name: keyof AuthorizationActivities;
  /** Virtual time of the attempt. */
  at: number;
  input: unknown;
  outcome: 'ok' | 'failed';
  result?: unknown;
  errorType?: string;
  /** Wall-clock start and end of the attempt (for races with real-time events such as a cancel). */
  startedWallMs: number;
  endedWallMs?: number;
}

export interface HarnessOptions {
  /** Sandbox knobs (wallet policies, repeats, grace…). The clock and merchant are set by the harness. */
  sandbox?: Omit<SandboxOptions, 'clock' | 'merchants'>;
  /** Register the merchant with a notification URL (the harness receiver). Default true. */
  notifications?: boolean;
  /** Deliver AUTHCODE_CREATED / TOKEN_CANCELED notifications to the workflow as the API would. Default true. */
  deliverNotifications?: boolean;
  /** Webhooks to a receiver the scenario runs (WEBHOOK_URL, WEBHOOK_SECRETS); default none (not configured). */
  webhooks?: { url: () => string; secrets: string[]; timeoutMs: number };
  /**
   * Key rotation: the merchant's key versions registered at the sandbox, and the keys the service is configured
   * with right now (read per call: replace `current` to "redeploy"). With this, the notification receiver verifies
   * each notification as the API does (401 when it does not verify, so the sandbox resends).
   */
  keys?: { merchantPublicKeys: Readonly<Record<string, KeyObject>>; current: () => ScenarioClientKeys };
  /** The encryption key ring of the activities' Redis stores and the library (default SCENARIO_KEY_RING). */
  keyRing?: KeyRing;
}

export interface LinkSpec {
  wallet: string;
  customerId?: string;
  profile?: Profile;
  consult?: Partial<ConsultOptions>;
  policy?: PolicyOverrides;
}

export interface LinkedCustomer {
  workflowId: string;
  handle: WorkflowHandle;
  response: LinkResponse;
}

export class ScenarioHarness {
  readonly calls: ActivityCall[] = [];
  /** Plaintext tokens and authCodes that crossed the activity boundary (test-side only, for leak checks). */
  readonly secrets = new Set<string>();
  readonly logLines: string[] = [];
  readonly notifications: Array<Record<string, unknown>> = [];
  /** Notifications refused because their signature did not verify (only counted with the `keys` option). */
  unverifiedNotifications = 0;
  /** authState → workflowId, as the consult activity registers it (the receiver routes notifications with it). */
  readonly authStates = new Map<string, string>();
  private readonly lostResponses: Array<(call: ActivityCall) => boolean> = [];
  private readonly startHooks: Array<(call: ActivityCall) => boolean> = [];
  private readonly journalLosses = new Set<(call: ActivityCall) => boolean>();
  private readonly outages: Array<{ name: keyof AuthorizationActivities; over: () => boolean }> = [];
  private notificationServer: Server | undefined;
  notifyUrl: string | undefined;
  sandbox!: RunningSandbox;
  redis!: Redis;
  readonly keyPrefix = `test:wf:${randomUUID()}:`;
  private serverNowMs = Date.now();
  private pendingDeliveries: Promise<unknown>[] = [];

  constructor(
    readonly t: ExecutionContext,
    readonly env: ScenarioEnvironment,
    private readonly options: HarnessOptions,
  ) {}

  get keyRing(): KeyRing {
    return this.options.keyRing ?? SCENARIO_KEY_RING;
  }

  /** Virtual now, synchronously (the sandbox clock needs it): offline directly, on a server the last known skip. */
  nowSync(): number {
    return this.env.offline ? this.env.offline.now() : this.serverNowMs;
  }

  async now(): Promise<number> {
    this.serverNowMs = await this.env.now();
    return this.serverNowMs;
  }

  get client() {
    return this.env.client.workflow;
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.serverNowMs = await this.env.now();
    this.redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
    if (this.options.notifications !== false) await this.startNotificationReceiver();
    this.sandbox = await startSandbox({
      ...this.options.sandbox,
      clock: { now: () => this.nowSync() },
      // Request-time headers come from the activities' own clock; virtual years apart from the sandbox's.
      requestTimeWindowMs: null,
      merchants: [{
        clientId: MERCHANT_CLIENT_ID,
        ...(this.options.keys ? { publicKeys: this.options.keys.merchantPublicKeys } : { publicKey: merchantKeys.publicKey }),
        ...(this.notifyUrl ? { notifyUrl: this.notifyUrl } : {}),
      }],
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.pendingDeliveries);
    await this.sandbox?.close();
    await new Promise<void>((resolve) => (this.notificationServer ? this.notificationServer.close(() => resolve()) : resolve()));
    if (this.redis) {
      const keys = await this.scanKeys();
      if (keys.length > 0) await this.redis.del(...keys);
      this.redis.disconnect();
    }
  }

  async scanKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  /** The payment path's view: the projected token of an authorization, decrypted (undefined when absent). */
  async projection(workflowId: string): Promise<ProjectedToken | undefined> {
    return new TokenProjectionStore(this.redis, { keyRing: this.keyRing, keys: redisKeys(this.keyPrefix) }).get(workflowId);
  }

  /** Every value stored under the scenario's Redis prefix, whatever its type, as text. */
  async redisValues(): Promise<string[]> {
    const values: string[] = [];
    for (const key of await this.scanKeys()) {
      const type = await this.redis.type(key);
      if (type === 'string') values.push((await this.redis.get(key)) ?? '');
      else if (type === 'hash') values.push(...Object.entries(await this.redis.hgetall(key)).flat());
      else if (type === 'zset') values.push(...(await this.redis.zrange(key, '0', '-1', 'WITHSCORES')));
      else if (type === 'set') values.push(...(await this.redis.smembers(key)));
      else if (type === 'list') values.push(...(await this.redis.lrange(key, 0, -1)));
      values.push(key);
    }
    return values;
  }

  // ---- activities ------------------------------------------------------------------------------------------------------

  /** The real activities, wrapped to record each attempt and harvest the secrets that cross the boundary. */
  activities(): AuthorizationActivities {
    const real = createScenarioActivities({
      sandboxUrl: () => this.sandbox.url,
      sandboxPublicKey: () => this.sandbox.publicKey,
      clientId: MERCHANT_CLIENT_ID,
      merchantPrivateKey: merchantKeys.privateKey,
      redis: () => this.redis,
      keyPrefix: this.keyPrefix,
      clock: () => this.nowSync(),
      logger: createLogger({ level: 'debug', name: 'scenario' }, this.logSink()),
      encryptionKeyRing: this.keyRing,
      ...(this.options.webhooks ? { webhooks: this.options.webhooks } : {}),
      ...(this.options.keys ? { keys: this.options.keys.current } : {}),
    });
    const wrap = <K extends keyof AuthorizationActivities>(name: K): AuthorizationActivities[K] =>
      (async (input: never) => {
        // On a server, time moves while it skips: the attempt's scheduled time is the server's clock at this attempt,
        // so the sandbox and the activities see the skipped-to time instead of the last one the test asked for.
        if (!this.env.offline) {
          const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
          if (scheduled > this.serverNowMs) this.serverNowMs = scheduled;
        }
        const call: ActivityCall = { name, at: this.nowSync(), input: structuredClone(input), outcome: 'ok', startedWallMs: Date.now() };
        this.harvest(input);
        this.calls.push(call);
        for (const hook of [...this.startHooks]) if (hook(call)) this.startHooks.splice(this.startHooks.indexOf(hook), 1);
        try {
          if (this.outages.some((outage) => outage.name === name && !outage.over())) {
            call.endedWallMs = Date.now();
            throw ApplicationFailure.retryable('simulated Redis outage', 'STORE_UNAVAILABLE', { outcome: 'unknown-retry', resultCode: 'STORE_UNAVAILABLE' });
          }
          const result = await (real[name] as (i: never) => Promise<unknown>)(input).finally(() => {
            call.endedWallMs = Date.now();
          });
          call.result = result === undefined ? undefined : structuredClone(result);
          this.harvest(result);
          const lose = this.lostResponses.findIndex((matches) => matches(call));
          if (lose >= 0) {
            const [lost] = this.lostResponses.splice(lose, 1);
            if (lost && this.journalLosses.has(lost)) {
              // A Redis failover took the journal with it.
              for (const key of await this.redis.keys(`${this.keyPrefix}apply-token-journal:*`)) await this.redis.del(key);
            }
            // The answer arrived and was journaled, then the worker "died" before reporting it: Temporal retries.
            throw ApplicationFailure.retryable('simulated lost activity completion', 'TRANSPORT_ERROR', { outcome: 'unknown-retry', resultCode: 'TRANSPORT_ERROR' });
          }
          return result;
        } catch (error) {
          call.outcome = 'failed';
          call.errorType = error instanceof ApplicationFailure ? (error.type ?? 'ApplicationFailure') : (error as Error).name;
          throw error;
        }
      }) as AuthorizationActivities[K];
    return {
      consult: wrap('consult'),
      applyToken: wrap('applyToken'),
      revoke: wrap('revoke'),
      projectToken: wrap('projectToken'),
      removeProjection: wrap('removeProjection'),
      deliverWebhook: wrap('deliverWebhook'),
      disposeExchange: wrap('disposeExchange'),
    };
  }

  /** Runs `action` once, when the first attempt matching `predicate` starts (to race events against an activity). */
  onActivityStart(predicate: (call: ActivityCall) => boolean, action: (call: ActivityCall) => void): void {
    this.startHooks.push((call) => {
      if (!predicate(call)) return false;
      action(call);
      return true;
    });
  }

  /**
   * Calls of `name` fail (retryably, as STORE_UNAVAILABLE: a Redis outage seen by the activity) until `until()` turns
   * true; each failed attempt is recorded as failed.
   */
  failActivityWhile(name: keyof AuthorizationActivities, until: () => boolean): void {
    this.outages.push({ name, over: until });
  }

  /** The merchant library over this scenario's Temporal client and Redis (the payment path, cancel, TOKEN_CANCELED). */
  library(): AuthorizationClient {
    return new AuthorizationClient({
      workflowClient: this.client,
      redis: this.redis,
      keyRing: this.keyRing,
      keyPrefix: this.keyPrefix,
      taskQueue: TASK_QUEUE,
      clock: () => this.nowSync(),
    });
  }

  /** The next successful call matching `predicate` is reported as lost (after the activity journaled it). */
  loseNextSuccessfulResponse(predicate: (call: ActivityCall) => boolean, options: { andTheJournal?: boolean } = {}): void {
    this.lostResponses.push(predicate);
    if (options.andTheJournal) this.journalLosses.add(predicate);
  }

  private harvest(value: unknown): void {
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if ((key === 'accessToken' || key === 'refreshToken' || key === 'authCode') && typeof inner === 'string') this.secrets.add(inner);
      else if (inner && typeof inner === 'object') this.harvest(inner);
    }
  }

  logSink(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.logLines.push(...chunk.toString('utf8').split('\n').filter((line) => line.length > 0));
        callback();
      },
    });
  }

  /** A Temporal Logger (for the environment's activity contexts) that records every line as JSON. */
  temporalLogger(): TemporalLogger {
    const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
      this.logLines.push(JSON.stringify({ level, message, ...meta }));
    };
    return {
      log: write,
      trace: (m, meta) => write('TRACE', m, meta),
      debug: (m, meta) => write('DEBUG', m, meta),
      info: (m, meta) => write('INFO', m, meta),
      warn: (m, meta) => write('WARN', m, meta),
      error: (m, meta) => write('ERROR', m, meta),
    };
  }

  callsOf(name: keyof AuthorizationActivities, grantType?: 'AUTHORIZATION_CODE' | 'REFRESH_TOKEN'): ActivityCall[] {
    return this.calls.filter((c) => c.name === name && (!grantType || (c.input as { grantType?: string }).grantType === grantType));
  }

  requests(endpoint: string): ReceivedRequest[] {
    return this.sandbox.admin.requests().filter((r) => r.endpoint === endpoint);
  }

  // ---- the merchant side -------------------------------------------------------------------------------------------

  input(spec: LinkSpec): AuthorizationInput {
    const customerId = spec.customerId ?? `cust-${randomUUID().slice(0, 8)}`;
    return {
      customerId,
      wallet: spec.wallet,
      profile: spec.profile ?? 'antom',
      consult: { authRedirectUrl: 'https://merchant.example/authorizations/return', terminalType: 'WEB', ...spec.consult },
      ...(spec.policy ? { policy: spec.policy } : {}),
    };
  }

  /** What the API's POST /authorizations does: update-with-start (USE_EXISTING) of `link`. */
  async link(spec: LinkSpec | AuthorizationInput): Promise<LinkedCustomer> {
    const input = 'consult' in spec && 'customerId' in spec && spec.customerId && 'profile' in spec && spec.profile ? (spec as AuthorizationInput) : this.input(spec as LinkSpec);
    const workflowId = authorizationWorkflowId(input.wallet, input.customerId);
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.env.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      staticSummary: authorizationStaticSummary(input.wallet, input.customerId),
    });
    const response = await this.client.executeUpdateWithStart(linkUpdate, { startWorkflowOperation });
    if (response.link) this.authStates.set(response.link.authState, workflowId);
    return { workflowId, handle: this.client.getHandle(workflowId), response };
  }

  /** A later `link` on the running workflow (relink, or the idempotent repeat). */
  async relink(customer: LinkedCustomer): Promise<LinkResponse> {
    const response = await customer.handle.executeUpdate(linkUpdate);
    if (response.link) this.authStates.set(response.link.authState, customer.workflowId);
    return response;
  }

  /** The customer approves in the wallet. */
  approve(authState: string): ApprovedConsent {
    return this.sandbox.admin.approve({ authState, clientId: MERCHANT_CLIENT_ID });
  }

  /** The wallet's redirect reaching the merchant: what GET /authorizations/return does. */
  async deliverByRedirect(customer: LinkedCustomer, approved: ApprovedConsent): Promise<DeliverAuthCodeResponse> {
    const url = new URL(approved.redirectUrl);
    const authCode = url.searchParams.get('authCode') ?? '';
    const authState = url.searchParams.get('authState') ?? '';
    return customer.handle.executeUpdate(deliverAuthCodeUpdate, { args: [{ authCode, authState, source: 'redirect' }] });
  }

  async view(customer: LinkedCustomer): Promise<AuthorizationView> {
    return customer.handle.query(publicStateQuery);
  }

  /**
   * Lets the system work (activities, notifications in real time, timers in virtual time) until the view matches.
   * Virtual time moves in `stepMs` steps, at most `maxVirtualMs` in total.
   */
  async waitFor(customer: LinkedCustomer, matches: (view: AuthorizationView) => boolean, opts: { stepMs?: number; maxVirtualMs?: number; what?: string } = {}): Promise<AuthorizationView> {
    const stepMs = opts.stepMs ?? 1000;
    const maxVirtualMs = opts.maxVirtualMs ?? 5 * MINUTE;
    let waited = 0;
    for (;;) {
      await this.settle();
      const view = await this.viewOrResult(customer);
      if (matches(view)) return view;
      if (waited >= maxVirtualMs) {
        throw new Error(`timed out waiting for ${opts.what ?? 'a matching state'}; last view: ${JSON.stringify(view)}`);
      }
      await this.sleep(stepMs);
      waited += stepMs;
    }
  }

  /** The query on a running workflow; the result of a closed one. */
  async viewOrResult(customer: LinkedCustomer): Promise<AuthorizationView> {
    const description = await customer.handle.describe();
    if (description.status.name === 'RUNNING') return this.view(customer);
    if (description.status.name === 'COMPLETED') return (await this.client.result(customer.workflowId)) as AuthorizationView;
    throw new Error(`workflow ${customer.workflowId} closed as ${description.status.name}`);
  }

  /** Process what is ready, including notifications the sandbox sends over real HTTP. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.sandbox.admin.flushNotifications();
      await Promise.allSettled(this.pendingDeliveries);
      this.pendingDeliveries = [];
      if (this.env.offline) await this.env.offline.runUntilIdle();
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async sleep(ms: number): Promise<void> {
    await this.env.sleep(ms);
    await this.now();
  }

  // ---- notification receiver (stands in for the API's POST /notifications/antom) ---------------------------------

  private async startNotificationReceiver(): Promise<void> {
    this.notificationServer = createServer((req, res) => {
      void readBody(req).then((raw) => {
        if (this.options.keys) {
          const verdict = verifyNotificationSignature(
            { publicKeys: this.options.keys.current().antomPublicKeys, clientIds: [MERCHANT_CLIENT_ID], publicPathPrefix: '' },
            { url: req.url ?? '/', headers: req.headers, rawBody: raw },
          );
          if (!verdict.ok) {
            this.unverifiedNotifications += 1;
            res.writeHead(401).end();
            return;
          }
        }
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          res.writeHead(400).end();
          return;
        }
        this.notifications.push(body);
        if (this.options.deliverNotifications !== false) this.pendingDeliveries.push(this.routeNotification(body).catch(() => undefined));
        res.writeHead(200, { 'content-type': 'application/json' }).end(typeof NOTIFICATION_ACK === 'string' ? NOTIFICATION_ACK : JSON.stringify(NOTIFICATION_ACK));
      });
    });
    await new Promise<void>((resolve) => this.notificationServer!.listen(0, '127.0.0.1', resolve));
    this.notifyUrl = `http://127.0.0.1:${(this.notificationServer.address() as AddressInfo).port}/notifications/antom`;
  }

  private async routeNotification(body: Record<string, unknown>): Promise<void> {
    const authState = typeof body.authState === 'string' ? body.authState : undefined;
    const workflowId = authState ? this.authStates.get(authState) : undefined;
    if (!workflowId) return;
    const handle = this.client.getHandle(workflowId);
    if (body.authorizationNotifyType === 'AUTHCODE_CREATED' && typeof body.authCode === 'string') {
      await handle.executeUpdate(deliverAuthCodeUpdate, { args: [{ authCode: body.authCode, authState: authState!, source: 'notification' }] });
    } else if (body.authorizationNotifyType === 'TOKEN_CANCELED') {
      await handle.signal(walletCanceledSignal, { reason: typeof body.reason === 'string' ? body.reason : 'TOKEN_CANCELED' });
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** One key ring per test process: the codec and the Redis secret box encrypt with it. */
export const SCENARIO_KEY_RING = parseKeyRingSpec(`scenario-k1:${generateEncryptionKey()}`);

const WORKFLOWS_PATH = require.resolve('../../../src/workflows');

/**
 * Registers one scenario: an ava test titled `title` on the offline environment, and `title [time-skipping server]`
 * on Temporal's time-skipping test server (always run: without its binary the variant fails naming the fix). Every offline run ends with a determinism replay of all recorded runs.
 */
export function authorizationScenario(title: string, options: HarnessOptions, body: (t: ExecutionContext, h: ScenarioHarness) => Promise<void>): void {
  const run = (kind: 'offline' | 'server') => async (t: ExecutionContext) => {
    const holder: { harness?: ScenarioHarness } = {};
    const scenarioOptions = (): ScenarioOptions => ({
      workflowsPath: WORKFLOWS_PATH,
      taskQueue: TASK_QUEUE,
      dataConverter: createEncryptingDataConverter(SCENARIO_KEY_RING),
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
      // Delegates to the harness created right after the environment (activities need the sandbox and Redis).
      activities: lazyActivities(() => holder.harness!.activities()),
      offline: { logger: lazyLogger(() => holder.harness?.temporalLogger()) },
    });
    const env = kind === 'offline' ? await createOfflineScenarioEnvironment(scenarioOptions()) : await createServerScenarioEnvironment(scenarioOptions());
    const harness = new ScenarioHarness(t, env, options);
    holder.harness = harness;
    try {
      await harness.start();
      await body(t, harness);
      if (env.offline) await env.offline.assertDeterministic();
    } finally {
      await harness.close().catch(() => undefined);
      await env.teardown();
    }
  };
  test(title, run('offline'));
  test.serial(`${title} [time-skipping server]`, async (t) => {
    const server = timeSkippingServerAvailability();
    if (!server.available) return t.fail(server.reason);
    return run('server')(t);
  });
}

/** Activity functions that resolve the real (wrapped) implementations on first use. */
function lazyActivities(resolve: () => AuthorizationActivities): AuthorizationActivities {
  let resolved: AuthorizationActivities | undefined;
  const get = () => (resolved ??= resolve());
  return {
    consult: (i) => get().consult(i),
    applyToken: (i) => get().applyToken(i),
    revoke: (i) => get().revoke(i),
    projectToken: (i) => get().projectToken(i),
    removeProjection: (i) => get().removeProjection(i),
    deliverWebhook: (i) => get().deliverWebhook(i),
    disposeExchange: (i) => get().disposeExchange(i),
  };
}

function lazyLogger(resolve: () => TemporalLogger | undefined): TemporalLogger {
  const forward = (level: LogLevel) => (message: string, meta?: LogMetadata) => resolve()?.log(level, message, meta);
  return {
    log: (level, message, meta) => resolve()?.log(level, message, meta),
    trace: forward('TRACE'),
    debug: forward('DEBUG'),
    info: forward('INFO'),
    warn: forward('WARN'),
    error: forward('ERROR'),
  };
}
