import test from 'ava';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { AntomTransport, TransportFailureCause, type TransportOptions } from '../../src/antom/transport';
import { AntomTransportError, AntomUnverifiableResponseError } from '../../src/antom/errors';
import { antomKeys, merchantKeys, unrelatedKeys } from '../support/fixtureKeys';
import { rsaSignForTest, startFakeAntom, type FakeAntom, type SignedReplyOptions } from '../support/fakeAntomServer';
import type { ServerResponse } from 'node:http';

const CLIENT_ID = 'SANDBOX_5YBZ1A2X3C';
const PATH = '/ams/api/v1/authorizations/applyToken';
const SUCCESS = { result: { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' } };
const SECRET_AUTH_CODE = 'authcode-8f14e45fceea167a5a36dedd4bea2543';

type Fake = FakeAntom & { reply(res: ServerResponse, path: string, body: unknown, reply?: SignedReplyOptions): void };

async function setup(t: { teardown(fn: () => Promise<void>): void }, overrides: Partial<TransportOptions> = {}) {
  const fake: Fake = await startFakeAntom({
    merchantPublicKey: merchantKeys.publicKey,
    antomPrivateKey: antomKeys.privateKey,
    clientId: CLIENT_ID,
  });
  const transport = new AntomTransport({
    origin: fake.origin,
    clientId: CLIENT_ID,
    privateKey: merchantKeys.privateKey,
    antomPublicKey: antomKeys.publicKey,
    ...overrides,
  });
  t.teardown(async () => {
    await transport.close();
    await fake.close();
  });
  return { fake, transport };
}

const body = { grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: SECRET_AUTH_CODE, note: 'ünïcødé ✓ 支付' };

/** The coarse kind callers act on, and the fine-grained detail kept in the cause. */
function kindAndDetail(err: AntomTransportError | undefined): [string | undefined, string | undefined] {
  const cause = err?.cause;
  return [err?.kind, cause instanceof TransportFailureCause ? cause.detail : undefined];
}

function assertNoSecrets(t: { false(v: boolean, m?: string): void }, err: unknown): void {
  const text = `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack ?? ''}`;
  t.false(text.includes(SECRET_AUTH_CODE), 'error must not contain the authCode');
  t.false(text.includes('accessToken-secret'), 'error must not contain tokens');
}

test('request carries exactly the specified headers and the signed bytes', async (t) => {
  const { fake, transport } = await setup(t, { clock: () => 1714550400123, agentToken: 'agent-xyz' });
  fake.respondWith((_req, res) => fake.reply(res, PATH, { ...SUCCESS, accessToken: 'tok' }));

  const response = await transport.post(PATH, body);

  t.is(fake.requests.length, 1);
  const [received] = fake.requests;
  t.is(received!.method, 'POST');
  t.is(received!.path, PATH);
  t.is(received!.headers['content-type'], 'application/json; charset=UTF-8');
  t.is(received!.headers['client-id'], CLIENT_ID);
  t.is(received!.headers['request-time'], '1714550400123');
  t.is(received!.headers['agent-token'], 'agent-xyz');
  t.regex(String(received!.headers.signature), /^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/);
  t.is(received!.rawBody, JSON.stringify(body), 'the body is sent exactly as serialized once');
  t.true(received!.signatureValid, 'the signature verifies independently with node:crypto over the received bytes');
  t.deepEqual(response.result, SUCCESS.result);
  t.is(response.body.accessToken, 'tok');
  t.is(response.responseTime, '2024-05-01T12:00:00+08:00');
});

test('no agent-token header unless configured; ISO 8601 request-time when asked', async (t) => {
  const { fake, transport } = await setup(t, { clock: () => Date.UTC(2024, 4, 1, 4, 0, 0), requestTimeFormat: 'iso8601' });
  fake.respondWith((_req, res) => fake.reply(res, PATH, SUCCESS));
  await transport.post(PATH, body);
  const [received] = fake.requests;
  t.is(received!.headers['agent-token'], undefined);
  t.is(received!.headers['request-time'], '2024-05-01T04:00:00+00:00');
  t.true(received!.signatureValid);
});

test('keep-alive: consecutive calls reuse connections instead of opening one per call', async (t) => {
  const { fake, transport } = await setup(t);
  const ports: number[] = [];
  fake.respondWith((_req, res) => {
    ports.push((res.socket as Socket).remotePort ?? -1);
    fake.reply(res, PATH, SUCCESS);
  });
  for (let i = 0; i < 8; i++) await transport.post(PATH, body);
  // undici may open a second socket while the first one is still finishing its response; never one per call.
  t.is(ports.length, 8);
  t.true(new Set(ports).size <= 2, `sockets used: ${new Set(ports).size}`);
});

for (const [title, reply, reason] of [
  ['missing signature', { unsigned: true }, 'missing-signature'],
  ['missing response-time', { headers: { 'response-time': '' } }, 'missing-signature'],
  ['tampered body', { sendInstead: JSON.stringify({ result: { resultStatus: 'F', resultCode: 'INVALID_AUTHCODE', resultMessage: 'x' } }) }, 'bad-signature'],
  ['wrong key', { key: unrelatedKeys.privateKey }, 'bad-signature'],
  ['signed for another client-id', { clientId: 'SOMEONE_ELSE' }, 'bad-signature'],
  ['other response-time than signed', { headers: { 'response-time': '2024-05-01T12:00:01+08:00' } }, 'bad-signature'],
] as const) {
  test(`response rejected: ${title}`, async (t) => {
    const { fake, transport } = await setup(t);
    // Extra headers are set after signing, so they replace what was signed.
    fake.respondWith((_req, res) => fake.reply(res, PATH, SUCCESS, reply as SignedReplyOptions));
    const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomUnverifiableResponseError });
    t.is(err!.reason, reason);
    assertNoSecrets(t, err);
  });
}

