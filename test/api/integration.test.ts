/**
 * The service end to end over real HTTP: real workflows, real activities, the sandbox as Antom (it posts real signed
 * notifications to the API), real Redis. Every test runs twice: on the offline environment (fast tier) and on the
 * real Temporal dev server with a real Worker on the prebundled workflow code (the authority).
 *   link → consent → redirect + AUTHCODE_CREATED → ACTIVE → token read → cancel → REVOKED;
 *   duplicate and forged notifications; wallet cancel; auth failures.
 */
import test from 'ava';
import { NOTIFICATION_ACK_BODY } from '../../src/antom/notificationAck';
import { formatSignatureHeader } from '../../src/antom/signatureHeader';
import { signParts } from '../../src/antom/signing';
import { antomKeys, unrelatedKeys } from '../support/fixtureKeys';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { locateTemporalBinary } from '../../src/temporalBinaries';
import { MERCHANT, SERVICE_API_KEY, SERVICE_ENGINES, startService, stopSharedDevServer, type Service, type ServiceEngine } from './serviceHarness';

test.after.always(stopSharedDevServer);
const execFileAsync = promisify(execFile);

/** Registers `title [engine]` for each engine. */
function serviceTest(title: string, body: (t: import('ava').ExecutionContext, engine: ServiceEngine) => Promise<void>): void {
  for (const engine of SERVICE_ENGINES) test(`${title} [${engine}]`, (t) => body(t, engine));
}

interface LinkAnswer {
  workflowId: string;
  state: string;
  alreadyLinked: boolean;
  authState?: string;
  normalUrl?: string;
  qrImageUrl?: string;
}

