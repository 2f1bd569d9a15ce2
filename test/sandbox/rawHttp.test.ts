/**
 * Malformed input over raw HTTP (what a broken client or a fuzzer sends): the sandbox must answer with the right
 * Antom code, signed, and keep serving — never crash or hang. Each answer's signature is verified here.
 */
import test from 'ava';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import fc from 'fast-check';
import { signParts, verifyParts } from '../../src/antom/signing';
import { formatSignatureHeader, parseSignatureHeader } from '../../src/antom/signatureHeader';
import type { RunningSandbox } from '../../src/sandbox';
import { merchantKeys, unrelatedKeys } from '../support/fixtureKeys';
import { MERCHANT, startTestSandbox } from './harness';

const APPLY_PATH = '/ams/api/v1/authorizations/applyToken';

interface RawAnswer {
  status: number;
  body: string;
  result?: { resultStatus: string; resultCode: string; resultMessage: string };
  signatureValid: boolean;
}

interface RawRequest {
  method?: 'POST' | 'GET' | 'PUT';
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Leave these headers out. */
  omit?: string[];
  signWith?: 'merchant' | 'unrelated' | 'none';
  /** request-time to sign and send; default now in epoch ms. */
  time?: string;
}

async function send(sandbox: RunningSandbox, options: RawRequest): Promise<RawAnswer> {
  const path = options.path ?? APPLY_PATH;
  const body = options.body ?? '{}';
  const bodyText = typeof body === 'string' ? body : body.toString('utf8');
  const time = options.time ?? String(Date.now());
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=UTF-8',
    'client-id': MERCHANT,
    'request-time': time,
  };
  const signer = options.signWith ?? 'merchant';
  if (signer !== 'none') {
    const key = signer === 'merchant' ? merchantKeys.privateKey : unrelatedKeys.privateKey;
    headers.signature = formatSignatureHeader({ signature: signParts(key, { path, clientId: MERCHANT, time, body: bodyText }) });
  }
  Object.assign(headers, options.headers);
  for (const name of options.omit ?? []) delete headers[name];
  const response = await request(`${sandbox.url}${path}`, {
    method: options.method ?? 'POST',
    headers,
    ...(options.method === 'GET' ? {} : { body }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  const responseTime = String(response.headers['response-time'] ?? '');
  const signature = parseSignatureHeader(String(response.headers.signature ?? ''));
  const signatureValid =
    signature !== undefined &&
    verifyParts(sandbox.publicKey, { path, clientId: String(response.headers['client-id'] ?? ''), time: responseTime, body: text }, signature.signature);
  let result: RawAnswer['result'];
  try {
    result = (JSON.parse(text) as { result: RawAnswer['result'] }).result;
  } catch {
    result = undefined;
  }
  return { status: response.statusCode, body: text, ...(result === undefined ? {} : { result }), signatureValid };
}

async function assertStillServing(t: import('ava').ExecutionContext, sandbox: RunningSandbox): Promise<void> {
  const answer = await send(sandbox, { body: JSON.stringify({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'x'.repeat(40) }) });
  t.is(answer.result?.resultCode, 'INVALID_REFRESH_TOKEN');
}

test('garbage bodies → PARAM_ILLEGAL (signed, HTTP 200)', async (t) => {
  const sandbox = await startTestSandbox(t);
  for (const body of ['not json at all', '{"grantType":', '[]', 'null', '42', '"string"', '\u0000\u0001\u0002', '']) {
    const answer = await send(sandbox, { body });
    t.is(answer.status, 200, JSON.stringify(body));
    t.is(answer.result?.resultCode, 'PARAM_ILLEGAL', JSON.stringify(body));
    t.is(answer.result?.resultStatus, 'F');
    t.true(answer.signatureValid, 'error answers are signed too');
  }
  await assertStillServing(t, sandbox);
});

test('PARAM_ILLEGAL names the field: missing, empty string, non-string, over-long, unknown field', async (t) => {
  const sandbox = await startTestSandbox(t);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH' }, /authCode/],
    [{ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: '', authCode: 'abc' }, /customerBelongsTo/],
    [{ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 12345 }, /authCode: must be a string/],
    [{ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'G'.repeat(65), authCode: 'abc' }, /customerBelongsTo: must be at most 64/],
    [{ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'r'.repeat(129) }, /refreshToken: must be at most 128/],
    [{ grantType: 'PASSWORD', customerBelongsTo: 'GCASH' }, /grantType/],
    [{ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'abc', surprise: 'x' }, /surprise: unknown field/],
  ];
  for (const [body, pattern] of cases) {
    const answer = await send(sandbox, { body: JSON.stringify(body) });
    t.is(answer.result?.resultCode, 'PARAM_ILLEGAL', JSON.stringify(body));
    t.regex(answer.result?.resultMessage ?? '', pattern);
  }
  // The field names come from the validators; values never echo back (an authCode could be in them).
  const secretish = await send(sandbox, { body: JSON.stringify({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'S'.repeat(129) }) });
  t.false(secretish.body.includes('S'.repeat(20)));
});

test('consult validation: scopes, URL, osType for APP', async (t) => {
  const sandbox = await startTestSandbox(t);
  const base = { customerBelongsTo: 'GCASH', authRedirectUrl: 'https://m.example/r', scopes: ['AGREEMENT_PAY'], authState: 's', terminalType: 'WEB' };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...base, scopes: [] }, /scopes/],
    [{ ...base, scopes: ['AGREEMENT_PAY', 'AGREEMENT_PAY'] }, /scopes/],
    [{ ...base, authRedirectUrl: 'not a url' }, /authRedirectUrl/],
    [{ ...base, terminalType: 'APP' }, /osType/],
    [{ ...base, authState: 'a'.repeat(257) }, /authState/],
  ];
  for (const [body, pattern] of cases) {
    const answer = await send(sandbox, { path: '/ams/api/v1/authorizations/consult', body: JSON.stringify(body) });
    t.is(answer.result?.resultCode, 'PARAM_ILLEGAL');
    t.regex(answer.result?.resultMessage ?? '', pattern);
  }
});

