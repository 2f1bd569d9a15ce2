/**
 * The HTTP admin API (what a developer running `npm run sandbox` uses), the loopback-only rule, and that nothing the
 * sandbox lists or logs contains a full token, refresh token or authCode.
 */
import test from 'ava';
import { Writable } from 'node:stream';
import pino from 'pino';
import { AdminApiServer } from '../../src/sandbox/adminApi';
import type { AuthorizationView, ClockView, GrantView, ReceivedRequest } from '../../src/sandbox';
import { merchantKeys } from '../support/fixtureKeys';
import { REDIRECT_URL, YEAR_MS, clientFor, startTestSandbox, uniqueAuthState } from './harness';

async function admin<T>(adminUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
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
  const bad = await fetch(`${sandbox.adminUrl}/clock/advance`, { method: 'POST', body: 'not json' });
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
