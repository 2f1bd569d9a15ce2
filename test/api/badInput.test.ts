/**
 * Property-based bad input, ≥ 10,000 cases per public route (fastify.inject, real Redis): whatever arrives, the
 * answer is a 4xx JSON error (or the route's normal success for input that happens to be valid), never a 5xx, never a
 * crash — and a notification that is not signed by Antom never reaches a workflow.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { merchantKeys } from '../support/fixtureKeys';
import { API_KEY, CLIENT_ID, signedNotification, startApiHarness, type ApiHarness } from './apiHarness';

const RUNS = 10_000;
const KNOWN_AUTH_STATES = ['state-known-1', 'state-known-2'];

const printable = (maxLength = 64) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const weirdSegments = fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2e%2e', '%00', '%2F', '%20', '', 'GCASH', 'cust-1', 'a'.repeat(300));
const segment = fc.oneof(weirdSegments, fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent), printable(20).map(encodeURIComponent));
const contentType = fc.option(fc.constantFrom('application/json', 'application/json; charset=UTF-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '*/*', 'garbage'), { nil: undefined });
const jsonish = fc.oneof(
  fc.json({ maxDepth: 3 }),
  printable(200),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.constantFrom('', '{', '[]', 'null', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000', '{"a":' + '['.repeat(500)),
  fc.record({
    authorizationNotifyType: fc.constantFrom('AUTHCODE_CREATED', 'TOKEN_CREATED', 'TOKEN_CANCELED', 'X'),
    authState: fc.oneof(fc.constantFrom(...KNOWN_AUTH_STATES), printable(20)),
    authCode: printable(20),
    accessToken: printable(20),
    authClientId: printable(10),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
);

type Check = (response: LightMyRequestResponse) => void;

/** Every answer is a non-5xx; errors are JSON `{error: {code, message}}`. */
/** issue 12 §4: a valid notification that matches no authorization yet is answered 503 so Antom resends it. */
const isUnroutedNotification = (response: LightMyRequestResponse) =>
  response.statusCode === 503 && response.json<{ error?: { code?: unknown } }>().error?.code === 'unrouted';

function assertWellFormed(response: LightMyRequestResponse, method: string, allowed5xx: (r: LightMyRequestResponse) => boolean = () => false): void {
  if (response.statusCode >= 500 && !allowed5xx(response)) throw new Error(`5xx ${response.statusCode}: ${response.body}`);
  // A HEAD answer has no body by definition.
  if (response.statusCode >= 400 && method !== 'HEAD') {
    const parsed = response.json<{ error?: { code?: unknown; message?: unknown } }>();
    if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') throw new Error(`not an error body: ${response.body}`);
  }
}

async function fuzz(t: ExecutionContext, h: ApiHarness, requests: fc.Arbitrary<InjectOptions>, check: Check = () => undefined, numRuns = RUNS): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      const response = await h.app.inject(request);
      assertWellFormed(response, request.method ?? 'GET', String(request.url).startsWith('/notifications/') ? isUnroutedNotification : undefined);
      check(response);
    }),
    { numRuns },
  );
  // Still alive and serving after the storm.
  t.is((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
}

async function harness(t: ExecutionContext): Promise<ApiHarness> {
  const h = await startApiHarness(t, { logLevel: 'silent' });
  for (const state of KNOWN_AUTH_STATES) await h.authStates.put(state, 'authorization:GCASH:cust-1');
  return h;
}

const signatureHeader = fc.oneof(
  printable(100),
  fc.base64String({ maxLength: 344 }).map((s) => `algorithm=RSA256,keyVersion=1,signature=${encodeURIComponent(s)}`),
  fc.base64String({ maxLength: 344 }).map((s) => `signature=${s}`),
);

const unsignedNotification = (path: string) =>
  fc.record({
    body: jsonish,
    contentType,
    clientId: fc.option(fc.oneof(fc.constant(CLIENT_ID), printable(30)), { nil: undefined }),
    time: fc.option(printable(30), { nil: undefined }),
    signature: fc.option(signatureHeader, { nil: undefined }),
    query: fc.option(printable(20).map(encodeURIComponent), { nil: undefined }),
  }).map(({ body, contentType: type, clientId, time, signature, query }): InjectOptions => ({
    method: 'POST',
    url: query === undefined ? path : `${path}?${query}`,
    payload: body,
    headers: {
      ...(type ? { 'content-type': type } : {}),
      ...(clientId !== undefined ? { 'client-id': clientId } : {}),
      ...(time !== undefined ? { 'request-time': time } : {}),
      ...(signature !== undefined ? { signature } : {}),
    },
  }));

for (const path of ['/notifications/antom', '/notifications/alipayplus', '/notifications/alipayplus/consultUnbinding']) {
  test(`POST ${path}: unsigned or wrongly signed input is 401/413/415, never a 5xx, never a delivery`, async (t) => {
    const h = await harness(t);
    await fuzz(t, h, unsignedNotification(path), (response) => {
      // 400: a URL Fastify cannot route; 415: a content-type header that is not a media type at all.
      if (![401, 413, 415, 400].includes(response.statusCode)) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
      if (h.operations.calls.length > 0) throw new Error('an unverified notification reached a workflow');
    });
    t.deepEqual(h.operations.calls, []);
  });
}

test('POST /notifications/antom: even a correctly signed body of any shape never causes a 5xx other than 503 unrouted (2,000 signed cases)', async (t) => {
  const h = await harness(t);
  const signed = jsonish.map((body) => {
    const notification = signedNotification('/notifications/antom', body);
    return { method: 'POST' as const, url: '/notifications/antom', headers: notification.headers, payload: notification.body };
  });
  await fuzz(t, h, signed, (response) => {
    // 503 only for a valid notification that matches no authorization yet (issue 12 §4: Antom must resend it).
    if (![200, 400].includes(response.statusCode) && !isUnroutedNotification(response)) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
  }, 2_000);
  for (const call of h.operations.calls) t.is(call.method, 'deliverAuthCode', 'only a valid AUTHCODE_CREATED for a known authState is delivered');
});

test('the wallet redirect: any query is a 303 to the result page with only our parameters (a customer is behind it)', async (t) => {
  const h = await harness(t);
  const query = fc.oneof(
    printable(120).map(encodeURI),
    fc.record({ authCode: fc.option(printable(140), { nil: undefined }), authState: fc.option(fc.oneof(fc.constantFrom(...KNOWN_AUTH_STATES), printable(300)), { nil: undefined }) })
      .map(({ authCode, authState }) => new URLSearchParams({ ...(authCode === undefined ? {} : { authCode }), ...(authState === undefined ? {} : { authState }) }).toString()),
    fc.constantFrom('authCode=%&authState=%', 'authCode[]=1&authState=x', 'authCode=a&authCode=b&authState=c', '%%%'),
  );
  await fuzz(t, h, query.map((q): InjectOptions => ({ method: 'GET', url: `/authorizations/return?${q}` })), (response) => {
    if (response.statusCode !== 303) throw new Error(`unexpected ${response.statusCode}`);
    const location = new URL(String(response.headers.location));
    if (location.origin + location.pathname !== `${h.settings.publicBaseUrl}/demo/result`) throw new Error(`redirected elsewhere: ${location.href}`);
    for (const key of location.searchParams.keys()) if (!['outcome', 'wallet', 'customerId'].includes(key)) throw new Error(`reflected parameter ${key}`);
    if (!['accepted', 'rejected', 'declined', 'unknown', 'unavailable'].includes(location.searchParams.get('outcome') ?? '')) throw new Error('unknown outcome');
  });
});

test('POST /authorizations: any body with a valid key is 200 only when valid, else a 4xx naming the problem', async (t) => {
  const h = await harness(t);
  const body = fc.oneof(
    jsonish,
    fc.record({
      wallet: fc.oneof(fc.constantFrom('GCASH', 'TNG', 'gcash', ''), printable(70)),
      customerId: fc.oneof(fc.constantFrom('c-1', 'a:b', ''), printable(140)),
      profile: fc.constantFrom('antom', 'alipayplus', 'x'),
      terminalType: fc.constantFrom('WEB', 'APP', 'WAP', 'TV'),
      osType: fc.constantFrom('IOS', 'ANDROID', 'BEOS'),
    }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  );
  const requests = fc.record({ body, contentType }).map(({ body: payload, contentType: type }): InjectOptions => ({
    method: 'POST', url: '/authorizations', payload, headers: { authorization: `Bearer ${API_KEY}`, ...(type ? { 'content-type': type } : {}) },
  }));
  let linked = 0;
  await fuzz(t, h, requests, (response) => {
    if (response.statusCode === 200) linked++;
    else if (![400, 413, 415].includes(response.statusCode)) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
  });
  t.is(h.operations.callsTo('link').length, linked, 'only valid requests reached the workflows');
});

test('backend routes with arbitrary path parameters, queries and methods never answer 5xx', async (t) => {
  const h = await harness(t);
  const requests = fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS') as fc.Arbitrary<InjectOptions['method'] & string>,
    wallet: segment,
    customer: segment,
    suffix: fc.constantFrom('', '/qr.svg', '/qr.png', '/token', '/refresh', '/retry', '/x'),
    body: fc.option(jsonish, { nil: undefined }),
  }).map(({ method, wallet, customer, suffix, body }): InjectOptions => ({
    method, url: `/authorizations/${wallet}/${customer}${suffix}`,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined || method === 'GET' || method === 'HEAD' ? {} : { payload: body }),
  }));
  await fuzz(t, h, requests);
});

test('GET /tokens/expiring with any query never answers 5xx', async (t) => {
  const h = await harness(t);
  const query = fc.oneof(
    printable(80).map(encodeURI),
    fc.record({ before: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), printable(30)), limit: fc.oneof(fc.integer().map(String), printable(5)) }, { requiredKeys: [] })
      .map((o) => new URLSearchParams(o as Record<string, string>).toString()),
  );
  await fuzz(t, h, query.map((q): InjectOptions => ({ method: 'GET', url: `/tokens/expiring?${q}`, headers: { authorization: `Bearer ${API_KEY}` } })));
});

