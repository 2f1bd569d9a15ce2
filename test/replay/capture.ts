/**
 * Captures the replay corpus (`npm run replay:capture`, scripts/capture-replay-histories.ts): starts its own Temporal
 * dev server on free ports, a real worker from src/worker.ts (createWorker with the production prebundle and the
 * encrypting data converter over the TEST-ONLY key ring), the sandbox and a real Redis under a unique prefix, then
 * drives each scenario through the merchant library (src/client.ts) and sandbox faults, and snapshots workflow
 * histories at fixed points: open runs mid-flight (the history so far, taken once no workflow task is pending) and
 * closed runs. Scenarios run one after another so sandbox faults never leak from one to the next, and every snapshot
 * checks the state the workflow reports, so a scenario that no longer reaches its point fails the capture instead of
 * committing the wrong history.
 *
 * Captures are repeatable: the same scenarios give the same sequence of events (manifest `shape`) on every run, with
 * one known exception: where the workflow runs two activities side by side and nothing here can order them (after a
 * refresh answered INVALID_REFRESH_TOKEN: the read-model projection and the disposal of the abandoned exchange, both
 * quick Redis work), their completions may or may not share a workflow task, so `reauth-*` has two valid shapes.
 *
 * Writes one JSON history per snapshot (proto JSON, `historyToJSON`) and manifest.json into the output directory,
 * after checking that no authCode or token the sandbox issued appears in any of them (plain or base64).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Redis } from 'ioredis';
import { AuthorizationClient, type LinkInput } from '../../src/client';
import { AntomClient, type AntomClientOptions } from '../../src/antom/client';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startSandbox, type FaultScript, type RunningSandbox } from '../../src/sandbox';
import { locateTemporalBinary } from '../../src/temporalBinaries';
import { createWorker } from '../../src/worker';
import {
  TASK_QUEUE,
  authorizationWorkflowId,
  publicStateQuery,
  type AuthorizationState,
  type AuthorizationView,
  type LinkResponse,
  type PolicyOverrides,
} from '../../src/workflows/definitions';
import { startDevServer, type DevServer } from '../support/devServer';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { describeEvent, eventTypeName, MANIFEST_FILE, productionBundleOnce, replayKeyRing, type CorpusEntry, type CorpusManifest } from './corpus';

const PROJECT_ROOT = resolve(__dirname, '..', '..');
const MERCHANT = 'REPLAY_CAPTURE_MERCHANT';
/** A real wallet with its documented lifetimes (2 years, rotating): what most authorizations look like. */
const WALLET = 'GCASH';
/**
 * Issues a 6-second access token and no refresh token: REAUTH_REQUIRED after ~3 s, TOKEN_EXPIRED after 6 s (room for a
 * slow link: a token that arrived with less than half its life left would skip the reauth timer).
 */
const EXPIRING_WALLET = 'REPLAY_NO_REFRESH';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Generous: the machine may be loaded; a scenario step normally takes well under a second. */
const STEP_TIMEOUT_MS = 45_000;
/** Sandbox delay that holds an activity in flight while its workflow is snapshotted. */
const IN_FLIGHT_DELAY_MS = 4_000;

export interface CaptureOptions {
  /** Where histories and manifest.json are written (existing *.json files there are replaced). */
  outDir: string;
  /** Run only these scenarios (tests); default all. */
  only?: readonly string[];
  log?: (line: string) => void;
}

interface Snapshot {
  entry: CorpusEntry;
  json: string;
}

/** What a scenario can do: link, consent, signals, faults, and snapshots of its workflow. */
class ScenarioContext {
  readonly snapshots: Snapshot[] = [];
  constructor(
    readonly scenario: string,
    private readonly world: CaptureWorld,
  ) {}

  get library(): AuthorizationClient {
    return this.world.library;
  }

  get sandbox(): RunningSandbox {
    return this.world.sandbox;
  }