test('an unsigned INVALID_SIGNATURE is not trusted as final but keeps its code for diagnosis', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) =>
    fake.reply(res, PATH, { result: { resultStatus: 'F', resultCode: 'INVALID_SIGNATURE', resultMessage: 'bad sig' } }, { unsigned: true }),
  );
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomUnverifiableResponseError });
  t.is(err!.reason, 'missing-signature');
  t.is(err!.claimedResultCode, 'INVALID_SIGNATURE');
  t.is(err!.outcome, 'unknown-retry');
  t.true(err!.retryable);
});

test('a response whose signature header lists its parameters in another order verifies (issue 15 item 7)', async (t) => {
  const { fake, transport } = await setup(t);
  const responseTime = '2024-05-01T12:00:00+08:00';
  const text = JSON.stringify(SUCCESS);
  const value = rsaSignForTest(antomKeys.privateKey, PATH, CLIENT_ID, responseTime, text);
  fake.respondWith((_req, res) =>
    fake.reply(res, PATH, text, { responseTime, headers: { signature: `signature=${value},keyVersion=1,algorithm=RSA256` } }),
  );
  const response = await transport.post(PATH, body);
  t.deepEqual(response.result, SUCCESS.result);
});

test('a response signed over a different path is rejected (the path is part of what is signed)', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => fake.reply(res, '/ams/api/v1/authorizations/consult', SUCCESS));
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomUnverifiableResponseError });
  t.is(err!.reason, 'bad-signature');
});

test('signed non-JSON body → unverifiable unparsable-body', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => fake.reply(res, PATH, '<html>gateway</html>'));
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomUnverifiableResponseError });
  t.is(err!.reason, 'unparsable-body');
});

test('signed JSON without a well-formed result → unverifiable invalid-shape', async (t) => {
  const { fake, transport } = await setup(t);
  for (const bad of [{ accessToken: 'accessToken-secret' }, { result: { resultStatus: 'X', resultCode: 'SUCCESS' } }, [1, 2], 'null']) {
    fake.respondWith((_req, res) => fake.reply(res, PATH, bad));
    const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomUnverifiableResponseError });
    t.is(err!.reason, 'invalid-shape');
    t.true(err!.issues.length > 0, 'says which field is wrong');
    assertNoSecrets(t, err);
  }
});

test('HTTP 5xx → transport error kind http-status with the status', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => fake.reply(res, PATH, SUCCESS, { status: 503 }));
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.is(err!.kind, 'http-status');
  t.is(err!.httpStatus, 503);
  t.true(err!.retryable);
});

test('HTTP 4xx, even signed and carrying an F code, is not a business result → http-status', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => fake.reply(res, PATH, { result: { resultStatus: 'F', resultCode: 'PARAM_ILLEGAL' } }, { status: 400 }));
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.is(err!.kind, 'http-status');
  t.is(err!.httpStatus, 400);
  t.is(err!.outcome, 'unknown-retry');
});

test('no response within the timeout → response-timeout, promptly', async (t) => {
  const { fake, transport } = await setup(t, { timeouts: { responseMs: 200 } });
  fake.respondWith(() => undefined); // never answers
  const started = Date.now();
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  const elapsed = Date.now() - started;
  t.deepEqual(kindAndDetail(err), ['timeout', 'response-timeout']);
  t.true(elapsed >= 190 && elapsed < 5000, `took ${elapsed} ms`);
  assertNoSecrets(t, err);
});

test('headers arrive but the body stalls → response-timeout (the deadline covers the whole body)', async (t) => {
  const { fake, transport } = await setup(t, { timeouts: { responseMs: 300 } });
  fake.respondWith((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    const tick = setInterval(() => res.write(' '), 100); // trickles forever: an idle timeout alone would not fire
    res.on('close', () => clearInterval(tick));
  });
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.deepEqual(kindAndDetail(err), ['timeout', 'response-timeout']);
});

