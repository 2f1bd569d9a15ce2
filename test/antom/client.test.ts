import test from 'ava';
import type { ServerResponse } from 'node:http';
import { AntomClient, type AntomClientOptions, type CallEvent } from '../../src/antom/client';
import { EndpointConfigurationError } from '../../src/antom/endpoints';
import {
  AntomBusinessError,
  AntomTransportError,
  AntomUnknownResultError,
  AntomUnverifiableResponseError,
  RequestValidationError,
} from '../../src/antom/errors';
import type { AntomApplyTokenRequest, AntomConsultRequest } from '../../src/antom/models';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { startFakeAntom, type FakeAntom, type SignedReplyOptions } from '../support/fakeAntomServer';

const CLIENT_ID = 'MERCHANT_2188120123456789';
const SANDBOX_CLIENT_ID = 'SANDBOX_5YBZ1A2X3C';
const ACCESS_TOKEN = 'accessToken-secret-28100103_20385f8d39d';
const REFRESH_TOKEN = 'refreshToken-secret-28100103_9f0c1e7';
const AUTH_CODE = 'authCode-secret-663A8FA9D836';

type Fake = FakeAntom & { reply(res: ServerResponse, path: string, body: unknown, reply?: SignedReplyOptions): void };

const result = (resultStatus: 'S' | 'F' | 'U', resultCode: string, resultMessage = 'message') => ({
  result: { resultStatus, resultCode, resultMessage },
});
const SUCCESS = result('S', 'SUCCESS', 'success');

async function setup(t: { teardown(fn: () => Promise<void>): void }, overrides: Partial<AntomClientOptions> = {}) {
  const clientId = overrides.clientId ?? CLIENT_ID;
  const fake: Fake = await startFakeAntom({
    merchantPublicKey: merchantKeys.publicKey,
    antomPrivateKey: antomKeys.privateKey,
    clientId,
  });
  const client = new AntomClient({
    clientId,
    privateKey: merchantKeys.privateKey,
    antomPublicKey: antomKeys.publicKey,
    baseUrl: fake.origin,
    ...overrides,
  });
  t.teardown(async () => {
    await client.close();
    await fake.close();
  });
  /** Answers every request with `body`, signed over the path the request used. */
  const answer = (body: unknown, reply?: SignedReplyOptions) =>
    fake.respondWith((request, res) => fake.reply(res, request.path, body, reply));
  return { fake, client, answer };
}

const consultRequest: AntomConsultRequest = {
  customerBelongsTo: 'GCASH',
  authRedirectUrl: 'https://merchant.example/authorizations/return',
  scopes: ['AGREEMENT_PAY'],
  authState: 'state-0b7e0c1a',
  terminalType: 'WEB',
};

const authCodeGrant: AntomApplyTokenRequest = { grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: AUTH_CODE };
const refreshGrant: AntomApplyTokenRequest = { grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: REFRESH_TOKEN };

const tokenBody = {
  ...SUCCESS,
  accessToken: ACCESS_TOKEN,
  accessTokenExpiryTime: '2026-06-06T12:12:12+08:00',
  refreshToken: REFRESH_TOKEN,
  refreshTokenExpiryTime: '2026-12-06T12:12:12+08:00',
  userLoginId: '639*****5678',
};

function assertNoSecrets(t: { false(v: boolean, m?: string): void }, value: unknown): void {
  const text = `${String(value)} ${JSON.stringify(value)} ${(value as Error)?.stack ?? ''}`;
  for (const secret of [ACCESS_TOKEN, REFRESH_TOKEN, AUTH_CODE]) t.false(text.includes(secret), 'no secrets in errors or events');
}

test('consult: signed request on the Antom path, typed response back', async (t) => {
  const { fake, client, answer } = await setup(t);
  answer({ ...SUCCESS, normalUrl: 'https://wallet.example/authorize?x=1', authCodeForm: { codeDetails: [{ displayType: 'TEXT', codeValue: 'qr-text' }] } });

  const response = await client.consult(consultRequest);

  t.is(response.normalUrl, 'https://wallet.example/authorize?x=1');
  t.deepEqual(response.authCodeForm?.codeDetails, [{ displayType: 'TEXT', codeValue: 'qr-text' }]);
  t.is(fake.requests.length, 1);
  t.is(fake.requests[0]!.path, '/ams/api/v1/authorizations/consult');
  t.true(fake.requests[0]!.signatureValid);
  t.deepEqual(JSON.parse(fake.requests[0]!.rawBody), consultRequest);
  t.regex(String(fake.requests[0]!.headers['request-time']), /^\d{13}$/);
});

