/**
 * The HTTP admin API (what a developer running `npm run sandbox` uses), the loopback-only rule, and that nothing the
 * sandbox lists or logs contains a full token, refresh token or authCode.
 */
import test from 'ava';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { AdminApiServer } from '../../src/sandbox/adminApi';
import type { AuthorizationView, ClockView, GrantView, ReceivedRequest } from '../../src/sandbox';
import { merchantKeys } from '../support/fixtureKeys';
import { REDIRECT_URL, YEAR_MS, clientFor, startTestSandbox, uniqueAuthState } from './harness';

async function admin<T>(adminUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    // Every POST says JSON, also with no body: the admin API refuses any other (a cross-site form could send those).
    ...(method === 'POST' ? { headers: { 'content-type': 'application/json' } } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

test('over HTTP: register a merchant, approve a consult, advance the clock, script a fault, list masked tokens', async (t) => {
  const sandbox = await startTestSandbox(t, { merchants: [] });
  const pem = merchantKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  t.is((await admin(sandbox.adminUrl, 'POST', '/merchants', { clientId: 'HTTP_MERCHANT', publicKey: pem })).status, 200);

  const client = clientFor(t, sandbox, { clientId: 'HTTP_MERCHANT' });
  const authState = uniqueAuthState('http');
  await client.consult({ customerBelongsTo: 'GCASH', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY'], authState, terminalType: 'WEB' });
  const listed = await admin<AuthorizationView[]>(sandbox.adminUrl, 'GET', '/authorizations');
  t.is(listed.json[0]?.status, 'PENDING');

  const approved = await admin<{ authCode: string; redirectUrl: string }>(sandbox.adminUrl, 'POST', '/authorizations/approve', { authState });
  t.is(approved.status, 200);
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: approved.json.authCode });

  const before = (await admin<ClockView>(sandbox.adminUrl, 'GET', '/clock')).json;
  const after = (await admin<ClockView>(sandbox.adminUrl, 'POST', '/clock/advance', { ms: 3 * YEAR_MS })).json;
  t.true(after.now - before.now >= 3 * YEAR_MS);
  t.regex(after.iso, /\+08:00$/);
  t.false(sandbox.admin.isAccessTokenUsable(tokens.accessToken));

  t.is((await admin<{ id: number }>(sandbox.adminUrl, 'POST', '/faults', { endpoint: 'revoke', times: 'all', effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } })).status, 200);
  const faults = await admin<Array<{ times: number | null }>>(sandbox.adminUrl, 'GET', '/faults');
  t.is(faults.json.length, 1);
  await t.throwsAsync(client.revoke({ accessToken: tokens.accessToken }));
  await t.throwsAsync(client.revoke({ accessToken: tokens.accessToken }));
  await admin(sandbox.adminUrl, 'DELETE', '/faults');
  t.is((await client.revoke({ accessToken: tokens.accessToken })).removal, 'already-gone', 'expired three years ago');

  const grants = await admin<GrantView[]>(sandbox.adminUrl, 'GET', '/tokens');
  t.is(grants.json.length, 1);
  const requests = await admin<ReceivedRequest[]>(sandbox.adminUrl, 'GET', '/requests');
  t.true(requests.json.length >= 4);
  for (const text of [JSON.stringify(grants.json), JSON.stringify(requests.json), JSON.stringify(listed.json)]) {
    t.false(text.includes(tokens.accessToken));
    t.false(text.includes(tokens.refreshToken ?? '-'));
    t.false(text.includes(approved.json.authCode));
  }

  t.is((await admin(sandbox.adminUrl, 'POST', '/reset')).status, 200);
  t.deepEqual((await admin<GrantView[]>(sandbox.adminUrl, 'GET', '/tokens')).json, []);
});

test('admin errors are JSON with a status: unknown route 404, bad body 400, nothing to approve 404', async (t) => {
  const sandbox = await startTestSandbox(t);
  t.is((await admin(sandbox.adminUrl, 'GET', '/nothing-here')).status, 404);
  const bad = await fetch(`${sandbox.adminUrl}/clock/advance`, { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } });
  t.is(bad.status, 400);
  t.is((await admin(sandbox.adminUrl, 'POST', '/clock/advance', { ms: -5 })).status, 400);
  t.is((await admin(sandbox.adminUrl, 'POST', '/authorizations/approve', { authState: 'nope' })).status, 404);
  t.is((await admin(sandbox.adminUrl, 'POST', '/merchants', { clientId: 'X', publicKey: 'not a key' })).status, 400);
});