async function link(s: Service, wallet: string, customerId: string): Promise<LinkAnswer> {
  const response = await s.api('/authorizations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wallet, customerId }) });
  if (response.status !== 200) throw new Error(`link answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as LinkAnswer;
}

function authStateOf(answer: LinkAnswer): string {
  if (answer.authState) return answer.authState;
  throw new Error('no authState in the link answer');
}

/** A notification signed with `privateKey` as Antom signs it, posted to the API. */
async function postNotification(s: Service, body: unknown, privateKey = antomKeys.privateKey) {
  const text = JSON.stringify(body);
  const path = '/notifications/antom';
  const time = new Date().toISOString();
  const signature = signParts(privateKey, { path, clientId: MERCHANT, time, body: text });
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': MERCHANT, 'request-time': time, signature: formatSignatureHeader({ signature }) },
    body: text,
  });
}

async function notificationOutcomes(s: Service): Promise<Record<string, number>> {
  const text = (await s.metrics.render()).body;
  const outcomes: Record<string, number> = {};
  for (const match of text.matchAll(/antom_auth_notifications_total\{platform="antom",type="(\w+)",outcome="([\w-]+)"\} (\d+)/g)) {
    outcomes[`${match[1]}:${match[2]}`] = Number(match[3]);
  }
  return outcomes;
}

serviceTest('link → wallet consent → redirect and notification → ACTIVE → token → cancel → REVOKED, over HTTP', async (t, engine) => {
  const s = await startService(t, { engine });
  const answer = await link(s, 'GCASH', 'cust-1');
  t.is(answer.workflowId, 'authorization:GCASH:cust-1');
  t.is(answer.state, 'AWAITING_AUTH_CODE');
  t.false(answer.alreadyLinked);
  t.is(answer.qrImageUrl, `${s.url}/authorizations/GCASH/cust-1/qr.svg`);
  t.deepEqual(await link(s, 'GCASH', 'cust-1'), answer, 'linking again is idempotent');

  const qr = await s.api('/authorizations/GCASH/cust-1/qr.svg');
  t.is(qr.status, 200);
  t.regex(await qr.text(), /^<svg/);

  // The customer approves in the wallet: the sandbox sends AUTHCODE_CREATED to the API and redirects the browser.
  const approved = s.sandbox.admin.approve({ authState: authStateOf(answer), clientId: MERCHANT });
  t.true(approved.redirectUrl.startsWith(`${s.url}/authorizations/return?`));
  const redirect = await fetch(approved.redirectUrl, { redirect: 'manual' });
  t.is(redirect.status, 303);
  t.is(redirect.headers.get('location'), `${s.url}/demo/result?outcome=accepted&wallet=GCASH&customerId=cust-1`);

  const active = await s.waitForState('GCASH', 'cust-1', 'ACTIVE');
  t.truthy(active.userLoginId);
  t.truthy(active.nextRefreshAt);
  await s.sandbox.admin.flushNotifications();
  const notification = s.sandbox.admin.notifications().find((n) => n.type === 'AUTHCODE_CREATED');
  t.is(notification?.status, 'ACKNOWLEDGED', 'the API acknowledged the notification, so Antom stops resending');
  const outcomes = await notificationOutcomes(s);
  t.is((outcomes['AUTHCODE_CREATED:delivered'] ?? 0) + (outcomes['AUTHCODE_CREATED:duplicate'] ?? 0), 1, 'the redirect and the notification: one of each path, the code applied once');
  t.is(s.sandbox.admin.requests().filter((r) => r.endpoint === 'applyToken').length, 1);

  const tokenResponse = await s.api('/authorizations/GCASH/cust-1/token');
  t.is(tokenResponse.status, 200);
  t.is(tokenResponse.headers.get('cache-control'), 'no-store');
  const token = (await tokenResponse.json()) as { accessToken: string; state: string };
  t.true(s.sandbox.admin.isAccessTokenUsable(token.accessToken));

  const expiring = await s.api(`/tokens/expiring?before=${encodeURIComponent('2200-01-01T00:00:00Z')}`);
  const listed = (await expiring.json()) as { tokens: Record<string, unknown>[] };
  t.deepEqual(listed.tokens.map((m) => m.workflowId), ['authorization:GCASH:cust-1']);
  t.false(JSON.stringify(listed).includes(token.accessToken), 'the lifecycle table holds no token');

  const canceled = await s.api('/authorizations/GCASH/cust-1?wait=true', { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'customer closed account' }) });
  t.is(canceled.status, 200);
  t.is(((await canceled.json()) as { state: string }).state, 'REVOKED');
  t.false(s.sandbox.admin.isAccessTokenUsable(token.accessToken), 'revoked at Antom');
  t.is((await s.api('/authorizations/GCASH/cust-1/token')).status, 404);
});

serviceTest('a resent AUTHCODE_CREATED is acknowledged and applied once; a forged one is refused and changes nothing', async (t, engine) => {
  const s = await startService(t, { engine });
  const answer = await link(s, 'TNG', 'cust-2');
  const authState = authStateOf(answer);

  // Forged: right shape and a live authState, signed with a key that is not Antom's.
  const forged = await postNotification(s, { authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode: 'forged-code-0001' }, unrelatedKeys.privateKey);
  t.is(forged.status, 401);
  await s.settle();
  t.is(s.sandbox.admin.requests().filter((r) => r.endpoint === 'applyToken').length, 0, 'no applyToken with a forged code');
  t.is(((await (await s.api('/authorizations/TNG/cust-2')).json()) as { state: string }).state, 'AWAITING_AUTH_CODE');

  const approved = s.sandbox.admin.approve({ authState, clientId: MERCHANT });
  await s.sandbox.admin.flushNotifications();
  await s.waitForState('TNG', 'cust-2', 'ACTIVE');
  // Antom resends (our ack was lost, say): same notification again.
  const resend = await postNotification(s, { authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode: approved.authCode, result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
  t.is(resend.status, 200);
  t.is(await resend.text(), NOTIFICATION_ACK_BODY);
  await s.settle();
  t.is(s.sandbox.admin.requests().filter((r) => r.endpoint === 'applyToken').length, 1, 'the code was applied once');
  t.is(((await (await s.api('/authorizations/TNG/cust-2')).json()) as { state: string }).state, 'ACTIVE');
});

serviceTest('the customer unlinks in the wallet: TOKEN_CANCELED ends the authorization CANCELED_BY_WALLET without a revoke', async (t, engine) => {
  const s = await startService(t, { engine });
  const answer = await link(s, 'GCASH', 'cust-3');
  s.sandbox.admin.approve({ authState: authStateOf(answer), clientId: MERCHANT });
  await s.sandbox.admin.flushNotifications();
  await s.waitForState('GCASH', 'cust-3', 'ACTIVE');
  const token = (await (await s.api('/authorizations/GCASH/cust-3/token')).json()) as { accessToken: string };

  s.sandbox.admin.cancelFromWallet({ accessToken: token.accessToken }, 'unlinked in the app');
  await s.sandbox.admin.flushNotifications();
  await s.waitForState('GCASH', 'cust-3', 'CANCELED_BY_WALLET');
  t.is(s.sandbox.admin.notifications().find((n) => n.type === 'TOKEN_CANCELED')?.status, 'ACKNOWLEDGED');
  t.is(s.sandbox.admin.requests().filter((r) => r.endpoint === 'revoke').length, 0, 'no revoke call for a wallet cancel');
  t.is((await s.api('/authorizations/GCASH/cust-3/token')).status, 404);
});

serviceTest('auth failures over HTTP: no key, wrong key → 401 and nothing started', async (t, engine) => {
  const s = await startService(t, { engine });
  for (const authorization of [undefined, 'Bearer wrong-key-0123456789abcdef']) {
    const response = await fetch(`${s.url}/authorizations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ wallet: 'GCASH', customerId: 'intruder' }),
    });
    t.is(response.status, 401);
    t.is(response.headers.get('www-authenticate'), 'Bearer realm="antom-auth"');
  }
  t.is((await s.api('/authorizations/GCASH/intruder')).status, 404, 'no workflow was started');
  t.is(s.sandbox.admin.requests().length, 0);
});

