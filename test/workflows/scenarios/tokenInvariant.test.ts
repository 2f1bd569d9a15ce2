/**
 * The rule above all: a token the merchant canceled, the wallet canceled, or that expired is never handed to the
 * payment path (the library's getAccessToken, which `GET …/token` uses). Each scenario reproduces a failure found by
 * review on the earlier code, on both environments.
 */
import { Redis } from 'ioredis';
import { parseAuthorizationWorkflowId } from '../../../src/api/walletReturnRoute';
import { AuthorizationClient } from '../../../src/client';
import { redisKeys } from '../../../src/store/redisKeys';
import { HOUR, MINUTE, SCENARIO_KEY_RING, authorizationScenario, type LinkedCustomer, type ScenarioHarness } from './harness';

async function activate(h: ScenarioHarness, wallet = 'GCASH'): Promise<LinkedCustomer> {
  const customer = await h.link({ wallet });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

function ids(customer: LinkedCustomer): { wallet: string; customerId: string } {
  return parseAuthorizationWorkflowId(customer.workflowId)!;
}

authorizationScenario('revoke answers U and the merchant cancels: the token is never served again, also after the revoke parks', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const { wallet, customerId } = ids(customer);
  const library = h.library();
  const token = (await library.getAccessToken(wallet, customerId))?.accessToken;
  t.truthy(token, 'served while active');
  h.sandbox.admin.addFault({ endpoint: 'revoke', times: 10_000, effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
  const canceling = library.cancel(wallet, customerId, 'closing the account');
  await h.sleep(MINUTE);
  t.is(await library.getAccessToken(wallet, customerId), undefined, 'one minute into the cancel');
  await h.sleep(2 * HOUR);
  const parked = await canceling;
  t.is(parked.state, 'NEEDS_ATTENTION');
  t.is(parked.attention?.phase, 'revoke');
  t.is(await library.getAccessToken(wallet, customerId), undefined, 'parked in the revoke');
  t.is(await h.projection(customer.workflowId), undefined, 'nothing left in Redis');
  t.true(h.sandbox.admin.isAccessTokenUsable(token!), 'still usable at the wallet: only the revoke would end it');
});

authorizationScenario('a Redis outage during a cancel: the removal is retried until it succeeds, the workflow ends only then, nothing is served meanwhile', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const { wallet, customerId } = ids(customer);
  const library = h.library();
  let redisBack = false;
  h.failActivityWhile('removeProjection', () => redisBack);
  const canceling = library.cancel(wallet, customerId);
  await h.sleep(3 * HOUR); // far beyond the old 5-minute removal budget
  // (The time-skipping server does not skip activity retry backoffs: there the attempts follow in real seconds.)
  for (let i = 0; i < 100 && h.callsOf('removeProjection').length < 3; i++) await h.sleep(MINUTE);
  t.true(h.callsOf('removeProjection').length >= 3, 'retried');
  t.is(h.callsOf('revoke').length, 0, 'no revoke before the projection is gone');
  t.is((await h.view(customer)).state, 'REVOKING');
  t.is(await library.getAccessToken(wallet, customerId), undefined, 'withdrawn by the accepted cancel');
  redisBack = true;
  let settled = false;
  void canceling.finally(() => (settled = true));
  for (let i = 0; i < 200 && !settled; i++) await h.sleep(MINUTE);
  t.is((await canceling).state, 'REVOKED');
  t.is(await h.projection(customer.workflowId), undefined);
  t.is(await library.getAccessToken(wallet, customerId), undefined);
});

authorizationScenario('a refresh that keeps failing (INVALID_SIGNATURE): the token is not served at or after its expiry', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const { wallet, customerId } = ids(customer);
  const library = h.library();
  const active = await h.view(customer);
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 100_000, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_SIGNATURE' } });
  const expiry = Date.parse(active.accessTokenExpiry!);
  await h.sleep(Date.parse(active.nextRefreshAt!) - (await h.now()) + HOUR);
  t.not((await h.view(customer)).state, 'ACTIVE', 'the refresh failed');
  t.truthy(await library.getAccessToken(wallet, customerId), 'still valid before expiry: served');
  await h.sleep(expiry - (await h.now()) + MINUTE);
  t.is(await library.getAccessToken(wallet, customerId), undefined, 'never after expiry');
});

authorizationScenario('TOKEN_CANCELED: from the moment it is received the token is not served, even before the workflow acts', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const { wallet, customerId } = ids(customer);
  const library = h.library();
  const token = (await library.getAccessToken(wallet, customerId))!.accessToken;
  // The workflow's removal is held up (as if its worker were busy): only the withdrawal stands between the wallet's
  // cancel and the payment path.
  let removalAllowed = false;
  h.failActivityWhile('removeProjection', () => removalAllowed);
  t.is(await library.walletCanceledByAccessToken(token, 'unbound in the wallet app'), customer.workflowId);
  t.is(await library.getAccessToken(wallet, customerId), undefined);
  removalAllowed = true;
  t.is((await h.waitFor(customer, (v) => v.state === 'CANCELED_BY_WALLET', { what: 'CANCELED_BY_WALLET' })).state, 'CANCELED_BY_WALLET');
  t.is(await library.getAccessToken(wallet, customerId), undefined);
});

authorizationScenario('the payment path falls back to the workflow: Redis failing, or a value sealed with a retired key, still serves a live token and never a dead one', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const { wallet, customerId } = ids(customer);
  const library = h.library();
  const token = (await library.getAccessToken(wallet, customerId))!.accessToken;
  // A value that cannot be opened (its key was removed from ENCRYPTION_KEYS): answered from the workflow, re-projected.
  await h.redis.hset(redisKeys(h.keyPrefix).tokenProjection(customer.workflowId), 'accessToken', 'v1.retired-key.AAAA.BBBB');
  const fromWorkflow = await library.getAccessToken(wallet, customerId);
  t.is(fromWorkflow?.accessToken, token);
  t.is(fromWorkflow?.source, 'workflow');
  for (let i = 0; i < 50 && (await h.projection(customer.workflowId).catch(() => undefined))?.accessToken !== token; i++) await h.settle();
  t.is((await library.getAccessToken(wallet, customerId))?.source, 'redis', 're-projected');
  // Redis unreachable: the workflow answers.
  const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  deadRedis.on('error', () => undefined);
  t.teardown(() => deadRedis.disconnect());
  const offline = new AuthorizationClient({ workflowClient: h.client, redis: deadRedis, keyRing: SCENARIO_KEY_RING, keyPrefix: h.keyPrefix, clock: () => h.nowSync() });
  t.is((await offline.getAccessToken(wallet, customerId))?.accessToken, token);
  // …and after the expiry, the workflow refuses as the projection would.
  const expiry = Date.parse((await h.view(customer)).accessTokenExpiry!);
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 100_000, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_SIGNATURE' } });
  await h.sleep(expiry - (await h.now()) - 1_000);
  await h.settle();
  await h.sleep(2_000);
  t.is(await offline.getAccessToken(wallet, customerId), undefined);
});