  input(customer: string, options: { wallet?: string; policy?: PolicyOverrides } = {}): LinkInput {
    return {
      customerId: `replay-${customer}`,
      wallet: options.wallet ?? WALLET,
      profile: 'antom',
      consult: { authRedirectUrl: 'https://merchant.example/authorizations/return', terminalType: 'WEB' },
      ...(options.policy ? { policy: options.policy } : {}),
    };
  }

  handle(input: LinkInput, runId?: string): WorkflowHandle {
    return this.world.client.workflow.getHandle(authorizationWorkflowId(input.wallet, input.customerId), runId);
  }

  fault(script: FaultScript): void {
    this.sandbox.admin.addFault(script);
  }

  /** The customer approves in the wallet; the redirect brings the code; the signed notification brings it again. */
  async consent(authState: string, options: { notificationToo?: boolean } = {}): Promise<void> {
    const approved = this.sandbox.admin.approve({ authState, clientId: MERCHANT });
    this.world.secrets.add(approved.authCode);
    await this.library.deliverAuthCode({ authCode: approved.authCode, authState, source: 'redirect' });
    if (options.notificationToo) {
      await this.waitForState(this.world.workflowIdOfAuthState(authState), 'ACTIVE');
      // A harmless duplicate (same authState and code): recorded in history as a completed update.
      await this.library.deliverAuthCode({ authCode: approved.authCode, authState, source: 'notification' });
    }
  }

  /** The merchant links (update-with-start); returns once the workflow has settled after answering. */
  async link(input: LinkInput): Promise<LinkResponse> {
    const response = await this.library.link(input);
    await settledRun(this.handle(input), `${this.scenario}: link`);
    return response;
  }

  /** Link and consent: the authorization ends ACTIVE. */
  async linkActive(input: LinkInput, options: { notificationToo?: boolean } = {}): Promise<void> {
    const response = await this.link(input);
    if (!response.link) throw new Error(`${this.scenario}: link gave no consult (state ${response.state})`);
    this.world.authStates.set(response.link.authState, authorizationWorkflowId(input.wallet, input.customerId));
    await this.consent(response.link.authState, options);
    await this.waitForState(authorizationWorkflowId(input.wallet, input.customerId), 'ACTIVE');
  }

  rememberLink(input: LinkInput, authState: string): void {
    this.world.authStates.set(authState, authorizationWorkflowId(input.wallet, input.customerId));
  }

  async waitForState(workflowId: string, state: AuthorizationState | ((view: AuthorizationView) => boolean)): Promise<AuthorizationView> {
    const matches = typeof state === 'string' ? (view: AuthorizationView) => view.state === state : state;
    let last: AuthorizationView | undefined;
    const what = `${this.scenario}: ${workflowId} to reach ${typeof state === 'string' ? state : 'the expected view'}`;
    const handle = this.world.client.workflow.getHandle(workflowId);
    const view = await poll(what, async () => {
      last = await handle.query(publicStateQuery).catch(() => last);
      return last && matches(last) ? last : undefined;
    }, () => `last view: ${JSON.stringify(last)}`);
    // The next stimulus must not race what the step still does after entering the state (e.g. the projection write):
    // otherwise where it lands in history, and so the captured event sequence, would depend on timing.
    await settledRun(handle, what);
    return view;
  }

  /** Waits until an activity of this type is scheduled and not finished (held by a sandbox delay). */
  async waitForPendingActivity(input: LinkInput, activityType: string): Promise<void> {
    await poll(`${this.scenario}: a pending ${activityType} activity`, async () => {
      const description = await this.handle(input).describe();
      return (description.raw.pendingActivities ?? []).some((a) => a.activityType?.name === activityType) || undefined;
    });
  }