test('sandbox path: automatic for SANDBOX_ client-ids, overridable, and it is the signed path', async (t) => {
  const { fake, client, answer } = await setup(t, { clientId: SANDBOX_CLIENT_ID });
  answer(SUCCESS);
  t.is(client.pathOf('revoke'), '/ams/sandbox/api/v1/authorizations/revoke');
  const removal = await client.revoke({ accessToken: ACCESS_TOKEN });
  t.is(removal.removal, 'revoked');
  t.is(fake.requests[0]!.path, '/ams/sandbox/api/v1/authorizations/revoke');
  t.true(fake.requests[0]!.signatureValid);

  const { client: explicit } = await setup(t, { clientId: SANDBOX_CLIENT_ID, sandbox: false });
  t.is(explicit.pathOf('consult'), '/ams/api/v1/authorizations/consult');
  const { client: forced } = await setup(t, { sandbox: true });
  t.is(forced.pathOf('applyToken'), '/ams/sandbox/api/v1/authorizations/applyToken');
});

test('applyToken (authCode): expiry times become instants, offsets kept', async (t) => {
  const { fake, client, answer } = await setup(t);
  answer(tokenBody);
  const token = await client.applyToken(authCodeGrant);
  t.is(token.accessToken, ACCESS_TOKEN);
  t.is(token.refreshToken, REFRESH_TOKEN);
  t.deepEqual(token.accessTokenExpiryTime, { epochMs: Date.UTC(2026, 5, 6, 4, 12, 12), iso: '2026-06-06T12:12:12+08:00', offsetMinutes: 480 });
  t.is(token.refreshTokenExpiryTime?.epochMs, Date.UTC(2026, 11, 6, 4, 12, 12));
  t.is(token.userLoginId, '639*****5678');
  t.is(fake.requests[0]!.path, '/ams/api/v1/authorizations/applyToken');
});

test('applyToken (refresh): a wallet without refresh token returns none', async (t) => {
  const { fake, client, answer } = await setup(t);
  answer({ ...SUCCESS, accessToken: ACCESS_TOKEN, accessTokenExpiryTime: '2124-01-01T00:00:00Z' });
  const token = await client.applyToken(refreshGrant);
  t.is(token.refreshToken, undefined);
  t.is(token.refreshTokenExpiryTime, undefined);
  t.is(JSON.parse(fake.requests[0]!.rawBody).grantType, 'REFRESH_TOKEN');
});

for (const [code, outcome] of [
  ['INVALID_AUTHCODE', 'customer-final'],
  ['USER_STATUS_ABNORMAL', 'customer-final'],
  ['INVALID_SIGNATURE', 'systemic-final'],
  ['KEY_NOT_FOUND', 'systemic-final'],
  ['SYSTEM_ERROR', 'systemic-final'],
] as const) {
  test(`applyToken F ${code} → AntomBusinessError ${outcome}`, async (t) => {
    const { client, answer } = await setup(t);
    answer(result('F', code));
    const err = await t.throwsAsync(client.applyToken(authCodeGrant), { instanceOf: AntomBusinessError });
    t.is(err!.resultCode, code);
    t.is(err!.outcome, outcome);
    t.is(err!.resultMessage, 'message');
    t.false(err!.retryable);
    assertNoSecrets(t, err);
  });
}

for (const code of ['AUTH_IN_PROCESS', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'UNKNOWN_EXCEPTION']) {
  test(`applyToken U ${code} → AntomUnknownResultError (retry)`, async (t) => {
    const { client, answer } = await setup(t);
    answer(result('U', code));
    const err = await t.throwsAsync(client.applyToken(authCodeGrant), { instanceOf: AntomUnknownResultError });
    t.is(err!.resultCode, code);
    t.is(err!.outcome, 'unknown-retry');
    t.true(err!.retryable);
  });
}

test('revoke: INVALID_ACCESS_TOKEN means already gone and is returned, not thrown', async (t) => {
  const { client, answer } = await setup(t);
  answer(result('F', 'INVALID_ACCESS_TOKEN'));
  const removal = await client.revoke({ accessToken: ACCESS_TOKEN });
  t.is(removal.removal, 'already-gone');
  t.is(removal.result.resultCode, 'INVALID_ACCESS_TOKEN');
});

test('revoke: other F codes still throw', async (t) => {
  const { client, answer } = await setup(t);
  answer(result('F', 'ACCESS_DENIED'));
  const err = await t.throwsAsync(client.revoke({ accessToken: ACCESS_TOKEN }), { instanceOf: AntomBusinessError });
  t.is(err!.outcome, 'systemic-final');
});