test('the admin API refuses to bind to a non-loopback address', async (t) => {
  const sandbox = await startTestSandbox(t);
  const server = new AdminApiServer(sandbox.admin);
  await t.throwsAsync(server.listen(0, '0.0.0.0'), { message: /loopback only/ });
  t.regex(sandbox.adminUrl, /^http:\/\/127\.0\.0\.1:\d+\/admin$/);
});

test('the sandbox log never contains a full token, refresh token or authCode', async (t) => {
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged += chunk.toString();
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const sandbox = await startTestSandbox(t, { logger });
  const client = clientFor(t, sandbox);
  const authState = uniqueAuthState('log');
  await client.consult({ customerBelongsTo: 'GCASH', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY'], authState, terminalType: 'WEB', authNotifyUrl: 'http://127.0.0.1:9/n' });
  const { authCode } = sandbox.admin.approve({ authState });
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  const refreshed = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: tokens.refreshToken ?? '' });
  sandbox.admin.cancelFromWallet({ accessToken: refreshed.accessToken });
  await sandbox.admin.flushNotifications();
  t.true(logged.includes('consent approved'), 'the log did record the flow');
  for (const secret of [authCode, tokens.accessToken, tokens.refreshToken ?? '-', refreshed.accessToken, refreshed.refreshToken ?? '-']) {
    t.false(logged.includes(secret));
  }
});

/** A raw request, so Host and Origin can be anything (fetch does not let a caller set Host). */
function rawAdmin(adminUrl: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: { error?: { code: string } } ; cors: boolean }> {
  const url = new URL(`${adminUrl}${path}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => {
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as { error?: { code: string } }, cors: 'access-control-allow-origin' in res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a cross-site page cannot drive the admin API: text/plain, form and bodyless POSTs without a JSON content type are refused (415)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const before = sandbox.admin.clock().now;
  for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'multipart/form-data; boundary=x' }, {}] as Record<string, string>[]) {
    const answer = await rawAdmin(sandbox.adminUrl, 'POST', '/clock/advance', headers, headers['content-type'] ? '{"ms":3600000}' : undefined);
    t.is(answer.status, 415, JSON.stringify(headers));
    t.is(answer.json.error?.code, 'UNSUPPORTED_MEDIA_TYPE');
  }
  t.is((await rawAdmin(sandbox.adminUrl, 'POST', '/reset', {})).status, 415, 'a no-cors fetch with no body');
  t.true(sandbox.admin.clock().now - before < 60_000, 'nothing moved the clock an hour');
  t.is((await rawAdmin(sandbox.adminUrl, 'POST', '/clock/advance', { 'content-type': 'application/json; charset=utf-8' }, '{"ms":1000}')).status, 200);
});

test('DNS rebinding and other origins: a foreign Host or Origin is refused (403), loopback ones pass, and no CORS headers are sent', async (t) => {
  const sandbox = await startTestSandbox(t);
  const port = new URL(sandbox.adminUrl).port;
  const rebound = await rawAdmin(sandbox.adminUrl, 'GET', '/tokens', { host: `evil.example:${port}` });
  t.is(rebound.status, 403);
  t.is(rebound.json.error?.code, 'FORBIDDEN_HOST');
  for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example']) {
    const answer = await rawAdmin(sandbox.adminUrl, 'POST', '/reset', { 'content-type': 'application/json', origin });
    t.is(answer.status, 403, origin);
    t.is(answer.json.error?.code, 'FORBIDDEN_ORIGIN');
    t.false(answer.cors);
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
    t.is((await rawAdmin(sandbox.adminUrl, 'GET', '/clock', { host })).status, 200, host);
  }
  const local = await rawAdmin(sandbox.adminUrl, 'GET', '/clock', { origin: 'http://localhost:8080' });
  t.is(local.status, 200, 'a page served from loopback (e.g. the demo) may call it');
  t.false(local.cors);
});

test('with a token configured, requests need Authorization: Bearer <token> (401 otherwise)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const server = new AdminApiServer(sandbox.admin, { token: 'admin-token-0123456789' });
  const port = await server.listen(0);
  t.teardown(() => server.close());
  const adminUrl = `http://127.0.0.1:${port}/admin`;
  const missing = await rawAdmin(adminUrl, 'GET', '/clock', {});
  t.is(missing.status, 401);
  t.is(missing.json.error?.code, 'UNAUTHENTICATED');
  t.is((await rawAdmin(adminUrl, 'GET', '/clock', { authorization: 'Bearer wrong-token-0123456789' })).status, 401);
  t.is((await rawAdmin(adminUrl, 'GET', '/clock', { authorization: 'Bearer admin-token-0123456789' })).status, 200);
  t.is((await rawAdmin(adminUrl, 'POST', '/reset', { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' })).status, 200);
});