serviceTest('a Redis flush loses nothing: the token read rebuilds the projection from the workflow', async (t, engine) => {
  const s = await startService(t, { engine });
  const answer = await link(s, 'DANA', 'cust-4');
  s.sandbox.admin.approve({ authState: authStateOf(answer), clientId: MERCHANT });
  await s.sandbox.admin.flushNotifications();
  await s.waitForState('DANA', 'cust-4', 'ACTIVE');
  const before = (await (await s.api('/authorizations/DANA/cust-4/token')).json()) as { accessToken: string };
  const keys = await s.redis.keys(`${s.prefix}*`);
  await s.redis.del(...keys);
  const after = await s.api('/authorizations/DANA/cust-4/token');
  t.is(after.status, 200);
  t.is(((await after.json()) as { accessToken: string }).accessToken, before.accessToken);
});

serviceTest('DELETE answers 202 at once with REVOKING-or-later, and the authorization ends REVOKED; the cancel signal from the Temporal CLI (through the codec endpoint) does the same', async (t, engine) => {
  const s = await startService(t, { engine });
  for (const customerId of ['del-1', 'cli-1']) {
    const answer = await link(s, 'GCASH', customerId);
    s.sandbox.admin.approve({ authState: authStateOf(answer), clientId: MERCHANT });
    await s.sandbox.admin.flushNotifications();
    await s.waitForState('GCASH', customerId, 'ACTIVE');
  }
  const accepted = await s.api('/authorizations/GCASH/del-1', { method: 'DELETE' });
  t.is(accepted.status, 202);
  t.not(((await accepted.json()) as { state: string }).state, 'ACTIVE');
  t.is((await s.api('/authorizations/GCASH/del-1/token')).status, 404, 'withdrawn before the answer');
  await s.waitForState('GCASH', 'del-1', 'REVOKED');
  if (engine !== 'dev server' || !s.temporalAddress) return;
  // An operator's CLI: the signal's input is encrypted by our codec endpoint, as the worker requires.
  const cli = locateTemporalBinary('cli')!.path;
  await execFileAsync(cli, [
    'workflow', 'signal', '--address', s.temporalAddress, '--workflow-id', 'authorization:GCASH:cli-1', '--name', 'cancel',
    '--input', '{"reason":"operator via CLI"}', '--codec-endpoint', `${s.url}/codec`, '--codec-auth', `Bearer ${SERVICE_API_KEY}`,
  ]);
  await s.waitForState('GCASH', 'cli-1', 'REVOKED');
  t.is(s.sandbox.admin.requests().filter((r) => r.endpoint === 'revoke').length, 2);
});

test('bulk operator retry by code, wallet and phase, from the API and the CLI (visibility on the real dev server)', async (t) => {
  const s = await startService(t, { engine: 'dev server' });
  const denied = s.sandbox.admin.addFault({ endpoint: 'consult', times: 3, effect: { type: 'result', resultStatus: 'F', resultCode: 'ACCESS_DENIED' } });
  for (const [wallet, customerId] of [['GCASH', 'bulk-1'], ['TNG', 'bulk-2'], ['GCASH', 'bulk-3']] as const) {
    t.is((await link(s, wallet, customerId)).state, 'NEEDS_ATTENTION');
  }
  s.sandbox.admin.removeFault(denied);
  // Visibility is eventually consistent: ask until the index shows the GCASH ones (retrying twice is harmless).
  let retried: string[] = [];
  for (let i = 0; i < 50 && retried.length < 2; i++) {
    const response = await s.api('/operator/retry', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'ACCESS_DENIED', wallet: 'GCASH', phase: 'consult' }) });
    t.is(response.status, 202);
    retried = ((await response.json()) as { retried: string[] }).retried;
    if (retried.length < 2) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.deepEqual([...retried].sort(), ['authorization:GCASH:bulk-1', 'authorization:GCASH:bulk-3']);
  await s.waitForState('GCASH', 'bulk-1', 'AWAITING_AUTH_CODE');
  await s.waitForState('GCASH', 'bulk-3', 'AWAITING_AUTH_CODE');
  t.is(((await (await s.api('/authorizations/TNG/bulk-2')).json()) as { state: string }).state, 'NEEDS_ATTENTION', 'another wallet: untouched');
  const bad = await s.api('/operator/retry', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: "X' OR 1=1" }) });
  t.is(bad.status, 400, 'filter values never reach the query unchecked');
  // The same from a shell: `antom-auth retry --wallet TNG`, with the service's configuration.
  let out = '';
  for (let i = 0; i < 50 && !out.includes('authorization:TNG:bulk-2'); i++) {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'retry', '--wallet', 'TNG', '--note', 'key fixed'], {
      cwd: `${__dirname}/../..`,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: s.temporalAddress!, ENCRYPTION_KEYS: s.keyRingSpec, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', LOG_LEVEL: 'silent' },
    });
    out = stdout;
  }
  t.regex(out, /authorization:TNG:bulk-2\nretried 1\n/);
  await s.waitForState('TNG', 'bulk-2', 'AWAITING_AUTH_CODE');
});