test('a success body missing required fields is not half-accepted → invalid-shape naming the field', async (t) => {
  const { client, answer } = await setup(t);
  answer({ ...SUCCESS, accessTokenExpiryTime: '2026-06-06T12:12:12+08:00' });
  const err = await t.throwsAsync(client.applyToken(authCodeGrant), { instanceOf: AntomUnverifiableResponseError });
  t.is(err!.reason, 'invalid-shape');
  t.true(err!.issues.some((issue) => issue.field === 'accessToken'));
  t.true(err!.retryable);
});

test('an unparseable expiry time is rejected, not guessed', async (t) => {
  const { client, answer } = await setup(t);
  answer({ ...tokenBody, accessTokenExpiryTime: '2026-06-06 12:12:12' });
  const err = await t.throwsAsync(client.applyToken(authCodeGrant), { instanceOf: AntomUnverifiableResponseError });
  t.true(err!.issues.some((issue) => issue.field === 'accessTokenExpiryTime'));
  assertNoSecrets(t, err);
});

test('an unsigned F response is not acted on: unverifiable, retryable, with the claimed code', async (t) => {
  const { client, answer } = await setup(t);
  answer(result('F', 'INVALID_AUTHCODE'), { unsigned: true });
  const err = await t.throwsAsync(client.applyToken(authCodeGrant), { instanceOf: AntomUnverifiableResponseError });
  t.is(err!.reason, 'missing-signature');
  t.is(err!.claimedResultCode, 'INVALID_AUTHCODE');
  t.is(err!.outcome, 'unknown-retry');
});

test('invalid requests are rejected locally, naming the field, and nothing reaches the server', async (t) => {
  const { fake, client, answer } = await setup(t);
  answer(SUCCESS);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['authCode missing', () => client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH' } as never), /applyToken\.authCode: required/],
    ['refreshToken with authCode grant', () => client.applyToken({ ...authCodeGrant, refreshToken: REFRESH_TOKEN } as never), /applyToken\.refreshToken/],
    ['merchantRegion outside US/JP/PK/SG', () => client.applyToken({ ...authCodeGrant, merchantRegion: 'DE' } as never), /applyToken\.merchantRegion/],
    ['empty optional', () => client.consult({ ...consultRequest, merchantAccountId: '' }), /consult\.merchantAccountId/],
    ['osType missing for APP', () => client.consult({ ...consultRequest, terminalType: 'APP' }), /consult\.osType: required/],
    ['accessToken too long', () => client.revoke({ accessToken: 'x'.repeat(129) }), /revoke\.accessToken/],
    ['not a string', () => client.revoke({ accessToken: 12345 as never }), /revoke\.accessToken/],
  ];
  for (const [title, call, message] of cases) {
    const err = await t.throwsAsync(call(), { instanceOf: RequestValidationError }, title);
    t.regex(err!.message, message, title);
    assertNoSecrets(t, err);
  }
  t.is(fake.requests.length, 0, 'the server saw no request');
});

test('a call of the other platform is refused before sending', async (t) => {
  const { fake, client } = await setup(t);
  await t.throwsAsync(
    client.cancelToken({ accessToken: ACCESS_TOKEN, authClientId: 'acq-merchant-1' }),
    { instanceOf: EndpointConfigurationError, message: /cancelToken is a alipayplus call/ },
  );
  t.is(fake.requests.length, 0);
});

test('Alipay+: prepare / applyTokenAps / cancelToken on the /aps/ paths with ISO 8601 request-time', async (t) => {
  const { fake, client, answer } = await setup(t, { platform: 'alipayplus', clock: () => Date.UTC(2025, 0, 2, 3, 4, 5) });
  answer({ ...SUCCESS, normalUrl: 'https://wallet.example/a', pspId: 'PSP1' });
  const prepared = await client.prepare({
    customerBelongsTo: 'TNG',
    authClientId: 'acq-merchant-1',
    authClientName: 'Example Shop Sdn Bhd',
    authRedirectUrl: 'https://merchant.example/return',
    scopes: ['AGREEMENT_PAY'],
    authState: 'state-aps-1',
    terminalType: 'WEB',
  });
  t.is(prepared.normalUrl, 'https://wallet.example/a');

  answer({ ...tokenBody, customerId: 'cust-1', walletForAccountBinding: { walletName: 'TNG' } });
  const token = await client.applyTokenAps({ authClientId: 'acq-merchant-1', grantType: 'AUTHORIZATION_CODE', authCode: 'code-aps-1' });
  t.is(token.accessToken, ACCESS_TOKEN);
  t.is(token.customerId, 'cust-1');

  answer(result('F', 'INVALID_ACCESS_TOKEN'));
  const removal = await client.cancelToken({ accessToken: ACCESS_TOKEN, authClientId: 'acq-merchant-1' });
  t.is(removal.removal, 'already-gone');

  t.deepEqual(fake.requests.map((r) => r.path), [
    '/aps/api/v1/authorizations/prepare',
    '/aps/api/v1/authorizations/applyToken',
    '/aps/api/v1/authorizations/cancelToken',
  ]);
  t.true(fake.requests.every((r) => r.signatureValid && r.headers['request-time'] === '2025-01-02T03:04:05+00:00'));
});

