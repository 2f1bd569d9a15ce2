// The merchant library on the offline workflow environment: the real workflow bundle, the real activities against
// the real sandbox, real Redis, and the encrypting data converter — the client only sees a WorkflowClient-shaped
// object, as it would with @temporalio/client.
import { SEARCH_ATTRIBUTES } from '../src/workflows/definitions';
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createActivities, createActivityStore } from '../src/activities';
import { AntomClient } from '../src/antom/client';
import {
  AuthorizationClient,
  AuthorizationNotFoundError,
  AuthorizationRequestRejectedError,
  UnknownAuthStateError,
  type LinkInput,
} from '../src/client';
import { createEncryptingDataConverter } from '../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec } from '../src/codec/keyRing';
import { createLogger } from '../src/logger';
import { startSandbox, type RunningSandbox } from '../src/sandbox';
import { allKeys } from './store/redisTestContext';
import { redisKeys } from '../src/store/redisKeys';
import { antomKeys, merchantKeys } from './support/fixtureKeys';
import { OfflineWorkflowEnvironment } from './support/offlineEnvironment';

const MERCHANT = 'SANDBOX_MERCHANT_1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Setup {
  env: OfflineWorkflowEnvironment;
  sandbox: RunningSandbox;
  redis: Redis;
  prefix: string;
  client: AuthorizationClient;
}