test('a huge body → 413 with an Antom-shaped signed answer, and the server keeps serving', async (t) => {
  const sandbox = await startTestSandbox(t, { maxBodyBytes: 64 * 1024 });
  const huge = `{"grantType":"REFRESH_TOKEN","pad":"${'x'.repeat(200 * 1024)}"}`;
  const answer = await send(sandbox, { body: huge });
  t.is(answer.status, 413);
  t.is(answer.result?.resultCode, 'PARAM_ILLEGAL');
  t.true(answer.signatureValid);
  await assertStillServing(t, sandbox);
});

test('a huge chunked body without content-length is cut off too', async (t) => {
  const sandbox = await startTestSandbox(t, { maxBodyBytes: 16 * 1024 });
  const chunks = () => Readable.from((function* () {
    for (let i = 0; i < 64; i += 1) yield Buffer.alloc(1024, 'a');
  })());
  const response = await request(`${sandbox.url}${APPLY_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'client-id': MERCHANT, 'request-time': String(Date.now()), signature: 'signature=abc' },
    body: chunks(),
    headersTimeout: 10_000,
  }).catch((err: unknown) => err);
  // Either the 413 arrives or the upload is cut (EPIPE/reset) — never a hang.
  if (!(response instanceof Error)) {
    t.is((response as { statusCode: number }).statusCode, 413);
    await (response as { body: { text(): Promise<string> } }).body.text();
  } else {
    t.pass();
  }
  await assertStillServing(t, sandbox);
});

test('missing headers and bad signatures → the right code', async (t) => {
  const sandbox = await startTestSandbox(t);
  const body = JSON.stringify({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'abc' });
  t.is((await send(sandbox, { body, omit: ['client-id'] })).result?.resultCode, 'UNKNOWN_CLIENT');
  t.is((await send(sandbox, { body, headers: { 'client-id': 'SOMEONE_ELSE' } })).result?.resultCode, 'UNKNOWN_CLIENT');
  t.is((await send(sandbox, { body, omit: ['request-time'] })).result?.resultCode, 'PARAM_ILLEGAL');
  t.is((await send(sandbox, { body, signWith: 'none' })).result?.resultCode, 'INVALID_SIGNATURE');
  t.is((await send(sandbox, { body, signWith: 'unrelated' })).result?.resultCode, 'INVALID_SIGNATURE');
  t.is((await send(sandbox, { body, headers: { signature: 'algorithm=RSA256,keyVersion=1,signature=%%%not-base64' } })).result?.resultCode, 'INVALID_SIGNATURE');
  t.is((await send(sandbox, { body, headers: { signature: 'algorithm=RSA256,keyVersion=7,signature=abc' } })).result?.resultCode, 'KEY_NOT_FOUND');
  t.is((await send(sandbox, { body, headers: { 'request-time': 'yesterday' } })).result?.resultCode, 'INVALID_SIGNATURE', 'the time is part of what is signed');
  t.is((await send(sandbox, { body, time: 'yesterday' })).result?.resultCode, 'PARAM_ILLEGAL', 'signed but unparsable request-time');
  t.is((await send(sandbox, { body, time: new Date().toISOString() })).result?.resultCode, 'INVALID_REFRESH_TOKEN', 'ISO 8601 request-time accepted');
  // /ams: MEDIA_TYPE_NOT_ACCEPTABLE is not in Antom's tables, and Content-Type is optional (antom-api-overview).
  t.is((await send(sandbox, { body, headers: { 'content-type': 'text/plain' } })).result?.resultCode, 'PARAM_ILLEGAL');
  t.is((await send(sandbox, { body, omit: ['content-type'] })).result?.resultCode, 'INVALID_REFRESH_TOKEN', 'no Content-Type is fine');
  // Lenient header parsing: Antom's documented form with spaces after the commas is fine.
  t.is((await send(sandbox, { body })).result?.resultCode, 'INVALID_REFRESH_TOKEN');
});

test('the body is verified byte for byte: a re-serialized body does not verify', async (t) => {
  const sandbox = await startTestSandbox(t);
  const signedBody = '{"grantType":"REFRESH_TOKEN", "customerBelongsTo":"GCASH","refreshToken":"abc"}';
  const time = String(Date.now());
  const signature = formatSignatureHeader({ signature: signParts(merchantKeys.privateKey, { path: APPLY_PATH, clientId: MERCHANT, time, body: signedBody }) });
  const answer = await send(sandbox, {
    body: JSON.stringify(JSON.parse(signedBody)),
    headers: { 'request-time': time, signature },
  });
  t.is(answer.result?.resultCode, 'INVALID_SIGNATURE');
});

test('wrong method → NO_INTERFACE_DEF on /ams, METHOD_NOT_SUPPORTED on /aps (each table\'s code); unknown path → NO_INTERFACE_DEF', async (t) => {
  const sandbox = await startTestSandbox(t);
  const get = await send(sandbox, { method: 'GET' });
  t.is(get.result?.resultCode, 'NO_INTERFACE_DEF', 'Antom\'s tables have no METHOD_NOT_SUPPORTED');
  t.true(get.signatureValid);
  const put = await send(sandbox, { method: 'PUT' });
  t.is(put.result?.resultCode, 'NO_INTERFACE_DEF');
  const apsGet = await send(sandbox, { method: 'GET', path: '/aps/api/v1/authorizations/applyToken' });
  t.is(apsGet.result?.resultCode, 'METHOD_NOT_SUPPORTED');
  const unknown = await send(sandbox, { path: '/ams/api/v1/payments/pay' });
  t.is(unknown.result?.resultCode, 'NO_INTERFACE_DEF');
  t.true(unknown.signatureValid);
  const aps = await send(sandbox, { path: '/aps/api/v1/authorizations/consult' });
  t.is(aps.result?.resultCode, 'NO_INTERFACE_DEF', 'consult is Antom-only; Alipay+ calls it prepare');
});

test('HTTP-level garbage on the socket gets a 400 and the server keeps serving', async (t) => {
  const sandbox = await startTestSandbox(t);
  const { port, hostname } = new URL(sandbox.url);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write('THIS IS NOT HTTP\r\n\r\n'));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => reject(new Error('hang')));
  });
  t.regex(reply, /^HTTP\/1\.1 400/);
  await assertStillServing(t, sandbox);
});

test('a client that declares a body and never sends it does not block others', async (t) => {
  const sandbox = await startTestSandbox(t);
  const { port, hostname } = new URL(sandbox.url);
  const socket = connect(Number(port), hostname, () =>
    socket.write(`POST ${APPLY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":`),
  );
  t.teardown(() => socket.destroy());
  await assertStillServing(t, sandbox);
});

test('property: arbitrary bodies and header values never crash the server or go unanswered', async (t) => {
  const sandbox = await startTestSandbox(t);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))),
      fc.constantFrom('/ams/api/v1/authorizations/consult', APPLY_PATH, '/aps/api/v1/authorizations/cancelToken'),
      fc.boolean(),
      async (body, path, signed) => {
        const answer = await send(sandbox, { body, path, signWith: signed ? 'merchant' : 'none' });
        return answer.status === 200 && answer.result?.resultStatus === 'F' && answer.signatureValid;
      },
    ),
    { numRuns: 60 },
  );
  await assertStillServing(t, sandbox);
});