test('any Authorization header other than a configured key is a 401', async (t) => {
  const h = await harness(t);
  const header = fc.oneof(printable(100), printable(40).map((k) => `Bearer ${k}`), fc.constant(`Bearer ${API_KEY} extra`), fc.constant(`Bearer  ${API_KEY.toUpperCase()}`));
  await fuzz(t, h, header.map((authorization): InjectOptions => ({ method: 'GET', url: '/authorizations/GCASH/cust-1', headers: { authorization } })), (response) => {
    if (response.statusCode !== 401) throw new Error(`unexpected ${response.statusCode}`);
  });
  t.deepEqual(h.operations.calls, []);
});

for (const route of ['/codec/decode', '/codec/encode']) {
  test(`POST ${route}: any body is answered with a payload list or a 4xx`, async (t) => {
    const h = await harness(t);
    const payloadItem = fc.record({
      metadata: fc.oneof(fc.dictionary(printable(10), fc.oneof(fc.base64String({ maxLength: 40 }), printable(10))), fc.constant(null), fc.constant('x')),
      data: fc.oneof(fc.base64String({ maxLength: 80 }), printable(20), fc.integer()),
    }, { requiredKeys: [] });
    const body = fc.oneof(jsonish, fc.record({ payloads: fc.oneof(fc.array(payloadItem, { maxLength: 4 }), fc.anything()) }).map((o) => JSON.stringify(o)));
    await fuzz(t, h, fc.record({ body, contentType }).map(({ body: payload, contentType: type }): InjectOptions => ({
      method: 'POST', url: route, payload, headers: { authorization: `Bearer ${API_KEY}`, ...(type ? { 'content-type': type } : {}) },
    })), (response) => {
      if (![200, 400, 413, 415, 422].includes(response.statusCode)) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
    });
  });
}

