/**
 * POST /notifications/antom and /notifications/alipayplus through the real app (fastify.inject) with real Redis:
 * signature first over the raw body, validation, routing by authState / token digest, two-phase dedupe, exact ack,
 * signed Alipay+ responses, and a failed delivery that is not lost.
 */
import test from 'ava';
import { NOTIFICATION_ACK_BODY } from '../../src/antom/notificationAck';
import { parseSignatureHeader } from '../../src/antom/signatureHeader';
import { verifyParts } from '../../src/antom/signing';
import { AuthorizationRejectedError } from '../../src/api/authorizationOperations';
import { antomKeys, antomKeysV2, merchantKeys, merchantKeysV2, unrelatedKeys } from '../support/fixtureKeys';
import { CLIENT_ID, signedNotification, startApiHarness, type ApiHarness } from './apiHarness';

const ANTOM = '/notifications/antom';
const ALIPAY_PLUS = '/notifications/alipayplus';
const WORKFLOW_ID = 'authorization:GCASH:cust-1';

function authCodeCreated(authState: string, authCode = 'AC-secret-code-0001') {
  return { authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode, result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } };
}

async function post(h: ApiHarness, path: string, notification: { headers: Record<string, string>; body: string }) {
  return h.app.inject({ method: 'POST', url: path, headers: notification.headers, payload: notification.body });
}

