/**
 * Issue 14 #7: a signature header naming an algorithm other than RSA256, or a keyVersion the verifier holds no key
 * for, is refused with a clear error — never accepted and ignored — on every path that verifies: the rule itself, the
 * client's response verification (real HTTP against a fake Antom) and the sandbox's request verification (real HTTP).
 * The API's notification check is in test/api/signatureHeaderPolicy.test.ts.
 */
import test from 'ava';
import { request } from 'undici';
import { AntomUnverifiableResponseError } from '../../src/antom/errors';
import { parseSignatureHeader, signatureHeaderProblem } from '../../src/antom/signatureHeader';
import { signParts } from '../../src/antom/signing';
import { AntomTransport, type TransportOptions } from '../../src/antom/transport';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { rsaSignForTest, startFakeAntom } from '../support/fakeAntomServer';
import { MERCHANT, startTestSandbox } from '../sandbox/harness';

const header = (text: string) => parseSignatureHeader(text)!;

test('the rule: RSA256 (any case) with a known keyVersion passes; another algorithm or keyVersion is refused, naming what is accepted', (t) => {
  t.is(signatureHeaderProblem(header('algorithm=RSA256,keyVersion=1,signature=abc'), ['1']), undefined);
  t.is(signatureHeaderProblem(header('algorithm=rsa256,keyVersion=1,signature=abc'), ['1']), undefined, 'case-insensitive');
  t.is(signatureHeaderProblem(header('signature=abc'), ['1']), undefined, 'absent parameters take the documented defaults');
  for (const algorithm of ['NONE', 'none', 'HS256', 'RSA', 'RSA2560', 'RSA256 x']) {
    const problem = signatureHeaderProblem(header(`algorithm=${algorithm},keyVersion=1,signature=abc`), ['1']);
    t.is(problem?.kind, 'unsupported-algorithm', algorithm);
    t.regex(problem?.message ?? '', /only RSA256 is accepted/);
  }
  const unknown = signatureHeaderProblem(header('algorithm=RSA256,keyVersion=2,signature=abc'), ['1']);
  t.is(unknown?.kind, 'unknown-key-version');
  t.regex(unknown?.message ?? '', /key versions known here are "1"/);
  t.false(unknown?.message.includes('"2"'), 'the presented (unverified) value is not echoed');
  t.is(signatureHeaderProblem(header('algorithm=RSA256,keyVersion=2,signature=abc'), ['1', '2']), undefined);
});

const CLIENT_ID = 'SANDBOX_5YBZ1A2X3C';
const PATH = '/ams/api/v1/authorizations/applyToken';
const SUCCESS = { result: { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' } };

async function fakeAntomAnswering(t: import('ava').ExecutionContext, signatureHeader: (value: string) => string, overrides: Partial<TransportOptions> = {}) {
  const fake = await startFakeAntom({ merchantPublicKey: merchantKeys.publicKey, antomPrivateKey: antomKeys.privateKey, clientId: CLIENT_ID });
  const transport = new AntomTransport({ origin: fake.origin, clientId: CLIENT_ID, privateKey: merchantKeys.privateKey, antomPublicKey: antomKeys.publicKey, ...overrides });
  t.teardown(async () => {
    await transport.close();
    await fake.close();
  });
  const responseTime = '2024-05-01T12:00:00+08:00';
  const text = JSON.stringify(SUCCESS);
  // A signature that verifies with Antom's key: only the header's algorithm / keyVersion are wrong.
  const value = rsaSignForTest(antomKeys.privateKey, PATH, CLIENT_ID, responseTime, text);
  fake.respondWith((_req, res) => fake.reply(res, PATH, text, { responseTime, headers: { signature: signatureHeader(value) } }));
  return transport;
}

test('client: a validly signed response whose header says algorithm=NONE is refused (unsupported-algorithm), not ignored', async (t) => {
  for (const algorithm of ['NONE', 'HS256']) {
    const transport = await fakeAntomAnswering(t, (value) => `algorithm=${algorithm},keyVersion=1,signature=${value}`);
    const error = await t.throwsAsync(transport.post(PATH, {}), { instanceOf: AntomUnverifiableResponseError });
    t.is(error!.reason, 'unsupported-algorithm', algorithm);
    t.regex(error!.message, /only RSA256 is accepted/);
    t.is(error!.outcome, 'unknown-retry');
  }
});

test('client: a response naming a keyVersion other than the configured key\'s is refused, naming the known versions', async (t) => {
  const transport = await fakeAntomAnswering(t, (value) => `algorithm=RSA256,keyVersion=2,signature=${value}`);
  const error = await t.throwsAsync(transport.post(PATH, {}), { instanceOf: AntomUnverifiableResponseError });
  t.is(error!.reason, 'unknown-key-version');
  t.regex(error!.message, /unknown-key-version.* — unknown signature keyVersion: the key versions known here are "1"/);
});

test('client: rsa256 in lower case and a configured keyVersion other than "1" verify', async (t) => {
  const lower = await fakeAntomAnswering(t, (value) => `algorithm=rsa256,keyVersion=1,signature=${value}`);
  t.deepEqual((await lower.post(PATH, {})).result, SUCCESS.result);
  const rotated = await fakeAntomAnswering(t, (value) => `algorithm=RSA256,keyVersion=3,signature=${value}`, { antomPublicKeyVersion: '3' });
  t.deepEqual((await rotated.post(PATH, {})).result, SUCCESS.result);
  const stale = await fakeAntomAnswering(t, (value) => `algorithm=RSA256,keyVersion=1,signature=${value}`, { antomPublicKeyVersion: '3' });
  const error = await t.throwsAsync(stale.post(PATH, {}), { instanceOf: AntomUnverifiableResponseError });
  t.regex(error!.message, /known here are "3"/);
});

test('sandbox: a validly signed request whose header says algorithm=NONE gets INVALID_SIGNATURE; an unknown keyVersion KEY_NOT_FOUND naming the registered versions', async (t) => {
  const sandbox = await startTestSandbox(t);
  const path = '/ams/api/v1/authorizations/applyToken';
  const body = JSON.stringify({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'x'.repeat(40) });
  const send = async (signatureHeader: (value: string) => string) => {
    const time = String(Date.now());
    const value = signParts(merchantKeys.privateKey, { path, clientId: MERCHANT, time, body });
    const response = await request(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': MERCHANT, 'request-time': time, signature: signatureHeader(value) },
      body,
    });
    return (await response.body.json() as { result: { resultCode: string; resultMessage: string } }).result;
  };
  for (const algorithm of ['NONE', 'HS256']) {
    const none = await send((value) => `algorithm=${algorithm},keyVersion=1,signature=${value}`);
    t.is(none.resultCode, 'INVALID_SIGNATURE', algorithm);
    t.regex(none.resultMessage, /only RSA256 is accepted/);
  }
  const unknown = await send((value) => `algorithm=RSA256,keyVersion=9,signature=${value}`);
  t.is(unknown.resultCode, 'KEY_NOT_FOUND');
  t.regex(unknown.resultMessage, /key versions known here are "1"/);
  // The same request with an accepted header reaches the operation (an unknown refresh token, not a gateway refusal).
  t.is((await send((value) => `algorithm=rsa256,keyVersion=1,signature=${value}`)).resultCode, 'INVALID_REFRESH_TOKEN');
});
