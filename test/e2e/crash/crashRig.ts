/**
 * The rig for the crash-safety tests: everything real, the worker in a child process that can be SIGKILLed.
 *
 *   shared per test file   a Temporal dev server on free ports (test/support/devServer.ts, search attributes
 *                          registered) and the production workflow prebundle (WORKFLOW_BUNDLE_PATH)
 *   per scenario           its own sandbox (in process; scripted faults are per sandbox, so concurrent scenarios
 *                          cannot take each other's fault), its own Redis key prefix on the shared Redis, its own
 *                          task queue and key ring, the merchant library (src/client.ts) on a real Temporal Client,
 *                          and worker child processes (node --import tsx …):
 *                            'crashable'   test/e2e/crash/crashableWorker.ts: src/worker.ts's createWorker from
 *                                          the same environment, plus a pause after the n-th journal write — the
 *                                          one that is killed
 *                            'standby'     test/e2e/crash/standbyWorker.ts: src/worker.ts's own main() (what
 *                                          `npm run worker` runs), loaded ahead and started by `go()` right after
 *                                          the kill — the one that takes over
 *   tokenWatch             polls the payment path (client.getAccessToken) and records every token it is handed, to
 *                          check afterwards that none was dead when served.
 */
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { AuthorizationClient, type AccessToken, type LinkInput } from '../../../src/client';
import { createEncryptingDataConverter } from '../../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec } from '../../../src/codec/keyRing';
import { maskSecret } from '../../../src/logger';
import { SHORT_LIVED_TEST_WALLET, startSandbox, type FaultScript, type RunningSandbox, type WalletPolicy } from '../../../src/sandbox';
import { buildWorkflowBundle } from '../../../src/worker';
import type { AuthorizationView } from '../../../src/workflows/definitions';
import { allKeys, REDIS_URL } from '../../store/redisTestContext';
import { startDevServer, type DevServer } from '../../support/devServer';
import { antomKeys, fixtureKeyPaths, merchantKeys } from '../../support/fixtureKeys';
import { JOURNAL_WRITTEN_MARKER, PAUSE_AFTER_JOURNAL_WRITE_ENV } from './crashableWorker';
import { STANDBY_LOADED_MARKER } from './standbyWorker';

export const MERCHANT = 'SANDBOX_CRASH_TEST_MERCHANT';
/** The sandbox's short-lived rotating wallet; each scenario sets its lifetimes. */
export const WALLET = SHORT_LIVED_TEST_WALLET;

const REPO = resolve(__dirname, '..', '..', '..');
const ENTRIES = {
  crashable: join(__dirname, 'crashableWorker.ts'),
  standby: join(__dirname, 'standbyWorker.ts'),
} as const;
const READY = /"msg":"worker ready"/;
/** A cold start on a loaded 2-core machine (tsx, the SDK, the native runtime) can take a minute or more. */
const START_TIMEOUT_MS = 240_000;

let sharedDevServer: Promise<DevServer> | undefined;
let sharedBundle: Promise<string> | undefined;

function devServer(): Promise<DevServer> {
  sharedDevServer ??= startDevServer();
  return sharedDevServer;
}

function workflowBundle(): Promise<string> {
  sharedBundle ??= buildWorkflowBundle(join(mkdtempSync(join(tmpdir(), 'antom-auth-crash-')), 'workflow-bundle.js')).then((b) => b.path);
  return sharedBundle;
}

/** Call from test.after.always. */
/**
 * Client calls in flight across this file's rigs. A call that met an aborted update (the killed worker held the
 * workflow task) may still be in the SDK's retry backoff when its test ends; closing the connection under it makes
 * the retry timer throw (an uncaught "Channel has been shut down"). So the server goes only once none is left.
 */
let callsInFlight = 0;

/** `target` with every promise-returning method counted in callsInFlight until it settles (handles too). */
function countingCalls<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (property === 'getHandle' && typeof result === 'object' && result !== null) return countingCalls(result);
        if (result instanceof Promise) {
          callsInFlight += 1;
          return result.finally(() => (callsInFlight -= 1));
        }
        return result;
      };
    },
  });
}