async function metricValue(h: ApiHarness, labels: string): Promise<number> {
  const text = await h.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`antom_auth_notifications_total{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('a signed AUTHCODE_CREATED reaches its workflow once and is acknowledged with the exact body; a resend is only acknowledged', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-A', WORKFLOW_ID);
  const notification = signedNotification(ANTOM, authCodeCreated('state-A'));

  const first = await post(h, ANTOM, notification);
  t.is(first.statusCode, 200);
  t.is(first.body, NOTIFICATION_ACK_BODY);
  t.regex(String(first.headers['content-type']), /^application\/json/);
  t.deepEqual(h.operations.callsTo('deliverAuthCode'), [
    [WORKFLOW_ID, { authCode: 'AC-secret-code-0001', authState: 'state-A', source: 'notification' }],
  ]);

  const resend = await post(h, ANTOM, notification);
  t.is(resend.statusCode, 200);
  t.is(resend.body, NOTIFICATION_ACK_BODY);
  t.is(h.operations.callsTo('deliverAuthCode').length, 1, 'the resend is not delivered again');
  t.is(await metricValue(h, 'platform="antom",type="AUTHCODE_CREATED",outcome="delivered"'), 1);
  t.is(await metricValue(h, 'platform="antom",type="AUTHCODE_CREATED",outcome="duplicate"'), 1);
  t.false(h.logs.join('').includes('AC-secret-code-0001'), 'the authCode is never logged');
});

test('forged, tampered, unsigned or foreign-client notifications get 401 and deliver nothing', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-F', WORKFLOW_ID);
  const good = signedNotification(ANTOM, authCodeCreated('state-F'));
  const cases: [string, { headers: Record<string, string>; body: string }, RegExp][] = [
    ['wrong key', signedNotification(ANTOM, authCodeCreated('state-F'), { privateKey: unrelatedKeys.privateKey }), /does not verify/],
    ['tampered body', { headers: good.headers, body: good.body.replace('AC-secret', 'AC-evil00') }, /does not verify/],
    ['re-serialized body', { headers: good.headers, body: JSON.stringify(JSON.parse(good.body), null, 1) }, /does not verify/],
    ['other path', signedNotification('/somewhere/else', authCodeCreated('state-F')), /does not verify/],
    ['changed request-time', { headers: { ...good.headers, 'request-time': '2020-01-01T00:00:00Z' }, body: good.body }, /does not verify/],
    ['no signature', { headers: { ...good.headers, signature: '' }, body: good.body }, /missing signature/],
    ['no client-id', { headers: { ...good.headers, 'client-id': '' }, body: good.body }, /missing client-id/],
    ['no request-time', { headers: { ...good.headers, 'request-time': '' }, body: good.body }, /missing request-time/],
    ['malformed signature header', { headers: { ...good.headers, signature: 'garbage' }, body: good.body }, /malformed signature/],
    ['foreign client-id', signedNotification(ANTOM, authCodeCreated('state-F'), { clientId: 'SOMEONE_ELSE' }), /unknown client-id/],
  ];
  for (const [name, notification, problem] of cases) {
    const response = await post(h, ANTOM, notification);
    t.is(response.statusCode, 401, name);
    t.regex(response.json<{ error: { message: string } }>().error.message, problem, name);
  }
  t.deepEqual(h.operations.calls, [], 'no workflow was touched');
  t.is(await metricValue(h, 'platform="antom",type="unknown",outcome="unverified"'), cases.length);
});

test('the signature header parses with its parameters in any order (issue 15 item 7)', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-O', WORKFLOW_ID);
  const notification = signedNotification(ANTOM, authCodeCreated('state-O'));
  const value = parseSignatureHeader(notification.headers.signature)?.signature ?? '';
  for (const signature of [`signature=${value},algorithm=RSA256,keyVersion=1`, `keyVersion=1, signature=${value}, algorithm=RSA256`]) {
    const response = await post(h, ANTOM, { headers: { ...notification.headers, signature }, body: notification.body });
    t.is(response.statusCode, 200, signature.slice(0, 24));
    t.is(response.body, NOTIFICATION_ACK_BODY);
  }
  t.is(h.operations.callsTo('deliverAuthCode').length, 1, 'delivered once, the second was a duplicate');
});

test('the raw body is verified whatever the content-type says', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-T', WORKFLOW_ID);
  const notification = signedNotification(ANTOM, authCodeCreated('state-T'));
  const response = await post(h, ANTOM, { headers: { ...notification.headers, 'content-type': 'text/plain' }, body: notification.body });
  t.is(response.statusCode, 200);
  t.is(h.operations.callsTo('deliverAuthCode').length, 1);
});

test('a signed but invalid notification is a 400 naming the field, and nothing is delivered', async (t) => {
  const h = await startApiHarness(t);
  const missingCode = await post(h, ANTOM, signedNotification(ANTOM, { authorizationNotifyType: 'AUTHCODE_CREATED', authState: 'state-X' }));
  t.is(missingCode.statusCode, 400);
  t.regex(missingCode.json<{ error: { message: string } }>().error.message, /authCode: required when authorizationNotifyType is AUTHCODE_CREATED/);
  const notJson = await post(h, ANTOM, signedNotification(ANTOM, '{"authorizationNotifyType":'));
  t.is(notJson.statusCode, 400);
  t.is(notJson.json<{ error: { code: string } }>().error.code, 'invalid-json');
  t.deepEqual(h.operations.calls, []);
});

test('an unknown authState or access token is answered 503 (Antom resends) and counted as unrouted', async (t) => {
  const h = await startApiHarness(t);
  const unknownState = await post(h, ANTOM, signedNotification(ANTOM, authCodeCreated('never-issued')));
  t.is(unknownState.statusCode, 503);
  t.is(unknownState.json<{ error: { code: string } }>().error.code, 'unrouted');
  const unknownToken = await post(h, ANTOM, signedNotification(ANTOM, { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'AT-nobody-has-this' }));
  t.is(unknownToken.statusCode, 503);
  t.deepEqual(h.operations.calls, []);
  t.is(await metricValue(h, 'platform="antom",type="AUTHCODE_CREATED",outcome="unrouted"'), 1);
  t.is(await metricValue(h, 'platform="antom",type="TOKEN_CANCELED",outcome="unrouted"'), 1);
});

test('TOKEN_CANCELED finds the workflow by its access token and signals a wallet cancel once', async (t) => {
  const h = await startApiHarness(t);
  await h.tokens.put({
    workflowId: WORKFLOW_ID, wallet: 'GCASH', customerId: 'cust-1', accessToken: 'AT-live-token-000000001',
    accessTokenExpiry: '2030-01-01T00:00:00Z', state: 'ACTIVE', updatedAt: '2026-01-01T00:00:00Z', version: 1,
  });
  const notification = signedNotification(ANTOM, { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'AT-live-token-000000001', reason: 'user unbound' });
  t.is((await post(h, ANTOM, notification)).body, NOTIFICATION_ACK_BODY);
  t.is((await post(h, ANTOM, notification)).body, NOTIFICATION_ACK_BODY);
  t.deepEqual(h.operations.callsTo('walletCanceled'), [[WORKFLOW_ID, 'user unbound']]);
  t.false(h.logs.join('').includes('AT-live-token-000000001'));
});

test('TOKEN_CREATED is recorded and acknowledged without touching the workflow', async (t) => {
  const h = await startApiHarness(t);
  const response = await post(h, ANTOM, signedNotification(ANTOM, { authorizationNotifyType: 'TOKEN_CREATED', accessToken: 'AT-created-0001', authState: 's' }));
  t.is(response.body, NOTIFICATION_ACK_BODY);
  t.deepEqual(h.operations.calls, []);
  t.is(await metricValue(h, 'platform="antom",type="TOKEN_CREATED",outcome="recorded"'), 1);
});

test('a failed delivery answers 503 and releases the claim, so the resend is delivered', async (t) => {
  // No in-request retries here (notificationDelivery.test.ts covers them): one attempt per request.
  const h = await startApiHarness(t, { notificationSettings: { deliveryRetryMs: 0 } });
  await h.authStates.put('state-D', WORKFLOW_ID);
  const notification = signedNotification(ANTOM, authCodeCreated('state-D'));
  h.operations.failWith = new Error('connect ECONNREFUSED 127.0.0.1:7233');
  const failed = await post(h, ANTOM, notification);
  t.is(failed.statusCode, 503);
  t.not(failed.body, NOTIFICATION_ACK_BODY);
  h.operations.failWith = undefined;
  const resend = await post(h, ANTOM, notification);
  t.is(resend.body, NOTIFICATION_ACK_BODY);
  t.is(h.operations.callsTo('deliverAuthCode').length, 2, 'the resend was delivered');
  t.is((await post(h, ANTOM, notification)).body, NOTIFICATION_ACK_BODY);
  t.is(h.operations.callsTo('deliverAuthCode').length, 2, 'and is a duplicate afterwards');
});

test('a notification the workflow refuses (stale authState) is acknowledged as final', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-R', WORKFLOW_ID);
  h.operations.deliverAnswer = () => { throw new AuthorizationRejectedError('authState is not the current consult'); };
  const response = await post(h, ANTOM, signedNotification(ANTOM, authCodeCreated('state-R')));
  t.is(response.body, NOTIFICATION_ACK_BODY);
  t.is(await metricValue(h, 'platform="antom",type="AUTHCODE_CREATED",outcome="rejected"'), 1);
});

test('Alipay+ notifications are acknowledged with a response signed by our key over the notification path', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-P', WORKFLOW_ID);
  const response = await post(h, ALIPAY_PLUS, signedNotification(ALIPAY_PLUS, { ...authCodeCreated('state-P'), authClientId: 'auth-client-1' }));
  t.is(response.statusCode, 200);
  t.is(response.body, NOTIFICATION_ACK_BODY);
  t.is(response.headers['client-id'], CLIENT_ID);
  const time = String(response.headers['response-time']);
  const signature = parseSignatureHeader(String(response.headers.signature));
  t.truthy(signature);
  t.true(verifyParts(merchantKeys.publicKey, { path: ALIPAY_PLUS, clientId: CLIENT_ID, time, body: response.body }, signature!.signature));
  t.is(h.operations.callsTo('deliverAuthCode').length, 1);

  const missingClient = await post(h, ALIPAY_PLUS, signedNotification(ALIPAY_PLUS, authCodeCreated('state-P')));
  t.is(missingClient.statusCode, 400);
  t.regex(missingClient.body, /authClientId/);
});

test('several merchants: each client-id is verified with its own platform keys, reaches only its own authorizations, and its Alipay+ answer is signed with its own key', async (t) => {
  const merchants = new Map([
    ['CLIENT_SHOP_A', { merchantId: 'shop-a', publicKeys: new Map([['1', antomKeys.publicKey]]) }],
    ['CLIENT_SHOP_B', { merchantId: 'shop-b', publicKeys: new Map([['1', antomKeysV2.publicKey]]), alipayPlusResponseSigner: { clientId: 'CLIENT_SHOP_B', privateKey: merchantKeysV2.privateKey } }],
  ]);
  const h = await startApiHarness(t, { notificationKeys: { clientIds: [], merchants } });
  const shopB = 'authorization:shop-b:GCASH:cust-1';
  await h.authStates.put('state-B', shopB);

  // B's notification, signed by B's platform key: delivered, and the answer signed by B under B's client-id.
  const delivered = await post(h, ALIPAY_PLUS, signedNotification(ALIPAY_PLUS, { ...authCodeCreated('state-B'), authClientId: 'auth-client-1' }, { clientId: 'CLIENT_SHOP_B', privateKey: antomKeysV2.privateKey }));
  t.is(delivered.statusCode, 200);
  t.is(delivered.headers['client-id'], 'CLIENT_SHOP_B');
  const signature = parseSignatureHeader(String(delivered.headers.signature));
  t.true(verifyParts(merchantKeysV2.publicKey, { path: ALIPAY_PLUS, clientId: 'CLIENT_SHOP_B', time: String(delivered.headers['response-time']), body: delivered.body }, signature!.signature));
  t.deepEqual(h.operations.callsTo('deliverAuthCode').map((c) => c[0]), [shopB]);

  // Under B's client-id but signed with A's platform key: refused before anything is read.
  const wrongKey = await post(h, ALIPAY_PLUS, signedNotification(ALIPAY_PLUS, { ...authCodeCreated('state-B', 'AC-other'), authClientId: 'auth-client-1' }, { clientId: 'CLIENT_SHOP_B', privateKey: antomKeys.privateKey }));
  t.is(wrongKey.statusCode, 401);
  // A's valid notification naming B's authState: no route (503, the platform resends), never delivered to B.
  const crossed = await post(h, ANTOM, signedNotification(ANTOM, authCodeCreated('state-B', 'AC-crossed'), { clientId: 'CLIENT_SHOP_A', privateKey: antomKeys.privateKey }));
  t.is(crossed.statusCode, 503);
  // No default merchant: a client-id no merchant has is refused.
  t.is((await post(h, ANTOM, signedNotification(ANTOM, authCodeCreated('state-B'), { clientId: CLIENT_ID }))).statusCode, 401);
  t.is(h.operations.callsTo('deliverAuthCode').length, 1, 'only B\'s own notification was delivered');
});

test('Alipay+ consultUnbinding is answered with allowUnbinding, signed', async (t) => {
  const h = await startApiHarness(t);
  const path = '/notifications/alipayplus/consultUnbinding';
  const response = await post(h, path, signedNotification(path, { authClientId: 'auth-client-1', accessToken: 'AT-unbind-0001' }));
  t.is(response.statusCode, 200);
  t.is(response.json<{ allowUnbinding: string }>().allowUnbinding, 'true');
  const signature = parseSignatureHeader(String(response.headers.signature));
  t.true(verifyParts(merchantKeys.publicKey, { path, clientId: CLIENT_ID, time: String(response.headers['response-time']), body: response.body }, signature!.signature));
});

test('without an Alipay+ signer the Alipay+ route refuses (503) instead of sending an unsigned ack', async (t) => {
  const h = await startApiHarness(t, { withAlipayPlusSigner: false });
  const response = await post(h, ALIPAY_PLUS, signedNotification(ALIPAY_PLUS, { ...authCodeCreated('s'), authClientId: 'a' }));
  t.is(response.statusCode, 503);
});

test('a body over the notification limit is refused with 413 JSON before any verification work', async (t) => {
  const h = await startApiHarness(t);
  const response = await h.app.inject({ method: 'POST', url: ANTOM, headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(70 * 1024) });
  t.is(response.statusCode, 413);
  t.is(response.json<{ error: { code: string } }>().error.code, 'body-too-large');
});

test('behind a proxy that strips the public path prefix, the prefixed path still verifies', async (t) => {
  const h = await startApiHarness(t, { settings: { publicBaseUrl: 'https://merchant.example/antom-auth' } });
  await h.authStates.put('state-X', WORKFLOW_ID);
  const notification = signedNotification(`/antom-auth${ANTOM}`, authCodeCreated('state-X'));
  t.is((await post(h, ANTOM, notification)).body, NOTIFICATION_ACK_BODY);
});
