/**
 * Several merchants in one deployment (issue 13 §4), on the real engine: an Antom merchant and an Alipay+ acquirer
 * from one MERCHANTS_FILE, loaded by the worker and the API as in production, against the sandbox (which knows both
 * client-ids and their keys), a Temporal dev server, Redis and the API over HTTP.
 *
 *  - The same wallet + customer id under both merchants are two authorizations (two workflow ids), each calling its
 *    own platform with its own client-id and keys, each served its own token; cancelling one leaves the other.
 *  - The routes name the merchant (`merchant` in the link body, `?merchant=` elsewhere); none where there is no
 *    default merchant is a 400, an unknown one a 404.
 *  - A notification is verified with the keys of the client-id it names and reaches only that merchant's
 *    authorizations: merchant A's signed AUTHCODE_CREATED naming merchant B's authState is not delivered.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { formatSignatureHeader } from '../../src/antom/signatureHeader';
import { signParts } from '../../src/antom/signing';
import { maskSecret } from '../../src/logger';
import type { AuthorizationView } from '../../src/workflows/definitions';
import { antomKeys, fixtureKeyPaths, merchantKeys, merchantKeysV2 } from '../support/fixtureKeys';
import { adminPost, grants, receivedRequests } from './support/sandboxAdmin';
import { E2eStack, poll, type StackMerchant } from './support/stack';

const SHOP_A: StackMerchant = { id: 'shop-a', platform: 'antom', clientId: 'SANDBOX_SHOP_A', privateKeyPath: fixtureKeyPaths.merchantPrivatePkcs8Pem, publicKey: merchantKeys.publicKey };
const SHOP_B: StackMerchant = {
  id: 'shop-b', platform: 'alipayplus', clientId: 'SANDBOX_SHOP_B', privateKeyPath: fixtureKeyPaths.merchantPrivateV2Pem, publicKey: merchantKeysV2.publicKey, authClientName: 'Shop B Korea Ltd',
};

let stack: E2eStack;

test.before(async () => {
  stack = await E2eStack.start({ merchants: [SHOP_A, SHOP_B] });
});
test.after.always(async () => {
  if (process.env.DEBUG_MERCHANTS) for (const line of stack?.logs ?? []) if (/notif|sandbox/i.test(line)) console.log(line.slice(0, 400));
  await stack?.close();
});

const customer = () => `cust-${randomBytes(3).toString('hex')}`;

async function link(merchant: StackMerchant, wallet: string, customerId: string): Promise<{ workflowId: string; authState: string }> {
  const body = { wallet, customerId, merchant: merchant.id, ...(merchant.platform === 'alipayplus' ? { authClientId: 'AUTH_CLIENT_B' } : {}) };
  const response = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`link ${merchant.id}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { workflowId: string; authState: string };
}

async function viewOf(merchant: StackMerchant, wallet: string, customerId: string): Promise<AuthorizationView | undefined> {
  const response = await stack.api(`/authorizations/${wallet}/${customerId}?merchant=${merchant.id}`);
  return response.ok ? ((await response.json()) as AuthorizationView) : undefined;
}

const waitFor = (merchant: StackMerchant, wallet: string, customerId: string, state: string) =>
  poll(() => viewOf(merchant, wallet, customerId), (v) => v?.state === state, `${merchant.id} ${wallet}/${customerId} ${state}`) as Promise<AuthorizationView>;

test.serial('an Antom merchant and an Alipay+ acquirer side by side: one customer id, two authorizations, each on its own platform, client-id, keys and token', async (t) => {
  const wallet = 'GCASH';
  const customerId = customer();
  const a = await link(SHOP_A, wallet, customerId);
  const b = await link(SHOP_B, wallet, customerId);
  t.is(a.workflowId, `authorization:shop-a:${wallet}:${customerId}`);
  t.is(b.workflowId, `authorization:shop-b:${wallet}:${customerId}`);

  await adminPost(stack.sandbox, '/authorizations/approve', { authState: a.authState });
  await adminPost(stack.sandbox, '/authorizations/approve', { authState: b.authState });
  // The AUTHCODE_CREATED notifications (signed by the platform, one per client-id) complete both links.
  const activeA = await waitFor(SHOP_A, wallet, customerId, 'ACTIVE');
  const activeB = await waitFor(SHOP_B, wallet, customerId, 'ACTIVE');
  t.is(activeA.merchant, 'shop-a');
  t.is(activeA.profile, 'antom');
  t.is(activeB.merchant, 'shop-b');
  t.is(activeB.profile, 'alipayplus');
  // The Temporal UI's summary names the merchant.
  const described = await stack.client.workflow.getHandle(b.workflowId).describe();
  t.is(await described.staticSummary(), `Antom authorization · merchant shop-b · ${wallet} · customer ${customerId}`);

  // What the platform saw: each merchant's calls under its own client-id, on its own platform's endpoints.
  // (This file's own sandbox, and the first test in it: every request so far is this customer's.)
  const requests = await receivedRequests(stack.sandbox);
  const seen = (clientId: string) => new Set(requests.filter((r) => r.clientId === clientId).map((r) => `${r.platform}:${r.endpoint}`));
  t.deepEqual([...seen(SHOP_A.clientId)].sort(), ['antom:applyToken', 'antom:consult']);
  t.deepEqual([...seen(SHOP_B.clientId)].sort(), ['alipayplus:applyToken', 'alipayplus:prepare']);
  const prepare = requests.find((r) => r.clientId === SHOP_B.clientId && r.endpoint === 'prepare');
  t.is((prepare?.body as { authClientName?: string } | undefined)?.authClientName, 'Shop B Korea Ltd', 'the acquirer\'s own legal name from MERCHANTS_FILE');

  // Each served its own token, as the platform issued it to that merchant.
  const tokenOf = async (merchant: StackMerchant) => {
    const response = await stack.api(`/authorizations/${wallet}/${customerId}/token?merchant=${merchant.id}`);
    t.is(response.status, 200, merchant.id);
    return ((await response.json()) as { accessToken: string }).accessToken;
  };
  const [tokenA, tokenB] = [await tokenOf(SHOP_A), await tokenOf(SHOP_B)];
  t.not(tokenA, tokenB);
  const issued = await grants(stack.sandbox);
  t.is<string | undefined, string | undefined>(maskSecret(tokenA), issued.find((g) => g.authState === a.authState)?.accessToken);
  t.is<string | undefined, string | undefined>(maskSecret(tokenB), issued.find((g) => g.authState === b.authState)?.accessToken);

  // Cancelling one merchant's authorization leaves the other's alone.
  const cancel = await stack.api(`/authorizations/${wallet}/${customerId}?merchant=shop-a&wait=true`, { method: 'DELETE' });
  t.is(cancel.status, 200);
  t.is(((await cancel.json()) as AuthorizationView).state, 'REVOKED');
  t.is((await stack.api(`/authorizations/${wallet}/${customerId}/token?merchant=shop-a`)).status, 404);
  t.is(await tokenOf(SHOP_B), tokenB);
  t.is((await viewOf(SHOP_B, wallet, customerId))?.state, 'ACTIVE');
  const revokes = (await receivedRequests(stack.sandbox)).filter((r) => r.endpoint === 'revoke' || r.endpoint === 'cancelToken');
  t.deepEqual(revokes.map((r) => `${r.clientId}:${r.endpoint}`), [`${SHOP_A.clientId}:revoke`]);

  // The library takes the merchant too.
  t.is((await stack.library.forMerchant('shop-b').getAccessToken(wallet, customerId))?.accessToken, tokenB);
  t.is(await stack.library.forMerchant('shop-a').getAccessToken(wallet, customerId), undefined);
});

test.serial('the routes name the merchant: none (no default merchant here) is a 400, an unknown one a 404, a profile not its platform a 400', async (t) => {
  const noMerchant = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: 'GCASH', customerId: customer() }) });
  t.is(noMerchant.status, 400);
  t.regex(await noMerchant.text(), /merchant: required \(this deployment serves shop-a, shop-b\)/);
  t.is((await stack.api(`/authorizations/GCASH/${customer()}?merchant=shop-z`)).status, 404);
  t.is((await stack.api(`/authorizations/GCASH/${customer()}?merchant=Not_Valid`)).status, 400);
  t.is((await stack.api(`/authorizations/GCASH/${customer()}`)).status, 400);
  const wrongProfile = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: 'GCASH', customerId: customer(), merchant: 'shop-a', profile: 'alipayplus', authClientId: 'X' }) });
  t.is(wrongProfile.status, 400);
  t.regex(await wrongProfile.text(), /merchant shop-a is on antom, not alipayplus/);
});

test.serial("a notification reaches only its own merchant's authorizations: merchant A's signed AUTHCODE_CREATED naming B's authState is not delivered", async (t) => {
  const customerId = customer();
  const b = await link(SHOP_B, 'GCASH', customerId);
  const post = async (clientId: string, platform: 'antom' | 'alipayplus') => {
    const path = `/notifications/${platform}`;
    const body = JSON.stringify({ authorizationNotifyType: 'AUTHCODE_CREATED', authState: b.authState, authCode: 'forged-by-another-merchant', result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
    const time = new Date().toISOString();
    // Signed with the platform's real key: only the client-id (whose notification it is) differs.
    const signature = signParts(antomKeys.privateKey, { path, clientId, time, body });
    return fetch(`${stack.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': clientId, 'request-time': time, signature: formatSignatureHeader({ signature }) } });
  };
  const crossed = await post(SHOP_A.clientId, 'antom');
  t.is(crossed.status, 503, 'unrouted for merchant A: answered so the platform resends, never delivered to B');
  t.is((await post('SANDBOX_UNKNOWN', 'antom')).status, 401, 'a client-id no merchant has is refused');
  const view = await viewOf(SHOP_B, 'GCASH', customerId);
  t.is(view?.state, 'AWAITING_AUTH_CODE');
  t.true(stack.logs.some((line) => line.includes("notification names another merchant's authorization")));
  const applied = (await receivedRequests(stack.sandbox)).filter((r) => r.endpoint === 'applyToken' && r.clientId === SHOP_B.clientId && JSON.stringify(r.body).includes('forged'));
  t.is(applied.length, 0, 'no applyToken with the forged code');
});
