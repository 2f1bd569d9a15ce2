/**
 * The sandbox's side of a key rotation (issue 13 §2), over the HTTP admin API: a second Antom signing key added and
 * switched to (responses and notifications name keyVersion 2 and verify only with its public key), and the merchant
 * key versions it accepts changed (a retired version gets KEY_NOT_FOUND).
 */
import test from 'ava';
import { AntomBusinessError, AntomUnverifiableResponseError } from '../../src/antom/errors';
import { loadPublicKey } from '../../src/antom/keys';
import { PUBLIC_KEY_PATH } from '../../src/sandbox';
import { antomKeys, merchantKeys, merchantKeysV2 } from '../support/fixtureKeys';
import { MERCHANT, REDIRECT_URL, clientFor, startTestSandbox, uniqueAuthState } from './harness';

async function admin<T>(adminUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    ...(method === 'POST' ? { headers: { 'content-type': 'application/json' } } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

const consultRequest = () => ({ customerBelongsTo: 'GCASH', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY' as const], authState: uniqueAuthState('rot'), terminalType: 'WEB' as const });

test('Antom\'s rotation: a second signing key is added, switched to, and published; only clients holding it verify', async (t) => {
  const sandbox = await startTestSandbox(t);
  const added = await admin<{ keyVersion: string; publicKeyPem: string }>(sandbox.adminUrl, 'POST', '/signing-keys', { keyVersion: '2' });
  t.is(added.status, 200);
  const v2 = loadPublicKey(added.json.publicKeyPem);
  t.deepEqual((await admin(sandbox.adminUrl, 'GET', '/signing-keys')).json, { current: '1', versions: ['1', '2'] });

  const onlyV1 = clientFor(t, sandbox, { antomPublicKey: antomKeys.publicKey });
  const overlap = clientFor(t, sandbox, { antomPublicKey: undefined, antomPublicKeys: new Map([['1', antomKeys.publicKey], ['2', v2]]) });
  await onlyV1.consult(consultRequest());

  t.deepEqual((await admin(sandbox.adminUrl, 'POST', '/signing-keys/use', { keyVersion: '2' })).json, { current: '2', versions: ['1', '2'] });
  const refused = await t.throwsAsync(onlyV1.consult(consultRequest()), { instanceOf: AntomUnverifiableResponseError });
  t.is(refused?.reason, 'unknown-key-version');
  await overlap.consult(consultRequest());
  // The published key follows the switch; any version can be asked for.
  const published = await (await fetch(`${sandbox.url}${PUBLIC_KEY_PATH}`)).text();
  t.is(published, added.json.publicKeyPem);
  t.is((await fetch(`${sandbox.url}${PUBLIC_KEY_PATH}?keyVersion=1`)).status, 200);
  t.is((await fetch(`${sandbox.url}${PUBLIC_KEY_PATH}?keyVersion=9`)).status, 404);
  t.is((await admin(sandbox.adminUrl, 'POST', '/signing-keys/use', { keyVersion: '9' })).status, 404);
});

test('the merchant\'s rotation: key version 2 accepted next to 1, then 1 retired → KEY_NOT_FOUND for it', async (t) => {
  const sandbox = await startTestSandbox(t);
  const pem = merchantKeysV2.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const added = await admin<{ keyVersions: string[] }>(sandbox.adminUrl, 'POST', '/merchants/keys', { clientId: MERCHANT, add: { '2': pem } });
  t.deepEqual(added.json.keyVersions, ['1', '2']);
  const signsV1 = clientFor(t, sandbox);
  const signsV2 = clientFor(t, sandbox, { privateKey: merchantKeysV2.privateKey, privateKeyVersion: '2' });
  await signsV1.consult(consultRequest());
  await signsV2.consult(consultRequest());
  t.deepEqual(sandbox.admin.requests().map((r) => r.keyVersion), ['1', '2']);

  t.deepEqual((await admin<{ keyVersions: string[] }>(sandbox.adminUrl, 'POST', '/merchants/keys', { clientId: MERCHANT, retire: ['1'] })).json.keyVersions, ['2']);
  const error = await t.throwsAsync(signsV1.consult(consultRequest()), { instanceOf: AntomBusinessError });
  t.is(error?.resultCode, 'KEY_NOT_FOUND');
  await signsV2.consult(consultRequest());
  // A key 2 signature under the name of version 1 does not pass either (the version picks the key).
  const misnamed = clientFor(t, sandbox, { privateKey: merchantKeys.privateKey, privateKeyVersion: '2' });
  t.is((await t.throwsAsync(misnamed.consult(consultRequest()), { instanceOf: AntomBusinessError }))?.resultCode, 'INVALID_SIGNATURE');
  t.is((await admin(sandbox.adminUrl, 'POST', '/merchants/keys', { clientId: MERCHANT, retire: ['2'] })).status, 400, 'the last version stays');
});
