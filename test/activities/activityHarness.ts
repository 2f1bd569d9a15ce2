/**
 * Shared set-up of the activity tests: the real sandbox on loopback with the fixture merchant, real AntomClients for
 * both profiles, a real Redis under a unique key prefix (every key deleted afterwards), the real activities, and a
 * captured log. Activities run in MockActivityEnvironment with a chosen activity identity, so a "retry" is the same
 * workflow run + activity id with a higher attempt — exactly what Temporal does.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { ExecutionContext } from 'ava';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { Redis } from 'ioredis';
import { createActivities, createActivityStore, type ActivityDependencies, type ActivityStore } from '../../src/activities';
import { AntomClient } from '../../src/antom/client';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../src/codec/keyRing';
import { createLogger } from '../../src/logger';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox';
import type { AuthorizationActivities, ConsultOptions, Profile } from '../../src/workflows/activityContract';
import { allKeys, everythingStored } from '../store/redisTestContext';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';

export const MERCHANT = 'SANDBOX_MERCHANT_1';
export const REDIRECT_URL = 'https://merchant.example/antom/return';
export const SUB_MERCHANT = 'SUB_MERCHANT_1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ActivityHarness {
  sandbox: RunningSandbox;
  redis: Redis;
  prefix: string;
  keyRing: KeyRing;
  store: ActivityStore;
  activities: AuthorizationActivities;
  deps: ActivityDependencies;
  /** Every log line written by the activities. */
  logLines: string[];
  /** Runs one activity attempt as `workflowId`'s activity `activityId`, attempt `attempt`. */
  run<K extends keyof AuthorizationActivities>(
    name: K,
    input: Parameters<AuthorizationActivities[K]>[0],
    identity?: Partial<ActivityIdentityOptions>,
    activities?: AuthorizationActivities,
  ): ReturnType<AuthorizationActivities[K]>;
  /** A Redis connection whose every command fails at once (Redis "down"); closed on teardown. */
  deadRedis(): Redis;
  /** Requests the sandbox received for `endpoint` since the harness started. */
  requestsTo(endpoint: string): number;
}

export interface ActivityIdentityOptions {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
}

export interface HarnessOptions {
  sandbox?: Omit<SandboxOptions, 'merchants' | 'privateKey'>;
  /** Shared rate limit per endpoint (default: high enough never to matter). */
  requestsPerSecond?: number;
  rateLimitMaxWaitMs?: number;
  /** Which profiles get a client (default both). */
  profiles?: Profile[];
  /** The clients' response deadline (default 3 s). */
  responseTimeoutMs?: number;
}

export async function createHarness(t: ExecutionContext, options: HarnessOptions = {}): Promise<ActivityHarness> {
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
    ...options.sandbox,
  });
  const clients: Partial<Record<Profile, AntomClient>> = {};
  for (const profile of options.profiles ?? ['antom', 'alipayplus']) {
    clients[profile] = new AntomClient({
      clientId: MERCHANT,
      privateKey: merchantKeys.privateKey,
      antomPublicKey: sandbox.publicKey,
      baseUrl: sandbox.url,
      platform: profile,
      // Transport failures must surface within the test's patience.
      timeouts: { responseMs: options.responseTimeoutMs ?? 3_000, authCodeResponseMs: options.responseTimeoutMs ?? 3_000 },
    });
  }
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = `test:activities:${randomBytes(6).toString('hex')}:`;
  const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  const store = createActivityStore({
    redis,
    keyRing,
    keyPrefix: prefix,
    requestsPerSecond: options.requestsPerSecond ?? 1_000,
    ...(options.rateLimitMaxWaitMs === undefined ? {} : { rateLimitMaxWaitMs: options.rateLimitMaxWaitMs }),
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const deps: ActivityDependencies = {
    antom: clients,
    store,
    logger: createLogger({ level: 'debug', name: 'activities-test' }, sink),
    alipayPlusAuthClient: { name: 'Sub Merchant One Ltd' },
  };
  const activities = createActivities(deps);
  const temporalLogger: TemporalLogger = {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => void logLines.push(`${level} ${message} ${inspect(meta, { depth: 6 })}`),
    trace: (message, meta) => temporalLogger.log('TRACE', message, meta),
    debug: (message, meta) => temporalLogger.log('DEBUG', message, meta),
    info: (message, meta) => temporalLogger.log('INFO', message, meta),
    warn: (message, meta) => temporalLogger.log('WARN', message, meta),
    error: (message, meta) => temporalLogger.log('ERROR', message, meta),
  };
  const startSeq = sandbox.admin.requests().length;

  t.teardown(async () => {
    const keys = await allKeys(redis, prefix);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await Promise.all(Object.values(clients).map((client) => client.close()));
    await sandbox.close();
  });

  return {
    sandbox,
    redis,
    prefix,
    keyRing,
    store,
    activities,
    deps,
    logLines,
    deadRedis() {
      const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      dead.on('error', () => undefined); // the refusals are the point
      t.teardown(() => dead.disconnect());
      return dead;
    },
    run(name, input, identity = {}, chosen = activities) {
      const info: Partial<Info> = {
        activityId: identity.activityId ?? '1',
        attempt: identity.attempt ?? 1,
        activityType: name,
        workflowExecution: { workflowId: identity.workflowId ?? 'authorization:GCASH:customer-1', runId: identity.runId ?? 'run-1' },
      };
      // Temporal's own activity logger (it logs failures) goes to the captured lines too: it must not leak either.
      const env = new MockActivityEnvironment(info, { logger: temporalLogger });
      const fn = chosen[name] as (arg: typeof input) => ReturnType<AuthorizationActivities[typeof name]>;
      return env.run(fn, input) as ReturnType<AuthorizationActivities[typeof name]>;
    },
    requestsTo(endpoint) {
      return sandbox.admin.requests().slice(startSeq).filter((request) => request.endpoint === endpoint).length;
    },
  };
}

let counter = 0;
export function uniqueAuthState(label = 'state'): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Date.now()}`;
}

export const webConsult = (extra: Partial<ConsultOptions> = {}): ConsultOptions => ({
  authRedirectUrl: REDIRECT_URL,
  terminalType: 'WEB',
  ...extra,
});

/** consult through the activity, then the customer approves in the sandbox; returns the fresh authCode. */
export async function consultAndApprove(
  h: ActivityHarness,
  wallet: string,
  profile: Profile = 'antom',
  options: Partial<ConsultOptions> = {},
): Promise<{ authCode: string; authState: string }> {
  const authState = uniqueAuthState(wallet);
  await h.run('consult', { profile, wallet, authState, options: webConsult(options) });
  const approved = h.sandbox.admin.approve({ authState, clientId: MERCHANT });
  return { authCode: approved.authCode, authState };
}

/** Fails if any secret (or its base64 form) occurs in any key or value the activities wrote to Redis. */
export async function assertNotStoredIn(t: ExecutionContext, h: ActivityHarness, secrets: readonly string[]): Promise<void> {
  const stored = await everythingStored(h.redis, h.prefix);
  t.true(stored.length > 0, 'something was stored');
  for (const secret of secrets) {
    t.false(stored.includes(secret), 'plaintext secret found in Redis');
    t.false(stored.includes(Buffer.from(secret).toString('base64')), 'base64 of a secret found in Redis');
  }
}