  /**
   * Snapshots a run's history once it is settled (closed, or open with no workflow task pending and the same events
   * twice in a row), checking the state it reports.
   */
  async snapshot(
    label: string,
    input: LinkInput,
    expect: { state: AuthorizationState; status?: string; runId?: string; description: string; inFlight?: string },
  ): Promise<void> {
    const handle = this.handle(input, expect.runId);
    const workflowId = handle.workflowId;
    const { description, history } = await settledRun(handle, `${this.scenario}/${label}`, expect.inFlight);
    const status = description.status.name;
    const view = await handle.query(publicStateQuery);
    if (view.state !== expect.state) {
      throw new Error(`${this.scenario}/${label}: expected state ${expect.state}, the workflow reports ${view.state}`);
    }
    if (expect.status && status !== expect.status) {
      throw new Error(`${this.scenario}/${label}: expected run status ${expect.status}, got ${status}`);
    }
    const events = history.events ?? [];
    const file = `${label}.json`;
    this.snapshots.push({
      entry: {
        file,
        scenario: this.scenario,
        description: expect.description,
        workflowId,
        runId: description.runId,
        status,
        state: view.state,
        events: events.length,
        lastEvent: describeEvent(events.at(-1)!),
        shape: createHash('sha256').update(events.map((event) => eventTypeName(event.eventType)).join(',')).digest('hex').slice(0, 16),
      },
      json: `${JSON.stringify(JSON.parse(historyToJSON(history as History)), null, 1)}\n`,
    });
  }
}

const EventType = temporal.api.enums.v1.EventType;

/**
 * A run with nothing in progress: closed, or no workflow task pending, the same events twice in a row, and no activity
 * running — except `inFlight`, the one a scenario holds (activities beside the steps, e.g. disposing of an abandoned
 * exchange, finish first, so a snapshot never depends on timing).
 */
async function settledRun(handle: WorkflowHandle, what: string, inFlight?: string) {
  let previousLength = -1;
  return poll(`${what}: a settled history`, async () => {
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const lastType = events.at(-1)?.eventType;
    const taskOpen = lastType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || lastType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
    const closed = description.status.name !== 'RUNNING';
    const stable = events.length === previousLength;
    previousLength = events.length;
    const pending = (description.raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '?');
    const activitiesAsExpected = inFlight ? pending.length === 1 && pending[0] === inFlight : pending.length === 0;
    if (closed || (!taskOpen && !description.raw.pendingWorkflowTask && stable && activitiesAsExpected)) return { description, history };
    return undefined;
  });
}

