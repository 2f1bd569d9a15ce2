/**
 * The backend routes through the real app (fastify.inject): bearer auth, validation errors that name the field,
 * link answers built on the public URL, QR images, the audited token read, error mapping, body limits.
 */
import test from 'ava';
import { AuthorizationRejectedError } from '../../src/api/authorizationOperations';
import { renderQr } from '../../src/api/qrImage';
import { parseApiKeys } from '../../src/apiKeys';
import type { AuthorizationView } from '../../src/workflows/definitions';
import { API_KEY, bearer, PUBLIC_BASE_URL, startApiHarness } from './apiHarness';

type ErrorJson = { error: { code: string; message: string } };

const awaitingView: AuthorizationView = {
  workflowId: 'authorization:GCASH:cust-1',
  authorizationId: 'run-1',
  wallet: 'GCASH',
  customerId: 'cust-1',
  merchant: 'default',
  profile: 'antom',
  state: 'AWAITING_AUTH_CODE',
  linkResult: { authState: 'st-1', normalUrl: 'https://wallet.test/consent/abc', qrCodeValue: 'https://qr.wallet.test/abc', consultedAt: '2026-01-01T00:00:00Z' },
  refreshCount: 0,
  runRefreshes: 0,
};

test('backend routes refuse a missing, malformed or unknown key with 401 and a Bearer challenge', async (t) => {
  const h = await startApiHarness(t);
  const attempts: [Record<string, string>, RegExp][] = [
    [{}, /missing Authorization/],
    [{ authorization: `Basic ${API_KEY}` }, /must be "Bearer/],
    [{ authorization: 'Bearer not-the-key-0123456789' }, /unknown API key/],
    [{ authorization: `Bearer ${API_KEY}x` }, /unknown API key/],
    [{ authorization: `Bearer ${API_KEY.slice(0, -1)}` }, /unknown API key/],
  ];
  for (const [headers, message] of attempts) {
    for (const [method, url] of [['GET', '/authorizations/GCASH/cust-1'], ['POST', '/authorizations'], ['GET', '/authorizations/GCASH/cust-1/token'], ['GET', '/tokens/expiring?before=2030-01-01T00:00:00Z']] as const) {
      const response = await h.app.inject({ method, url, headers });
      t.is(response.statusCode, 401, `${method} ${url}`);
      t.is(response.headers['www-authenticate'], 'Bearer realm="antom-auth"');
      t.regex(response.json<ErrorJson>().error.message, message);
    }
  }
  t.deepEqual(h.operations.calls, [], 'nothing reached the workflows');
  const ok = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1', headers: { authorization: `bearer   ${API_KEY}` } });
  t.is(ok.statusCode, 404, 'the scheme is case-insensitive; the key passes (and the authorization does not exist)');
});

test('without a key the body is not read: a malformed or oversized body is still a 401, not a 400/413', async (t) => {
  const h = await startApiHarness(t);
  for (const payload of ['{"wallet": ', 'x'.repeat(128 * 1024)]) {
    const response = await h.app.inject({ method: 'POST', url: '/authorizations', payload, headers: { 'content-type': 'application/json' } });
    t.is(response.statusCode, 401);
    t.regex(response.json<ErrorJson>().error.message, /missing Authorization/);
  }
  t.deepEqual(h.operations.calls, []);
});

test('several configured keys all work (rotation)', async (t) => {
  const h = await startApiHarness(t, { settings: { keys: parseApiKeys('first-key-0123456789,second-key-0123456789').keys } });
  for (const key of ['first-key-0123456789', 'second-key-0123456789']) {
    const response = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/c', headers: { authorization: `Bearer ${key}` } });
    t.is(response.statusCode, 404);
  }
});

test('POST /authorizations links with our redirect and notify URLs and answers the consult links and a QR image URL', async (t) => {
  const h = await startApiHarness(t);
  const response = await h.app.inject({ method: 'POST', url: '/authorizations', headers: bearer, payload: { wallet: 'GCASH', customerId: 'cust-1' } });
  t.is(response.statusCode, 200);
  t.deepEqual(response.json(), {
    workflowId: 'authorization:GCASH:cust-1',
    state: 'AWAITING_AUTH_CODE',
    alreadyLinked: false,
    authState: 'state-1',
    normalUrl: 'https://wallet.test/consent?x=1',
    qrImageUrl: `${PUBLIC_BASE_URL}/authorizations/GCASH/cust-1/qr.svg`,
    authorizationDeadline: '2026-01-01T00:15:00.000Z',
  });
  t.deepEqual(h.operations.callsTo('link'), [[{
    wallet: 'GCASH',
    customerId: 'cust-1',
    profile: 'antom',
    consult: {
      authRedirectUrl: `${PUBLIC_BASE_URL}/authorizations/return`,
      authNotifyUrl: `${PUBLIC_BASE_URL}/notifications/antom`,
      scopes: ['AGREEMENT_PAY'],
      terminalType: 'WEB',
    },
  }]]);
});

test('POST /authorizations names every bad field and never reaches the workflow', async (t) => {
  const h = await startApiHarness(t);
  const cases: [unknown, RegExp][] = [
    [{ customerId: 'c' }, /body\.wallet: required/],
    [{ wallet: 'gcash', customerId: 'c' }, /body\.wallet: must be a wallet code/],
    [{ wallet: 'GCASH', customerId: 'has space' }, /body\.customerId: must be 1-128/],
    [{ wallet: 'GCASH', customerId: 'c', terminalType: 'APP' }, /body\.osType: required when terminalType is APP/],
    [{ wallet: 'GCASH', customerId: 'c', profile: 'alipayplus' }, /body\.authClientId: required for the alipayplus profile/],
    [{ wallet: 'GCASH', customerId: 'c', surprise: 1 }, /body\.surprise: unknown field/],
    [[1, 2], /body must be a JSON object/],
  ];
  for (const [payload, message] of cases) {
    const response = await h.app.inject({ method: 'POST', url: '/authorizations', headers: bearer, payload: payload as object });
    t.is(response.statusCode, 400, JSON.stringify(payload));
    t.regex(response.json<ErrorJson>().error.message, message);
  }
  const badJson = await h.app.inject({ method: 'POST', url: '/authorizations', headers: { ...bearer, 'content-type': 'application/json' }, payload: '{"wallet": "AC-secret-in-body' });
  t.is(badJson.statusCode, 400);
  t.deepEqual(badJson.json(), { error: { code: 'invalid-json', message: 'body is not valid JSON' } }, 'the body is not echoed');
  const tooBig = await h.app.inject({ method: 'POST', url: '/authorizations', headers: { ...bearer, 'content-type': 'application/json' }, payload: `{"x":"${'a'.repeat(70_000)}"}` });
  t.is(tooBig.statusCode, 413);
  const wrongType = await h.app.inject({ method: 'POST', url: '/authorizations', headers: { ...bearer, 'content-type': 'application/xml' }, payload: '<x/>' });
  t.is(wrongType.statusCode, 415);
  t.deepEqual(h.operations.callsTo('link'), []);
});

test('state, cancel, refresh and retry map to the operations; unknown → 404, refused → 409, unreachable → 503', async (t) => {
  const h = await startApiHarness(t);
  t.is((await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1', headers: bearer })).statusCode, 404);
  h.operations.views.set('GCASH/cust-1', awaitingView);
  const state = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1', headers: bearer });
  t.deepEqual(state.json(), awaitingView);

  // Answered at once (the cancel signal) with the current state; ?wait=true waits for the outcome.
  const requested = await h.app.inject({ method: 'DELETE', url: '/authorizations/GCASH/cust-1', headers: bearer, payload: { reason: 'customer asked' } });
  t.is(requested.statusCode, 202);
  t.is(requested.json<AuthorizationView>().state, 'REVOKING');
  t.deepEqual(h.operations.callsTo('requestCancel'), [['GCASH', 'cust-1', 'customer asked']]);
  const canceled = await h.app.inject({ method: 'DELETE', url: '/authorizations/GCASH/cust-1?wait=true', headers: bearer, payload: { reason: 'customer asked' } });
  t.is(canceled.statusCode, 200);
  t.is(canceled.json<AuthorizationView>().state, 'REVOKED');
  t.deepEqual(h.operations.callsTo('cancel'), [['GCASH', 'cust-1', 'customer asked']]);
  t.is((await h.app.inject({ method: 'DELETE', url: '/authorizations/GCASH/nobody', headers: bearer })).statusCode, 404);
  t.is((await h.app.inject({ method: 'DELETE', url: '/authorizations/GCASH/nobody?wait=true', headers: bearer })).statusCode, 404);

  t.is((await h.app.inject({ method: 'POST', url: '/authorizations/GCASH/cust-1/refresh', headers: bearer })).statusCode, 202);
  t.is((await h.app.inject({ method: 'POST', url: '/authorizations/GCASH/cust-1/retry', headers: bearer, payload: { note: 'key fixed' } })).statusCode, 202);
  t.deepEqual(h.operations.callsTo('refreshNow'), [['GCASH', 'cust-1', undefined]]);
  t.deepEqual(h.operations.callsTo('operatorRetry'), [['GCASH', 'cust-1', 'key fixed']]);

  h.operations.cancel = async () => { throw new AuthorizationRejectedError('the authorization already finished (REVOKED)'); };
  const refused = await h.app.inject({ method: 'DELETE', url: '/authorizations/GCASH/cust-1?wait=true', headers: bearer });
  t.is(refused.statusCode, 409);
  t.regex(refused.json<ErrorJson>().error.message, /already finished/);

  h.operations.failWith = new Error('14 UNAVAILABLE: connection refused');
  const down = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1', headers: bearer });
  t.is(down.statusCode, 503);
  t.is(down.json<ErrorJson>().error.code, 'unavailable');
  t.false(down.body.includes('UNAVAILABLE: connection refused'), 'internal causes stay in the log');
});

test('path parameters are validated before any operation', async (t) => {
  const h = await startApiHarness(t);
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/gcash/cust%201', headers: bearer });
  t.is(response.statusCode, 400);
  t.regex(response.json<ErrorJson>().error.message, /path\.wallet: .*; path\.customerId: /);
  t.deepEqual(h.operations.calls, []);
});

test('qr.svg and qr.png render the wallet QR text while consent is awaited, 404 otherwise', async (t) => {
  const h = await startApiHarness(t);
  h.operations.views.set('GCASH/cust-1', awaitingView);
  const svg = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1/qr.svg', headers: bearer });
  t.is(svg.statusCode, 200);
  t.regex(String(svg.headers['content-type']), /^image\/svg\+xml/);
  t.is(svg.body, String(await renderQr('https://qr.wallet.test/abc', 'svg')), 'the QR encodes the codeValue');
  const png = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1/qr.png', headers: bearer });
  t.is(png.headers['content-type'], 'image/png');
  t.deepEqual([...png.rawPayload.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  h.operations.views.set('GCASH/cust-1', { ...awaitingView, state: 'ACTIVE' });
  const none = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1/qr.svg', headers: bearer });
  t.is(none.statusCode, 404);
  t.regex(none.json<ErrorJson>().error.message, /nothing to scan: the authorization is ACTIVE/);
});

test('the token read returns the token uncached, is audited, and never writes the token to the log', async (t) => {
  const h = await startApiHarness(t);
  h.operations.tokens.set('GCASH/cust-1', {
    workflowId: 'authorization:GCASH:cust-1', accessToken: 'AT-payment-token-0000000042',
    accessTokenExpiry: '2030-01-01T00:00:00Z', state: 'ACTIVE', userLoginId: '63****1234',
  });
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/cust-1/token', headers: bearer });
  t.is(response.statusCode, 200);
  t.is(response.headers['cache-control'], 'no-store');
  t.like(response.json(), { accessToken: 'AT-payment-token-0000000042', accessTokenExpiry: '2030-01-01T00:00:00Z', state: 'ACTIVE', userLoginId: '63****1234' });
  const logs = h.logs.join('');
  t.regex(logs, /"audit":"token-read".*"customerId":"cust-1"/);
  t.false(logs.includes('AT-payment-token-0000000042'));
  t.false(logs.includes(API_KEY));

  const missing = await h.app.inject({ method: 'GET', url: '/authorizations/GCASH/other/token', headers: bearer });
  t.is(missing.statusCode, 404);
  t.is(missing.json<ErrorJson>().error.code, 'no-token');
  const metrics = await h.metrics.registry.metrics();
  t.regex(metrics, /antom_auth_token_reads_total\{outcome="hit"\} 1/);
  t.regex(metrics, /antom_auth_token_reads_total\{outcome="miss"\} 1/);
});

test('GET /tokens/expiring validates its query and passes the instant and limit on', async (t) => {
  const h = await startApiHarness(t);
  const bad = await h.app.inject({ method: 'GET', url: '/tokens/expiring?before=tomorrow', headers: bearer });
  t.is(bad.statusCode, 400);
  t.regex(bad.json<ErrorJson>().error.message, /query\.before: must be an ISO 8601 time/);
  const tooMany = await h.app.inject({ method: 'GET', url: '/tokens/expiring?before=2030-01-01T00:00:00Z&limit=5000', headers: bearer });
  t.is(tooMany.statusCode, 400);
  const ok = await h.app.inject({ method: 'GET', url: '/tokens/expiring?before=2030-01-01T00:00:00Z&limit=10', headers: bearer });
  t.deepEqual(ok.json(), { before: '2030-01-01T00:00:00.000Z', tokens: [] });
  t.deepEqual(h.operations.callsTo('expiringBefore'), [[new Date('2030-01-01T00:00:00Z'), 10]]);
  // By state: the read model's real states (a refresh alert, a relink needed…).
  const byState = await h.app.inject({ method: 'GET', url: '/tokens/expiring?before=2030-01-01T00:00:00Z&state=NEEDS_ATTENTION,REAUTH_REQUIRED', headers: bearer });
  t.is(byState.statusCode, 200);
  t.deepEqual(h.operations.callsTo('expiringBefore').at(-1), [new Date('2030-01-01T00:00:00Z'), 100, ['NEEDS_ATTENTION', 'REAUTH_REQUIRED']]);
  const badState = await h.app.inject({ method: 'GET', url: '/tokens/expiring?before=2030-01-01T00:00:00Z&state=ACTIVE,BOGUS', headers: bearer });
  t.is(badState.statusCode, 400);
  t.regex(badState.json<ErrorJson>().error.message, /query\.state/);
});

test('unknown routes are a JSON 404; a thrown bug is a bare 500 without a stack', async (t) => {
  const h = await startApiHarness(t);
  h.app.get('/boom', async () => { throw new TypeError('cannot read x of undefined at /work/main/src/secret.ts:1'); });
  const missing = await h.app.inject({ method: 'GET', url: '/nope' });
  t.is(missing.statusCode, 404);
  t.is(missing.json<ErrorJson>().error.code, 'not-found');
  const boom = await h.app.inject({ method: 'GET', url: '/boom' });
  t.is(boom.statusCode, 500);
  t.deepEqual(boom.json(), { error: { code: 'internal', message: 'internal error' } });
});