test('a per-call timeout overrides the default', async (t) => {
  const { fake, transport } = await setup(t, { timeouts: { responseMs: 10_000 } });
  fake.respondWith(() => undefined);
  const started = Date.now();
  const err = await t.throwsAsync(transport.post(PATH, body, { responseTimeoutMs: 150 }), { instanceOf: AntomTransportError });
  t.deepEqual(kindAndDetail(err), ['timeout', 'response-timeout']);
  t.true(Date.now() - started < 5000);
});

test('socket destroyed mid-response → connection-reset', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
    res.write('{"result":{"resultStatus":"S",');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.deepEqual(kindAndDetail(err), ['connection', 'connection-reset']);
});

test('socket destroyed before any response → connection-reset', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => {
    res.socket?.destroy();
  });
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.deepEqual(kindAndDetail(err), ['connection', 'connection-reset']);
});

test('nothing listening → connection-refused', async (t) => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const transport = new AntomTransport({
    origin: `http://127.0.0.1:${port}`,
    clientId: CLIENT_ID,
    privateKey: merchantKeys.privateKey,
    antomPublicKey: antomKeys.publicKey,
  });
  t.teardown(() => transport.close());
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.deepEqual(kindAndDetail(err), ['connection', 'connection-refused']);
  t.is((err!.cause as TransportFailureCause).code, 'ECONNREFUSED');
});

test('TLS handshake that never completes → connect-timeout', async (t) => {
  // Loopback TCP connects instantly, so a silent peer on an https origin is what exercises the connect deadline
  // (undici's connect phase includes the TLS handshake).
  const sockets = new Set<Socket>();
  const silent = createTcpServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  const transport = new AntomTransport({
    origin: `https://127.0.0.1:${port}`,
    clientId: CLIENT_ID,
    privateKey: merchantKeys.privateKey,
    antomPublicKey: antomKeys.publicKey,
    timeouts: { connectMs: 200, responseMs: 5_000 },
  });
  t.teardown(async () => {
    await transport.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const started = Date.now();
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomTransportError });
  t.deepEqual(kindAndDetail(err), ['timeout', 'connect-timeout']);
  t.true(Date.now() - started < 3000, 'the connect deadline, not the response deadline, ended it');
});

test('concurrent calls share a bounded pool and each is signed and verified on its own', async (t) => {
  const { fake, transport } = await setup(t, { connections: 4 });
  const sockets = new Set<string>();
  fake.respondWith((request, res) => {
    sockets.add(`${(res.socket as Socket).remotePort}`);
    const echoed = JSON.parse(request.rawBody) as { n: number };
    setTimeout(() => fake.reply(res, PATH, { ...SUCCESS, n: String(echoed.n) }), 5);
  });
  const responses = await Promise.all(Array.from({ length: 40 }, (_, n) => transport.post(PATH, { n })));
  t.deepEqual(responses.map((response) => response.body.n), Array.from({ length: 40 }, (_, n) => String(n)));
  t.true(fake.requests.every((request) => request.signatureValid));
  t.true(sockets.size <= 4, `sockets used: ${sockets.size}`);
});

test('abort via AbortSignal mid-flight → aborted, not a timeout', async (t) => {
  const { fake, transport } = await setup(t, { timeouts: { responseMs: 10_000 } });
  fake.respondWith(() => undefined);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  const err = await t.throwsAsync(transport.post(PATH, body, { signal: controller.signal }), { instanceOf: AntomTransportError });
  t.is(err!.kind, 'aborted');
  t.true(Date.now() - started < 5000);
});

test('an already-aborted signal sends nothing', async (t) => {
  const { fake, transport } = await setup(t);
  fake.respondWith((_req, res) => fake.reply(res, PATH, SUCCESS));
  const err = await t.throwsAsync(transport.post(PATH, body, { signal: AbortSignal.abort() }), { instanceOf: AntomTransportError });
  t.is(err!.kind, 'aborted');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(fake.requests.length, 0);
});

test('an oversized response is not buffered → unverifiable too-large', async (t) => {
  const { fake, transport } = await setup(t, { maxResponseBytes: 1024 });
  fake.respondWith((_req, res) => fake.reply(res, PATH, { ...SUCCESS, extendInfo: 'x'.repeat(5000) }));
  const err = await t.throwsAsync(transport.post(PATH, body), { instanceOf: AntomUnverifiableResponseError });
  t.is(err!.reason, 'unparsable-body');
});

test('invalid configuration fails at construction', (t) => {
  const base = { origin: 'http://127.0.0.1:1', clientId: CLIENT_ID, privateKey: merchantKeys.privateKey, antomPublicKey: antomKeys.publicKey };
  t.throws(() => new AntomTransport({ ...base, timeouts: { responseMs: 0 } }), { message: /responseMs/ });
  t.throws(() => new AntomTransport({ ...base, agentToken: 'a'.repeat(129) }), { message: /agentToken/ });
});