test('demo routes with any input never answer 5xx', async (t) => {
  const h = await harness(t);
  const requests = fc.oneof(
    jsonish.map((payload): InjectOptions => ({ method: 'POST', url: '/demo/api/authorizations', payload, headers: { 'content-type': 'application/json' } })),
    fc.tuple(segment, segment, fc.constantFrom('', '/qr.svg'), fc.constantFrom('GET', 'DELETE') as fc.Arbitrary<'GET' | 'DELETE'>)
      .map(([w, c, suffix, method]): InjectOptions => ({ method, url: `/demo/api/authorizations/${w}/${c}${suffix}` })),
    printable(60).map((q): InjectOptions => ({ method: 'GET', url: `/demo/result?${encodeURI(q)}` })),
  );
  await fuzz(t, h, requests);
});

test('the merchant key signing Alipay+ acknowledgements is never usable to forge inbound notifications', async (t) => {
  // Our own private key (the one the Alipay+ acks are signed with) must not verify as Antom's.
  const h = await harness(t);
  const notification = signedNotification('/notifications/antom', { authorizationNotifyType: 'AUTHCODE_CREATED', authState: KNOWN_AUTH_STATES[0], authCode: 'c' }, { privateKey: merchantKeys.privateKey });
  const response = await h.app.inject({ method: 'POST', url: '/notifications/antom', headers: notification.headers, payload: notification.body });
  t.is(response.statusCode, 401);
  t.deepEqual(h.operations.calls, []);
});