export async function stopSharedServer(): Promise<void> {
  await waitFor('client calls in flight to settle', () => (callsInFlight === 0 ? true : undefined), 120_000, 100).catch(() => undefined);
  await sleep(500);
  const server = await sharedDevServer?.catch(() => undefined);
  sharedDevServer = undefined;
  await server?.teardown();
}

/** The line the crashable worker prints when it holds the n-th journal write's activity. */
export const journalWritten = (n: number): RegExp => new RegExp(`^${JOURNAL_WRITTEN_MARKER} ${n} `);

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Payment-path reads the token watch keeps in flight at most. */
const WATCH_CONCURRENCY = 4;

/** Polls `check` until it returns a value (not undefined), or throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export interface WorkerChild {
  readonly kind: keyof typeof ENTRIES;
  readonly pid: number;
  readonly output: string[];
  /** Resolves with the first output line matching, or throws after `timeoutMs` / when the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL (no shutdown, no grace, no finally blocks) and wait for the process to be gone. */
  kill(): Promise<void>;
  /** Standby only: run src/worker.ts's main() now; resolves once the worker is ready. */
  go(): Promise<void>;
  /** Why it exited, when it did (its last lines). */
  readonly lastLines: string;
  readonly exited: boolean;
}

/** What the payment path handed out while the token watch ran. */
export interface ServedRead {
  startedAt: number;
  endedAt: number;
  token?: AccessToken;
  /** The sandbox's verdict right after the read: could a payment use this token? */
  usable?: boolean;
  error?: string;
}

export interface TokenWatch {
  readonly reads: ServedRead[];
  stop(): Promise<void>;
}

export interface CrashRig {
  readonly sandbox: RunningSandbox;
  readonly redis: Redis;
  readonly prefix: string;
  readonly taskQueue: string;
  readonly client: AuthorizationClient;
  readonly customerId: string;
  /** 'crashable': resolves once it is ready (polling). 'standby': once it is loaded; `go()` starts it. */
  startWorker(kind: keyof typeof ENTRIES, options?: { pauseAfterJournalWrite?: number }): Promise<WorkerChild>;
  /**
   * The standby takes over (`go`). Its start-up checks have production's 5 s timeouts; when they fail on a loaded
   * machine the worker exits, and — as an orchestrator restarts a crash-looping container — a new one is started.
   */
  takeOver(standby: WorkerChild): Promise<WorkerChild>;
  /** link → consult → the customer approves in the sandbox → the authCode is delivered (as the redirect would). */
  linkAndApprove(): Promise<{ authCode: string; authState: string }>;
  /** Approves the authorization's current consult (e.g. after a fresh consult) and delivers its code. */
  approveCurrentConsult(previousAuthState?: string): Promise<{ authCode: string; authState: string }>;
  state(): Promise<AuthorizationView>;
  waitForState(state: string, timeoutMs?: number): Promise<AuthorizationView>;
  /** Arms a fault and resolves when a call has consumed it (the sandbox holds that request now, for a delay). */
  armFault(script: FaultScript): { consumed(timeoutMs?: number): Promise<void> };
  applyTokenRequests(): ReturnType<RunningSandbox['admin']['requests']>;
  watchTokens(): TokenWatch;
  /** Masked like the sandbox's admin views (first 4 … last 2 characters). */
  mask(secret: string): string;
}

