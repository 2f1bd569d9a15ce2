/**
 * Property-based bad input for the codec sign-in routes, 10,000 cases each (fastify.inject, real Redis): whatever
 * arrives, never a 5xx; a session cookie is set only for the configured key; no forged or mangled cookie opens the
 * codec; the login page renders for any Cookie header.
 */
import test from 'ava';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { CODEC_SESSION_COOKIE } from '../../src/api/codecSession';
import { API_KEY, bearer, startApiHarness, type ApiHarness } from './apiHarness';

const RUNS = 10_000;
const printable = (maxLength = 64) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const contentType = fc.option(fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'garbage'), { nil: undefined });

async function fuzz(h: ApiHarness, requests: fc.Arbitrary<InjectOptions>, check: (response: LightMyRequestResponse, request: InjectOptions) => void): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      const response = await h.app.inject(request);
      if (response.statusCode >= 500) throw new Error(`5xx ${response.statusCode}: ${response.body}`);
      check(response, request);
    }),
    { numRuns: RUNS },
  );
}

const setsSession = (response: LightMyRequestResponse) =>
  ([] as string[]).concat(response.headers['set-cookie'] ?? []).some((c) => c.startsWith(`${CODEC_SESSION_COOKIE}=`) && !c.includes('Max-Age=0'));

test('POST /codec/session: any body and Authorization → a cookie only for the configured key, never a 5xx', async (t) => {
  const h = await startApiHarness(t, { logLevel: 'silent' });
  const key = fc.oneof(printable(40), fc.constant(API_KEY), fc.constant(` ${API_KEY} `), fc.constant(API_KEY.toUpperCase()), fc.constant(`${API_KEY}x`));
  const body = fc.oneof(
    key.map((k) => `apiKey=${encodeURIComponent(k)}`),
    fc.tuple(key, key).map(([a, b]) => `apiKey=${encodeURIComponent(a)}&apiKey=${encodeURIComponent(b)}`),
    printable(200),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.constantFrom('', '%', 'apiKey=%zz', 'apiKey', '=&=&', 'a'.repeat(5000)),
  );
  const requests = fc.record({
    body: fc.option(body, { nil: undefined }),
    type: contentType,
    authorization: fc.option(fc.oneof(printable(60), key.map((k) => `Bearer ${k}`)), { nil: undefined }),
  }).map(({ body: payload, type, authorization }): InjectOptions => ({
    method: 'POST', url: '/codec/session',
    headers: { ...(type ? { 'content-type': type } : {}), ...(authorization !== undefined ? { authorization } : {}) },
    ...(payload === undefined ? {} : { payload }),
  }));
  let opened = 0;
  await fuzz(h, requests, (response, request) => {
    const headers = request.headers as Record<string, string>;
    const presented = headers.authorization !== undefined
      ? /^bearer +(\S+)\s*$/i.exec(headers.authorization)?.[1]
      : headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(String(request.payload ?? '')).get('apiKey')?.trim() : undefined;
    const valid = presented === API_KEY;
    const success = response.statusCode === 200 || response.statusCode === 303;
    if (setsSession(response) !== success) throw new Error(`${response.statusCode} with cookie=${setsSession(response)}`);
    if (success && !valid) throw new Error(`signed in without the key: ${JSON.stringify(request)}`);
    // The right key is refused only when the body itself cannot be read (malformed, too large, unknown type).
    if (!success && valid && ![400, 413, 415].includes(response.statusCode)) throw new Error(`key refused: ${response.statusCode}`);
    if (success) opened += 1;
  });
  t.true(opened > 100, `the right key was tried and accepted (${opened} times)`);
});

test('POST /codec/decode with any Cookie header and no key → 401, never a payload', async (t) => {
  const h = await startApiHarness(t, { logLevel: 'silent' });
  const payload = (await h.app.inject({ method: 'POST', url: '/codec/encode', headers: bearer, payload: { payloads: [] } })).json<object>();
  const validToken = (await h.app.inject({ method: 'POST', url: '/codec/session', headers: bearer })).headers['set-cookie']!.toString().split(';')[0]!.split('=')[1]!;
  const [, expiry, nonce, mac] = validToken.split('.') as [string, string, string, string];
  const b64url = fc.base64String({ minLength: 4, maxLength: 60 }).map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
  const token = fc.oneof(
    printable(120),
    fc.tuple(fc.constantFrom('v1', 'v0', 'v2', ''), fc.oneof(fc.constant(expiry), fc.nat().map(String), printable(12)), fc.oneof(fc.constant(nonce), b64url), fc.oneof(b64url, fc.constant(mac.slice(1)))).map((parts) => parts.join('.')),
    // The real token with one character changed anywhere (each change must break the signature or the shape).
    fc.tuple(fc.nat({ max: validToken.length - 1 }), fc.constantFrom(...'ABCxyz019-_.'))
      .filter(([at, c]) => validToken[at] !== c)
      .map(([at, c]) => validToken.slice(0, at) + c + validToken.slice(at + 1)),
  );
  const cookie = fc.oneof(
    token.map((value) => `${CODEC_SESSION_COOKIE}=${value}`),
    fc.array(token, { maxLength: 8 }).map((values) => values.map((v) => `${CODEC_SESSION_COOKIE}=${v}`).join('; ')),
    printable(200),
  );
  await fuzz(h, cookie.map((value): InjectOptions => ({ method: 'POST', url: '/codec/decode', headers: { cookie: value, 'content-type': 'application/json' }, payload: JSON.stringify(payload) })), (response) => {
    if (response.statusCode !== 401) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
  });
  t.is((await h.app.inject({ method: 'POST', url: '/codec/decode', headers: { cookie: `${CODEC_SESSION_COOKIE}=${validToken}` }, payload })).statusCode, 200, 'the untouched token still works');
});

test('GET /codec/login and POST /codec/logout with any Cookie header and body render, never a 5xx', async (t) => {
  const h = await startApiHarness(t, { logLevel: 'silent' });
  const requests = fc.oneof(
    printable(300).map((cookie): InjectOptions => ({ method: 'GET', url: '/codec/login', headers: { cookie } })),
    fc.record({ body: printable(100), type: contentType }).map(({ body, type }): InjectOptions => ({
      method: 'POST', url: '/codec/logout', headers: type ? { 'content-type': type } : {}, payload: body,
    })),
  );
  await fuzz(h, requests, (response, request) => {
    if (request.method === 'GET' && (response.statusCode !== 200 || !response.body.includes('Not signed in'))) throw new Error(`login page: ${response.statusCode}`);
    if (request.method === 'POST' && ![204, 303, 400, 413, 415].includes(response.statusCode)) throw new Error(`logout: ${response.statusCode}`);
  });
  t.pass();
});
