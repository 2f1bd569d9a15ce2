/**
 * The Temporal codec endpoint: bearer-authenticated, CORS for the UI origin only, round trip through the worker's
 * encryption codec, malformed bodies named.
 */
import test from 'ava';
import { API_KEY, bearer, startApiHarness, UI_ORIGIN } from './apiHarness';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"accessToken":"AT-in-history-01"}') }] };

test('encode then decode gives back the payload; the encoded form hides the plaintext', async (t) => {
  const h = await startApiHarness(t);
  const encoded = await h.app.inject({ method: 'POST', url: '/codec/encode', headers: bearer, payload: plain });
  t.is(encoded.statusCode, 200);
  t.false(Buffer.from(encoded.json<{ payloads: { data: string }[] }>().payloads[0]!.data, 'base64').toString('latin1').includes('AT-in-history-01'));
  const decoded = await h.app.inject({ method: 'POST', url: '/codec/decode', headers: bearer, payload: encoded.json() });
  t.deepEqual(decoded.json(), plain);
});

test('without a key the codec answers 401 (decoding shows tokens)', async (t) => {
  const h = await startApiHarness(t);
  for (const url of ['/codec/decode', '/codec/encode']) {
    const response = await h.app.inject({ method: 'POST', url, payload: plain, headers: { origin: UI_ORIGIN } });
    t.is(response.statusCode, 401);
    t.is(response.headers['access-control-allow-origin'], UI_ORIGIN, 'the UI can read the refusal');
  }
});

test('without a key the body is not read: a malformed or oversized body is still a 401, not a 400/413', async (t) => {
  const h = await startApiHarness(t);
  for (const payload of ['{"payloads": [', 'x'.repeat(5 * 1024 * 1024)]) {
    const response = await h.app.inject({ method: 'POST', url: '/codec/decode', payload, headers: { origin: UI_ORIGIN, 'content-type': 'application/json' } });
    t.is(response.statusCode, 401);
    t.is(response.headers['access-control-allow-origin'], UI_ORIGIN, 'the UI can read the refusal');
  }
});

test('CORS preflight admits the Temporal UI origin with the headers it sends, and no other origin', async (t) => {
  const h = await startApiHarness(t);
  const preflight = await h.app.inject({
    method: 'OPTIONS', url: '/codec/decode',
    headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,x-namespace' },
  });
  t.is(preflight.statusCode, 204);
  t.is(preflight.headers['access-control-allow-origin'], UI_ORIGIN);
  t.regex(String(preflight.headers['access-control-allow-headers']), /authorization/);
  t.is(preflight.headers['access-control-allow-credentials'], 'true');
  const foreignPreflight = await h.app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  t.is(foreignPreflight.headers['access-control-allow-origin'], undefined);
  t.is(foreignPreflight.headers['access-control-allow-methods'], undefined);
  const elsewhere = await h.app.inject({ method: 'OPTIONS', url: '/authorizations/GCASH/c1', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'GET' } });
  t.is(elsewhere.statusCode, 404, 'no CORS preflight outside the codec routes');
  const foreign = await h.app.inject({ method: 'POST', url: '/codec/decode', headers: { ...bearer, origin: 'https://evil.example' }, payload: plain });
  t.is(foreign.headers['access-control-allow-origin'], undefined, 'a browser on another origin cannot read the answer');
});

test('malformed codec bodies and undecodable payloads are 4xx naming the problem', async (t) => {
  const h = await startApiHarness(t);
  const cases: [unknown, number, RegExp][] = [
    [{}, 400, /body must be \{"payloads"/],
    [{ payloads: [{ data: 'not base64!' }] }, 400, /payloads\[0\]\.data must be a base64 string/],
    [{ payloads: [{ metadata: { encoding: b64('binary/encrypted') }, data: b64('x') }] }, 422, /encryption-key-id/],
    [{ payloads: [{ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k1') }, data: b64('too short to be sealed') }] }, 422, /cannot decrypt/],
    [{ payloads: [{ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('old') }, data: b64('x') }] }, 422, /key id "old"/],
  ];
  for (const [payload, status, message] of cases) {
    const response = await h.app.inject({ method: 'POST', url: '/codec/decode', headers: { authorization: `Bearer ${API_KEY}` }, payload: payload as object });
    t.is(response.statusCode, status, JSON.stringify(payload));
    t.regex(response.json<{ error: { message: string } }>().error.message, message);
  }
});