async function poll<T>(what: string, attempt: () => Promise<T | undefined>, detail?: () => string): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    // Not found yet (an update-with-start still on its way) counts as "not yet".
    const value = await attempt().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? ` (${detail()})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

interface CaptureWorld {
  client: Client;
  library: AuthorizationClient;
  sandbox: RunningSandbox;
  /** Every authCode and token the sandbox issued during the capture (none may appear in a history). */
  secrets: Set<string>;
  authStates: Map<string, string>;
  workflowIdOfAuthState(authState: string): string;
}

/** An AntomClient that remembers the tokens it receives, so the capture can prove none reached a history. */
class SecretRecordingAntomClient extends AntomClient {
  readonly #secrets: Set<string>;
  constructor(options: AntomClientOptions, secrets: Set<string>) {
    super(options);
    this.#secrets = secrets;
  }

  override async applyToken(...args: Parameters<AntomClient['applyToken']>): ReturnType<AntomClient['applyToken']> {
    const response = await super.applyToken(...args);
    for (const value of [response.accessToken, response.refreshToken]) if (typeof value === 'string' && value) this.#secrets.add(value);
    return response;
  }
}

type Scenario = (s: ScenarioContext) => Promise<void>;

/**
 * The scenarios, in capture order. Each names its snapshots after the point they show; the state in each snapshot is
 * checked. Together they cover every AuthorizationState (replay.test.ts checks that).
 */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  async linking(s) {
    const input = s.input('linking');
    s.fault({ endpoint: 'consult', delayMs: IN_FLIGHT_DELAY_MS });
    const link = s.library.link(input);
    await s.waitForPendingActivity(input, 'consult');
    await s.snapshot('linking-consult-in-flight', input, { state: 'CONSULTING', inFlight: 'consult', description: 'link (update-with-start) with the consult activity in flight' });
    await link;
  },

  async 'awaiting-consent'(s) {
    const input = s.input('awaiting');
    const response = await s.link(input);
    if (!response.link) throw new Error('no consult');
    await s.snapshot('awaiting-consent', input, { state: 'AWAITING_AUTH_CODE', description: 'consult done, waiting for the customer (authCode timer)' });
  },

  async 'applying-token'(s) {
    const input = s.input('applying');
    const response = await s.link(input);
    s.rememberLink(input, response.link!.authState);
    s.fault({ endpoint: 'applyToken', delayMs: IN_FLIGHT_DELAY_MS });
    const approved = s.sandbox.admin.approve({ authState: response.link!.authState, clientId: MERCHANT });
    await s.library.deliverAuthCode({ authCode: approved.authCode, authState: approved.authState, source: 'redirect' });
    await s.waitForPendingActivity(input, 'applyToken');
    await s.snapshot('applying-token-in-flight', input, { state: 'APPLYING_TOKEN', inFlight: 'applyToken', description: 'authCode delivered by redirect, the authorization-code applyToken in flight' });
    await s.waitForState(s.handle(input).workflowId, 'ACTIVE');
  },

  async active(s) {
    const input = s.input('active');
    await s.linkActive(input, { notificationToo: true });
    await s.snapshot('active', input, { state: 'ACTIVE', description: 'consent by redirect, the signed notification as a duplicate; asleep until the refresh' });
  },

  async refresh(s) {
    const input = s.input('refresh');
    await s.linkActive(input);
    const firstRunId = (await s.handle(input).describe()).runId;
    s.fault({ endpoint: 'applyToken', delayMs: IN_FLIGHT_DELAY_MS });
    await s.library.refreshNow(input.wallet, input.customerId, 'replay capture');
    await s.waitForPendingActivity(input, 'applyToken');
    await s.snapshot('refresh-in-flight', input, { state: 'REFRESHING', inFlight: 'applyToken', description: 'refreshNow signal, the refresh applyToken in flight' });
    await s.waitForState(s.handle(input).workflowId, (view) => view.state === 'ACTIVE' && view.refreshCount === 1);
    await s.snapshot('refresh-continued-as-new', input, { runId: firstRunId, state: 'ACTIVE', status: 'CONTINUED_AS_NEW', description: 'the run that refreshed and continued as new' });
    await s.snapshot('refresh-next-run', input, { state: 'ACTIVE', description: 'the next run, resumed from the continue-as-new input, asleep' });
  },

  async 'run-turnover'(s) {
    const input = s.input('turnover', { policy: { maxRunMs: 8_000 } });
    await s.linkActive(input);
    const firstRunId = (await s.handle(input).describe()).runId;
    await poll('run-turnover: the run to continue as new', async () => ((await s.handle(input, firstRunId).describe()).status.name === 'CONTINUED_AS_NEW' ? true : undefined));
    await s.snapshot('run-turnover', input, { runId: firstRunId, state: 'ACTIVE', status: 'CONTINUED_AS_NEW', description: 'an ACTIVE run turning over at policy.maxRunMs (continue-as-new while asleep)' });
    await s.handle(input).terminate('replay capture: done');
  },

  async 'parked-consult'(s) {
    const input = s.input('parked');
    s.fault({ endpoint: 'consult', effect: { type: 'result', resultStatus: 'F', resultCode: 'ACCESS_DENIED' } });
    await s.link(input);
    await s.waitForState(s.handle(input).workflowId, 'NEEDS_ATTENTION');
    await s.snapshot('parked-consult', input, { state: 'NEEDS_ATTENTION', description: 'consult answered ACCESS_DENIED (systemic): parked for an operator' });
    await s.library.operatorRetry(input.wallet, input.customerId, 'fixed');
    await s.waitForState(s.handle(input).workflowId, 'AWAITING_AUTH_CODE');
    await s.snapshot('parked-consult-retried', input, { state: 'AWAITING_AUTH_CODE', description: 'operatorRetry resumed the consult' });
  },

  async 'refresh-alert'(s) {
    const input = s.input('alert', { policy: { refreshBudgetMs: 1_500, retryInitialIntervalMs: 300 } });
    await s.linkActive(input);
    const runId = (await s.handle(input).describe()).runId;
    s.fault({ endpoint: 'applyToken', times: Infinity, effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
    await s.library.refreshNow(input.wallet, input.customerId, 'replay capture');
    await s.waitForState(s.handle(input).workflowId, (view) => view.state === 'NEEDS_ATTENTION' && view.attention?.retrying !== undefined);
    await s.snapshot('refresh-alert', input, { state: 'NEEDS_ATTENTION', description: 'the refresh kept answering U past its budget: alert raised, the identical request retried later' });
    s.sandbox.admin.clearFaults();
    await s.library.operatorRetry(input.wallet, input.customerId, 'Antom is back');
    await s.waitForState(s.handle(input).workflowId, (view) => view.state === 'ACTIVE' && view.refreshCount === 1);
    await s.snapshot('refresh-alert-cleared', input, { runId, state: 'ACTIVE', status: 'CONTINUED_AS_NEW', description: 'operatorRetry repeated the refresh, which succeeded: alert cleared, continued as new' });
  },

  async reauth(s) {
    const input = s.input('reauth');
    await s.linkActive(input);
    s.fault({ endpoint: 'applyToken', effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_REFRESH_TOKEN' } });
    await s.library.refreshNow(input.wallet, input.customerId, 'replay capture');
    await s.waitForState(s.handle(input).workflowId, 'REAUTH_REQUIRED');
    await s.snapshot('reauth-required', input, { state: 'REAUTH_REQUIRED', description: 'the refresh answered INVALID_REFRESH_TOKEN: waiting for a relink before the token expires' });
    const relink = await s.link(input);
    if (!relink.link) throw new Error(`reauth: the relink gave no consult (state ${relink.state})`);
    s.rememberLink(input, relink.link.authState);
    await s.consent(relink.link.authState);
    await s.waitForState(s.handle(input).workflowId, (view) => view.state === 'ACTIVE');
    await s.snapshot('reauth-relinked', input, { state: 'ACTIVE', description: 'relink from REAUTH_REQUIRED: a new consult and consent, ACTIVE again' });
  },

  async revoke(s) {
    const input = s.input('revoke');
    await s.linkActive(input);
    s.fault({ endpoint: 'revoke', delayMs: IN_FLIGHT_DELAY_MS });
    const cancel = s.library.cancel(input.wallet, input.customerId, 'customer left');
    await s.waitForPendingActivity(input, 'revoke');
    await s.snapshot('revoking-in-flight', input, { state: 'REVOKING', inFlight: 'revoke', description: 'merchant cancel (update): projection removed, the revoke in flight' });
    await cancel;
    await s.snapshot('revoked', input, { state: 'REVOKED', status: 'COMPLETED', description: 'merchant cancel completed: REVOKED' });
  },

  async 'revoke-parked'(s) {
    const input = s.input('revoke-parked');
    await s.linkActive(input);
    s.fault({ endpoint: 'revoke', effect: { type: 'result', resultStatus: 'F', resultCode: 'ACCESS_DENIED' } });
    await s.library.cancel(input.wallet, input.customerId);
    await s.snapshot('revoke-parked', input, { state: 'NEEDS_ATTENTION', description: 'the revoke answered ACCESS_DENIED: parked in the revoke phase (token already withdrawn)' });
    await s.library.operatorRetry(input.wallet, input.customerId, 'fixed');
    await s.waitForState(s.handle(input).workflowId, 'REVOKED');
    await s.snapshot('revoke-parked-retried', input, { state: 'REVOKED', status: 'COMPLETED', description: 'operatorRetry repeated the revoke: REVOKED' });
  },

  async 'temporal-cancel'(s) {
    const input = s.input('temporal-cancel');
    await s.linkActive(input);
    await s.handle(input).cancel();
    await s.waitForState(s.handle(input).workflowId, 'REVOKED');
    await s.snapshot('revoked-by-temporal-cancel', input, { state: 'REVOKED', status: 'COMPLETED', description: 'a Temporal cancel request (the UI button) means the merchant cancel: REVOKED' });
  },

  async 'wallet-canceled'(s) {
    const input = s.input('wallet-canceled');
    await s.linkActive(input);
    await s.library.walletCanceled(input.wallet, input.customerId, 'TOKEN_CANCELED');
    await s.waitForState(s.handle(input).workflowId, 'CANCELED_BY_WALLET');
    await s.snapshot('canceled-by-wallet', input, { state: 'CANCELED_BY_WALLET', status: 'COMPLETED', description: 'TOKEN_CANCELED (walletCanceled signal): projection removed, no revoke call' });
  },

  async 'authorization-expired'(s) {
    const input = s.input('expired-consent', { policy: { authorizationWaitMs: 1_500 } });
    await s.link(input);
    await s.waitForState(s.handle(input).workflowId, 'AUTHORIZATION_EXPIRED');
    await s.snapshot('authorization-expired', input, { state: 'AUTHORIZATION_EXPIRED', status: 'COMPLETED', description: 'the customer never approved: AUTHORIZATION_EXPIRED' });
  },

  async 'token-expired'(s) {
    const input = s.input('token-expired', { wallet: EXPIRING_WALLET });
    await s.linkActive(input);
    await s.waitForState(s.handle(input).workflowId, 'TOKEN_EXPIRED');
    await s.snapshot('token-expired', input, { state: 'TOKEN_EXPIRED', status: 'COMPLETED', description: 'no refresh token: REAUTH_REQUIRED ahead of expiry, nobody relinked, TOKEN_EXPIRED' });
  },

  async 'authcode-reconsult'(s) {
    const input = s.input('reconsult');
    const response = await s.link(input);
    s.rememberLink(input, response.link!.authState);
    s.fault({ endpoint: 'applyToken', effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_AUTHCODE' } });
    // The fresh consult and the disposal of the dead code's exchange run side by side; holding the consult a moment
    // lets the disposal complete first every time (else their completions may or may not share a workflow task).
    s.fault({ endpoint: 'consult', delayMs: 1_500 });
    await s.consent(response.link!.authState);
    await s.waitForState(s.handle(input).workflowId, (view) => view.state === 'AWAITING_AUTH_CODE' && view.linkResult?.authState !== response.link!.authState);
    await s.snapshot('authcode-reconsulted', input, { state: 'AWAITING_AUTH_CODE', description: 'the authCode exchange answered INVALID_AUTHCODE: a fresh consult' });
  },

  async failed(s) {
    const input = s.input('failed');
    s.fault({ endpoint: 'consult', effect: { type: 'result', resultStatus: 'F', resultCode: 'USER_NOT_EXIST' } });
    await s.link(input);
    await s.waitForState(s.handle(input).workflowId, 'FAILED');
    await s.snapshot('failed', input, { state: 'FAILED', status: 'COMPLETED', description: 'consult answered USER_NOT_EXIST (customer-level final): FAILED' });
  },
};

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

export async function captureReplayHistories(options: CaptureOptions): Promise<CorpusManifest> {
  const log = options.log ?? (() => undefined);
  const names = options.only ?? Object.keys(SCENARIOS);
  for (const name of names) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const keyRing = replayKeyRing();
  const prefix = `replay-capture:${randomBytes(6).toString('hex')}:`;
  const secrets = new Set<string>();
  const authStates = new Map<string, string>();
  const logger = createLogger({ level: 'error', name: 'replay-capture' });

  const started = Date.now();
  const bundleDir = mkdtempSync(join(tmpdir(), 'antom-auth-replay-'));
  let server: DevServer | undefined;
  let sandbox: RunningSandbox | undefined;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const closers: Array<() => Promise<unknown>> = [];
  try {
    // The production prebundle (WORKFLOW_BUNDLE_PATH), as `antom-auth bundle` writes it.
    const bundle = { path: join(bundleDir, 'workflow-bundle.js') };
    const [devServer, code] = await Promise.all([startDevServer(), productionBundleOnce()]);
    writeFileSync(bundle.path, code);
    server = devServer;
    log(`dev server ${server.address}, production bundle built (${Math.round(Buffer.byteLength(code) / 1024)} KiB) in ${Date.now() - started} ms`);
    sandbox = await startSandbox({
      privateKey: antomKeys.privateKey,
      merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
      walletPolicies: { [EXPIRING_WALLET]: { accessTokenLifetimeMs: 6_000, refreshTokenLifetimeMs: null, rotateRefreshToken: false } },
    });
    const antom = new SecretRecordingAntomClient({ clientId: MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: sandbox.publicKey, baseUrl: sandbox.url, platform: 'antom' }, secrets);
    closers.push(() => antom.close());
    const config = loadConfig({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      WORKFLOW_BUNDLE_PATH: bundle.path,
      LOG_LEVEL: 'error',
    });
    const worker = await createWorker(config, { connection: server.env.nativeConnection, antom: { antom }, keyRing, redis, logger });
    const running = worker.run();
    closers.unshift(async () => {
      worker.shutdown();
      await running;
    });
    const client = new Client({ connection: server.env.connection, namespace: server.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
    const library = new AuthorizationClient({ workflowClient: client.workflow, redis, keyRing, keyPrefix: prefix, taskQueue: TASK_QUEUE });
    const world: CaptureWorld = {
      client,
      library,
      sandbox,
      secrets,
      authStates,
      workflowIdOfAuthState: (authState) => {
        const id = authStates.get(authState);
        if (!id) throw new Error(`unknown authState ${authState}`);
        return id;
      },
    };

    const snapshots: Snapshot[] = [];
    for (const name of names) {
      const begun = Date.now();
      const context = new ScenarioContext(name, world);
      sandbox.admin.clearFaults();
      try {
        await SCENARIOS[name]!(context);
      } finally {
        sandbox.admin.clearFaults();
      }
      snapshots.push(...context.snapshots);
      log(`  ${name}: ${context.snapshots.map((snap) => `${snap.entry.file} (${snap.entry.state}, ${snap.entry.events} events)`).join(', ')} in ${Date.now() - begun} ms`);
    }

    // No secret the sandbox issued may appear in a history, in plaintext or base64 (the codec's job).
    for (const snapshot of snapshots) {
      for (const secret of secrets) {
        if (snapshot.json.includes(secret) || snapshot.json.includes(Buffer.from(secret).toString('base64'))) {
          throw new Error(`${snapshot.entry.file} contains a plaintext secret: the payload codec is off somewhere; nothing was written`);
        }
      }
    }
    if (secrets.size === 0) throw new Error('no token or authCode was recorded: the secret check would prove nothing');

    const manifest: CorpusManifest = {
      capturedAt: new Date().toISOString(),
      gitCommit: gitCommit(),
      temporalCli: cliVersion(),
      sdk: packageVersion('@temporalio/worker'),
      keyId: keyRing.currentKeyId,
      histories: snapshots.map((snap) => snap.entry),
    };
    mkdirSync(options.outDir, { recursive: true });
    for (const stale of readdirSync(options.outDir).filter((file) => file.endsWith('.json'))) rmSync(join(options.outDir, stale));
    for (const snapshot of snapshots) writeFileSync(join(options.outDir, snapshot.entry.file), snapshot.json);
    writeFileSync(join(options.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`${snapshots.length} histories (${secrets.size} secrets checked absent) written to ${options.outDir} in ${Date.now() - started} ms`);
    return manifest;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    await server?.teardown().catch(() => undefined);
    await deleteKeys(redis, `${prefix}*`).catch(() => undefined);
    redis.disconnect();
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

function cliVersion(): string {
  const cli = locateTemporalBinary('cli');
  try {
    return cli ? (execFileSync(cli.path, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '').trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (batch.length > 0) await redis.del(...batch);
  } while (cursor !== '0');
}
