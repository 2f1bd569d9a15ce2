/**
 * Issue 14 #7 on the API's notification check: a notification whose signature verifies but whose header says
 * algorithm=NONE (anything but RSA256) or names an unknown keyVersion gets 401 with a clear message and delivers
 * nothing. The client's and the sandbox's paths are in test/antom/signatureHeaderPolicy.test.ts.
 */
import test from 'ava';
import { parseSignatureHeader } from '../../src/antom/signatureHeader';
import { antomKeys, antomKeysV2 } from '../support/fixtureKeys';
import { signedNotification, startApiHarness } from './apiHarness';

const ANTOM = '/notifications/antom';
const WORKFLOW_ID = 'authorization:GCASH:cust-1';
const authCodeCreated = (authState: string) => ({
  authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode: 'AC-secret-code-0001', result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
});

test('a notification signed with the right key but a header saying algorithm=NONE or an unknown keyVersion gets 401 and delivers nothing', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('state-N', WORKFLOW_ID);
  const good = signedNotification(ANTOM, authCodeCreated('state-N'));
  const value = parseSignatureHeader(good.headers.signature)!.signature;
  const cases: [string, RegExp][] = [
    [`algorithm=NONE,keyVersion=1,signature=${value}`, /unsupported signature algorithm: only RSA256 is accepted/],
    [`signature=${value},algorithm=none`, /only RSA256 is accepted/],
    [`algorithm=HS256,keyVersion=1,signature=${value}`, /only RSA256 is accepted/],
    [`algorithm=RSA256,keyVersion=2,signature=${value}`, /unknown signature keyVersion: the key versions known here are "1"/],
    [`algorithm=RSA256,keyVersion=01,signature=${value}`, /key versions known here are "1"/],
  ];
  for (const [signature, problem] of cases) {
    const response = await h.app.inject({ method: 'POST', url: ANTOM, headers: { ...good.headers, signature }, payload: good.body });
    t.is(response.statusCode, 401, signature.slice(0, 30));
    const message = response.json<{ error: { code: string; message: string } }>().error.message;
    t.regex(message, problem);
    t.false(message.includes(value), 'the signature is not echoed');
  }
  t.deepEqual(h.operations.calls, [], 'no workflow was touched');
  // rsa256 (case-insensitive) with keyVersion 1 is the documented header and is delivered.
  const accepted = await h.app.inject({ method: 'POST', url: ANTOM, headers: { ...good.headers, signature: `algorithm=rsa256, keyVersion=1, signature=${value}` }, payload: good.body });
  t.is(accepted.statusCode, 200);
});

test('a configured public keyVersion other than "1" is the one notifications must name', async (t) => {
  const h = await startApiHarness(t, { notificationKeys: { publicKey: antomKeys.publicKey, publicKeyVersion: '2', clientIds: [] } });
  await h.authStates.put('state-V', WORKFLOW_ID);
  const good = signedNotification(ANTOM, authCodeCreated('state-V'));
  const value = parseSignatureHeader(good.headers.signature)!.signature;
  const v1 = await h.app.inject({ method: 'POST', url: ANTOM, headers: good.headers, payload: good.body });
  t.is(v1.statusCode, 401);
  t.regex(v1.json<{ error: { message: string } }>().error.message, /known here are "2"/);
  const v2 = await h.app.inject({ method: 'POST', url: ANTOM, headers: { ...good.headers, signature: `algorithm=RSA256,keyVersion=2,signature=${value}` }, payload: good.body });
  t.is(v2.statusCode, 200);
});

test('several public keys (ANTOM_PUBLIC_KEYS): each keyVersion verifies with its own key, an unknown one is refused', async (t) => {
  const publicKeys = new Map([['1', antomKeys.publicKey], ['2', antomKeysV2.publicKey]]);
  const h = await startApiHarness(t, { notificationKeys: { publicKeys, clientIds: [] } });
  await h.authStates.put('state-R', WORKFLOW_ID);
  const byV2 = signedNotification(ANTOM, authCodeCreated('state-R'), { privateKey: antomKeysV2.privateKey });
  const value = parseSignatureHeader(byV2.headers.signature)!.signature;
  const post = (signature: string) => h.app.inject({ method: 'POST', url: ANTOM, headers: { ...byV2.headers, signature }, payload: byV2.body });
  t.is((await post(`algorithm=RSA256,keyVersion=1,signature=${value}`)).statusCode, 401, 'key 2 signature named as version 1');
  const unknown = await post(`algorithm=RSA256,keyVersion=3,signature=${value}`);
  t.is(unknown.statusCode, 401);
  t.regex(unknown.json<{ error: { message: string } }>().error.message, /known here are "1", "2"/);
  t.deepEqual(h.operations.calls, [], 'nothing delivered so far');
  t.is((await post(`algorithm=RSA256,keyVersion=2,signature=${value}`)).statusCode, 200);
  // During an overlap a header naming no keyVersion is tried with every key.
  await h.authStates.put('state-S', WORKFLOW_ID);
  const unnamed = signedNotification(ANTOM, authCodeCreated('state-S'), { privateKey: antomKeysV2.privateKey });
  const bare = parseSignatureHeader(unnamed.headers.signature)!.signature;
  t.is((await h.app.inject({ method: 'POST', url: ANTOM, headers: { ...unnamed.headers, signature: `algorithm=RSA256,signature=${bare}` }, payload: unnamed.body })).statusCode, 200);
});