test('applyToken with an authCode gets the short deadline; a refresh keeps the normal one', async (t) => {
  const { fake, client } = await setup(t, { timeouts: { responseMs: 8_000, authCodeResponseMs: 300 } });
  fake.respondWith((request, res) => {
    // authCode grants are never answered; refreshes are answered after twice the authCode deadline.
    if (JSON.parse(request.rawBody).grantType === 'REFRESH_TOKEN') setTimeout(() => fake.reply(res, request.path, tokenBody), 600);
  });
  const started = Date.now();
  const err = await t.throwsAsync(client.applyToken(authCodeGrant), { instanceOf: AntomTransportError });
  t.is(err!.kind, 'timeout');
  // Bounds far apart so a loaded machine cannot blur them: 300 ms deadline vs the 8 s normal one.
  t.true(Date.now() - started < 5_000, 'gave up at the authCode deadline, not the normal one');

  const token = await client.applyToken(refreshGrant);
  t.is(token.accessToken, ACCESS_TOKEN, 'a 600 ms answer is fine for a refresh');
});

test('per-call AbortSignal aborts the request', async (t) => {
  const { fake, client } = await setup(t);
  fake.respondWith(() => undefined);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const err = await t.throwsAsync(client.consult(consultRequest, { signal: controller.signal }), { instanceOf: AntomTransportError });
  t.is(err!.kind, 'aborted');
});

test('onCall reports outcome and verified result code, without secrets', async (t) => {
  const events: CallEvent[] = [];
  const { client, answer } = await setup(t, {
    onCall: (event) => {
      events.push(event);
      throw new Error('a failing hook must not change the call');
    },
  });
  answer(tokenBody);
  await client.applyToken(authCodeGrant);
  answer(result('F', 'INVALID_REFRESH_TOKEN'));
  await t.throwsAsync(client.applyToken(refreshGrant), { instanceOf: AntomBusinessError });
  answer(SUCCESS, { unsigned: true });
  await t.throwsAsync(client.revoke({ accessToken: ACCESS_TOKEN }), { instanceOf: AntomUnverifiableResponseError });

  t.deepEqual(
    events.map(({ endpoint, outcome, resultCode, error }) => ({ endpoint, outcome, resultCode, error })),
    [
      { endpoint: 'applyToken', outcome: 'success', resultCode: 'SUCCESS', error: undefined },
      { endpoint: 'applyToken', outcome: 'customer-final', resultCode: 'INVALID_REFRESH_TOKEN', error: 'AntomBusinessError' },
      { endpoint: 'revoke', outcome: 'unknown-retry', resultCode: undefined, error: 'AntomUnverifiableResponseError' },
    ],
  );
  t.true(events.every((event) => event.durationMs >= 0 && event.platform === 'antom'));
  assertNoSecrets(t, events);
});

test('configuration: regions pick documented origins and platforms; mistakes fail at construction', async (t) => {
  const keys = { clientId: CLIENT_ID, privateKey: merchantKeys.privateKey, antomPublicKey: antomKeys.publicKey };
  const sea = new AntomClient({ ...keys, region: 'sea' });
  t.is(sea.origin, 'https://open-sea-global.alipay.com');
  t.is(sea.platform, 'antom');
  const aps = new AntomClient({ ...keys, region: 'aps-na' });
  t.is(aps.origin, 'https://open-na.alipayplus.com');
  t.is(aps.platform, 'alipayplus');
  t.is(aps.pathOf('cancelToken'), '/aps/api/v1/authorizations/cancelToken');
  await Promise.all([sea.close(), aps.close()]);

  t.throws(() => new AntomClient({ ...keys, region: 'mars' as never }), { instanceOf: EndpointConfigurationError, message: /unknown region/ });
  t.throws(() => new AntomClient({ ...keys, baseUrl: 'http://127.0.0.1:4010/prefix' }), { instanceOf: EndpointConfigurationError });
  t.throws(() => new AntomClient({ ...keys, region: 'sea', platform: 'alipayplus' }), { instanceOf: EndpointConfigurationError });
  t.throws(() => new AntomClient({ ...keys, region: 'aps-sea', sandbox: true }), { instanceOf: EndpointConfigurationError });
  t.throws(() => new AntomClient({ ...keys }), { instanceOf: EndpointConfigurationError, message: /baseUrl or region/ });
  t.throws(() => new AntomClient({ ...keys, clientId: '', baseUrl: 'http://127.0.0.1:1' }), { instanceOf: EndpointConfigurationError });
});