async function setUp(t: ExecutionContext): Promise<Setup> {
  const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
  const prefix = `test:client:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  // The sandbox and the activities follow the environment's virtual clock, which exists only once they do.
  const virtual: { env?: OfflineWorkflowEnvironment } = {};
  const now = () => virtual.env?.now() ?? Date.now();
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
    clock: { now },
    // request-time comes from the client's real clock while the sandbox runs on virtual time.
    requestTimeWindowMs: null,
  });
  const antom = new AntomClient({ clientId: MERCHANT, privateKey: merchantKeys.privateKey, antomPublicKey: sandbox.publicKey, baseUrl: sandbox.url });
  const activities = createActivities({
    antom: { antom },
    store: createActivityStore({ redis, keyRing, keyPrefix: prefix }),
    logger: createLogger({ level: 'silent' }),
    clock: now,
  });
  const env = await OfflineWorkflowEnvironment.create({
    workflowsPath: require.resolve('../src/workflows'),
    activities,
    dataConverter: createEncryptingDataConverter(keyRing),
    searchAttributes: Object.values(SEARCH_ATTRIBUTES),
  });
  virtual.env = env;
  const client = new AuthorizationClient({ workflowClient: env.client.workflow, redis, keyRing, keyPrefix: prefix, taskQueue: env.taskQueue });
  t.teardown(async () => {
    await env.teardown();
    await antom.close();
    await sandbox.close();
    const keys = await allKeys(redis, prefix);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return { env, sandbox, redis, prefix, client };
}

const linkInput = (wallet: string, customerId: string): LinkInput => ({
  customerId,
  wallet,
  profile: 'antom',
  consult: { authRedirectUrl: 'https://merchant.example/return', terminalType: 'WEB' },
});

/** link → the customer approves → the redirect delivers the authCode. Returns what the wallet handed over. */
async function linkAndAuthorize(s: Setup, wallet: string, customerId: string) {
  const linked = await s.client.link(linkInput(wallet, customerId));
  const authState = linked.link!.authState;
  const approved = s.sandbox.admin.approve({ authState, clientId: MERCHANT });
  const delivered = await s.client.deliverAuthCode({ authCode: approved.authCode, authState, source: 'redirect' });
  await s.env.runUntilIdle();
  return { linked, approved, delivered };
}

const consults = (s: Setup) => s.sandbox.admin.requests().filter((r) => r.endpoint === 'consult').length;

test('link is idempotent: twice → the same workflow and the same link result, one consult', async (t) => {
  const s = await setUp(t);
  const first = await s.client.link(linkInput('GCASH', 'c-1'));
  const second = await s.client.link(linkInput('GCASH', 'c-1'));
  t.is(first.workflowId, 'authorization:GCASH:c-1');
  t.is(first.state, 'AWAITING_AUTH_CODE');
  t.truthy(first.link?.normalUrl);
  t.deepEqual(second, first);
  t.is(consults(s), 1);
});

test('authCode by redirect then by notification: routed by authState, second is a duplicate; token readable; cancel revokes', async (t) => {
  const s = await setUp(t);
  const { linked, approved, delivered } = await linkAndAuthorize(s, 'GCASH', 'c-2');
  t.is(delivered.workflowId, linked.workflowId);
  t.true(delivered.accepted);
  const again = await s.client.deliverAuthCode({ authCode: approved.authCode, authState: approved.authState, source: 'notification' });
  t.true(again.duplicate);

  const view = await s.client.getState('GCASH', 'c-2');
  t.is(view.state, 'ACTIVE');
  t.false(JSON.stringify(view).includes(approved.authCode));
  const token = await s.client.getAccessToken('GCASH', 'c-2');
  t.is(token?.source, 'redis');
  t.true(s.sandbox.admin.isAccessTokenUsable(token!.accessToken));
  t.false(JSON.stringify(view).includes(token!.accessToken), 'the public view never holds the token');

  const expiring = await s.client.expiringBefore(Date.parse(token!.accessTokenExpiry) + 1);
  t.deepEqual(expiring.map((m) => m.workflowId), [linked.workflowId]);

  const canceled = await s.client.cancel('GCASH', 'c-2', 'customer closed the account');
  t.is(canceled.state, 'REVOKED');
  t.false(s.sandbox.admin.isAccessTokenUsable(token!.accessToken));
  t.is(await s.client.getAccessToken('GCASH', 'c-2'), undefined);
});

test('a lost Redis projection is rebuilt from the workflow on the payment path', async (t) => {
  const s = await setUp(t);
  await linkAndAuthorize(s, 'TNG', 'c-3');
  const before = await s.client.getAccessToken('TNG', 'c-3');
  const keys = await allKeys(s.redis, s.prefix);
  await s.redis.del(...keys); // Redis flushed
  const after = await s.client.getAccessToken('TNG', 'c-3');
  t.is(after?.source, 'workflow');
  t.is(after?.accessToken, before?.accessToken);
  t.is((await s.client.getAccessToken('TNG', 'c-3'))?.source, 'redis', 'projected again');
});

test('deliverAuthCode: an unknown authState and a wrong authState are refused without echoing the authCode', async (t) => {
  const s = await setUp(t);
  await t.throwsAsync(s.client.deliverAuthCode({ authCode: 'code-123456', authState: 'never-issued', source: 'redirect' }), { instanceOf: UnknownAuthStateError });
  const linked = await s.client.link(linkInput('GCASH', 'c-4'));
  // An authState indexed to this workflow but not its current consult (e.g. a stale one).
  await s.redis.set(`${s.prefix}auth-state:stale-state`, linked.workflowId);
  const error = await t.throwsAsync(s.client.deliverAuthCode({ authCode: 'code-abcdef-secret', authState: 'stale-state', source: 'notification' }), {
    instanceOf: AuthorizationRequestRejectedError,
  });
  t.false(error!.message.includes('code-abcdef-secret'));
  t.is((await s.client.getState('GCASH', 'c-4')).state, 'AWAITING_AUTH_CODE');
});

test('TOKEN_CANCELED by access token → CANCELED_BY_WALLET, projection gone, no revoke call', async (t) => {
  const s = await setUp(t);
  await linkAndAuthorize(s, 'GCASH', 'c-5');
  const token = await s.client.getAccessToken('GCASH', 'c-5');
  t.is(await s.client.walletCanceledByAccessToken(token!.accessToken, 'unlinked in the app'), 'authorization:GCASH:c-5');
  await s.env.runUntilIdle();
  t.is((await s.client.getState('GCASH', 'c-5')).state, 'CANCELED_BY_WALLET');
  t.is(s.sandbox.admin.requests().filter((r) => r.endpoint === 'revoke').length, 0);
  // What may remain under token: is the removal's tombstone (version + removed flag), which keeps a late projection
  // write from resurrecting the token; no token, digest or metadata survives.
  // Projection keys carry their bucket's hash tag after the prefix: `<prefix>{projection-NN}:token:<workflowId>`.
  const stored = await allKeys(s.redis, s.prefix);
  for (const key of stored.filter((k) => k === redisKeys(s.prefix).tokenProjection('authorization:GCASH:c-5'))) {
    t.deepEqual(Object.keys(await s.redis.hgetall(key)).sort(), ['removed', 'version'], `${key} holds only a tombstone`);
  }
  t.deepEqual(stored.filter((k) => k.includes('}:token-by-access-token:')), [], 'the token lookup is gone');
  t.is(await s.client.getAccessToken('GCASH', 'c-5'), undefined);
  t.is(await s.client.walletCanceledByAccessToken('unknown-token-0000000000000'), undefined);
});

test('refreshNow refreshes at once; a systemic refresh failure parks until operatorRetry', async (t) => {
  const s = await setUp(t);
  await linkAndAuthorize(s, 'GCASH', 'c-6');
  const original = await s.client.getAccessToken('GCASH', 'c-6');
  await s.client.refreshNow('GCASH', 'c-6', 'support ticket 42');
  await s.env.runUntilIdle();
  const refreshed = await s.client.getAccessToken('GCASH', 'c-6');
  t.not(refreshed?.accessToken, original?.accessToken);
  t.is((await s.client.getState('GCASH', 'c-6')).refreshCount, 1);

  s.sandbox.admin.addFault({ endpoint: 'applyToken', effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_SIGNATURE', process: false } });
  await s.client.refreshNow('GCASH', 'c-6');
  await s.env.runUntilIdle();
  const parked = await s.client.getState('GCASH', 'c-6');
  t.is(parked.state, 'NEEDS_ATTENTION');
  t.is(parked.attention?.code, 'INVALID_SIGNATURE');
  t.is((await s.client.getAccessToken('GCASH', 'c-6'))?.accessToken, refreshed?.accessToken, 'the token is kept');

  await s.client.operatorRetry('GCASH', 'c-6', 'key fixed');
  await s.env.runUntilIdle();
  const resumed = await s.client.getState('GCASH', 'c-6');
  t.is(resumed.state, 'ACTIVE');
  t.is(resumed.refreshCount, 2);
});

test('unknown authorizations: getState throws AuthorizationNotFoundError, getAccessToken answers undefined', async (t) => {
  const s = await setUp(t);
  await t.throwsAsync(s.client.getState('GCASH', 'nobody'), { instanceOf: AuthorizationNotFoundError });
  t.is(await s.client.getAccessToken('GCASH', 'nobody'), undefined);
});