export async function createCrashRig(t: ExecutionContext, options: { policy: WalletPolicy; customerId: string }): Promise<CrashRig> {
  const [server, bundlePath] = await Promise.all([devServer(), workflowBundle()]);
  const keyRingSpec = `k1:${generateEncryptionKey()}`;
  const keyRing = parseKeyRingSpec(keyRingSpec);
  const prefix = `test:crash:${randomBytes(6).toString('hex')}:`;
  const taskQueue = `crash-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
    walletPolicies: { [WALLET]: options.policy },
  });
  const temporal = new Client({ connection: server.env.connection, namespace: server.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
  const client = new AuthorizationClient({ workflowClient: countingCalls(temporal.workflow), redis, keyRing, keyPrefix: prefix, taskQueue });
  const children: WorkerChild[] = [];
  const watches: TokenWatch[] = [];
  const { customerId } = options;

  const workerEnv = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    ENCRYPTION_KEYS: keyRingSpec,
    ANTOM_BASE_URL: sandbox.url,
    ANTOM_CLIENT_ID: MERCHANT,
    ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem,
    ANTOM_PUBLIC_KEY_FILE: fixtureKeyPaths.antomPublicPem,
    LOG_LEVEL: 'info',
  });

  const startWorker: CrashRig['startWorker'] = async (kind, workerOptions = {}) => {
    const env = workerEnv();
    if (workerOptions.pauseAfterJournalWrite !== undefined) env[PAUSE_AFTER_JOURNAL_WRITE_ENV] = String(workerOptions.pauseAfterJournalWrite);
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ENTRIES[kind]], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const output: string[] = [];
    const listeners = new Set<() => void>();
    let exited = false;
    const exit = new Promise<void>((done) => child.once('exit', () => { exited = true; listeners.forEach((l) => l()); done(); }));
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        output.push(...lines);
        listeners.forEach((l) => l());
      });
    };
    collect(child.stdout);
    collect(child.stderr);
    const handle: WorkerChild = {
      kind,
      pid: child.pid!,
      output,
      get exited() {
        return exited;
      },
      get lastLines() {
        return output.slice(-5).join('\n');
      },
      waitForLine(pattern, timeoutMs = START_TIMEOUT_MS) {
        return new Promise<string>((done, fail) => {
          const check = () => {
            const line = output.find((l) => pattern.test(l));
            if (line !== undefined) finish(() => done(line));
            else if (exited) finish(() => fail(new Error(`${kind} worker exited before printing ${pattern}:\n${output.slice(-15).join('\n')}`)));
          };
          const timer = setTimeout(() => finish(() => fail(new Error(`${kind} worker printed no ${pattern} within ${timeoutMs} ms:\n${output.slice(-15).join('\n')}`))), timeoutMs);
          const finish = (settle: () => void) => {
            clearTimeout(timer);
            listeners.delete(check);
            settle();
          };
          listeners.add(check);
          check();
        });
      },
      async kill() {
        if (!exited) child.kill('SIGKILL');
        await exit;
      },
      async go() {
        child.stdin?.write('go\n');
        await handle.waitForLine(READY);
      },
    };
    children.push(handle);
    await handle.waitForLine(kind === 'standby' ? new RegExp(STANDBY_LOADED_MARKER) : READY);
    return handle;
  };

  const state = () => client.getState(WALLET, customerId);

  const approveCurrentConsult: CrashRig['approveCurrentConsult'] = async (previousAuthState) => {
    // The first time the merchant links; after a fresh consult the workflow already holds the new link.
    const authState = previousAuthState === undefined
      ? (await client.link(linkInput(customerId))).link!.authState
      : await waitFor('a fresh consult awaiting the customer', async () => {
        const view = await state();
        const fresh = view.state === 'AWAITING_AUTH_CODE' ? view.linkResult?.authState : undefined;
        return fresh !== previousAuthState ? fresh : undefined;
      }, 90_000, 250);
    const approved = sandbox.admin.approve({ authState, clientId: MERCHANT });
    await client.deliverAuthCode({ authCode: approved.authCode, authState, source: 'redirect' });
    return { authCode: approved.authCode, authState };
  };

  const rig: CrashRig = {
    sandbox,
    redis,
    prefix,
    taskQueue,
    client,
    customerId,
    startWorker,
    async takeOver(standby) {
      let worker = standby;
      for (let start = 1; ; start++) {
        try {
          await worker.go();
          return worker;
        } catch (error) {
          if (!worker.exited || start >= 3) throw error;
          t.log(`the replacement worker exited at start-up (${worker.lastLines.split('\n').pop()}); starting another`);
          worker = await startWorker('standby');
        }
      }
    },
    linkAndApprove: () => approveCurrentConsult(undefined),
    approveCurrentConsult,
    state,
    async waitForState(wanted, timeoutMs = 90_000) {
      let last: AuthorizationView | undefined;
      try {
        return await waitFor(`state ${wanted}`, async () => {
          last = await state();
          return last.state === wanted ? last : undefined;
        }, timeoutMs, 250);
      } catch (error) {
        const seen = last ? `${last.state}${last.lastError ? ` (last error ${last.lastError.code} in ${last.lastError.phase})` : ''}` : 'nothing';
        throw new Error(`${(error as Error).message}; last seen: ${seen}`, { cause: error });
      }
    },
    armFault(script) {
      const id = sandbox.admin.addFault(script);
      return {
        // A spent script leaves the list at the moment the sandbox decides on the call (before any delay).
        consumed: (timeoutMs = 60_000) => waitFor('the fault to be consumed', () => (sandbox.admin.faults().some((f) => f.id === id) ? undefined : true), timeoutMs, 20).then(() => undefined),
      };
    },
    applyTokenRequests: () => sandbox.admin.requests().filter((r) => r.endpoint === 'applyToken'),
    mask: maskSecret,
    watchTokens() {
      const reads: ServedRead[] = [];
      let running = true;
      const readOnce = async (): Promise<void> => {
        const startedAt = Date.now();
        try {
          const token = await client.getAccessToken(WALLET, customerId);
          const read: ServedRead = { startedAt, endedAt: Date.now() };
          if (token) {
            read.token = token;
            read.usable = sandbox.admin.isAccessTokenUsable(token.accessToken);
          }
          reads.push(read);
        } catch (error) {
          reads.push({ startedAt, endedAt: Date.now(), error: error instanceof Error ? error.message : String(error) });
        }
      };
      // Up to WATCH_CONCURRENCY reads at a time, a new one every 100 ms: a read that misses the projection waits for
      // the workflow (behind a dead worker, many seconds), and payments keep asking meanwhile — so must the watch,
      // or a whole window (e.g. the old token's expiry) would go unasked.
      const loop = (async () => {
        const inFlight = new Set<Promise<void>>();
        while (running) {
          if (inFlight.size >= WATCH_CONCURRENCY) await Promise.race(inFlight);
          const read = readOnce();
          inFlight.add(read);
          void read.finally(() => inFlight.delete(read));
          await sleep(100);
        }
        await Promise.all(inFlight);
      })();
      const watch: TokenWatch = {
        reads,
        async stop() {
          running = false;
          // Let the read in flight finish (a live worker answers it): a call still retrying when the connection is
          // closed at the end of the file would throw from the SDK's retry timer.
          await Promise.race([loop, sleep(120_000)]);
        },
      };
      watches.push(watch);
      return watch;
    },
  };

  t.teardown(async () => {
    await Promise.all(watches.map((w) => w.stop()));
    await Promise.all(children.map((c) => c.kill()));
    await sandbox.close();
    const keys = await allKeys(redis, prefix);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return rig;
}

export const linkInput = (customerId: string): LinkInput => ({
  customerId,
  wallet: WALLET,
  profile: 'antom',
  consult: { authRedirectUrl: 'https://merchant.example/return', terminalType: 'WEB' },
});

/**
 * Every token the payment path handed out that it must not have: served after `withdrawnAt` (a cancel accepted), or
 * by a read that started after the token's own expiry, or that the sandbox called unusable at the end of the read
 * (revoked, canceled, unknown) — except within a second of its expiry, where the read and the check straddle it.
 */
export function deadTokensServed(reads: readonly ServedRead[], withdrawnAt = Number.POSITIVE_INFINITY): ServedRead[] {
  return reads.filter((read) => {
    if (!read.token) return false;
    const expiry = Date.parse(read.token.accessTokenExpiry);
    if (read.startedAt >= withdrawnAt) return true;
    if (read.startedAt >= expiry) return true;
    return read.usable === false && read.endedAt < expiry - 1_000;
  });
}
