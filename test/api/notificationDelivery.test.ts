/**
 * Issue 12 §4 over real HTTP (a listening API, fetch, real Redis): Antom's notifications are never acknowledged and
 * dropped. Unrouted → 503 until the bound, then acknowledged and recorded for operators; unknown types acknowledged
 * and recorded; the request-time window; a Temporal hiccup ridden out inside the request; Redis down → 503.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { NOTIFICATION_ACK_BODY } from '../../src/antom/notificationAck';
import { freePort } from '../../src/embeddedTemporal';
import { allScopesKey } from '../../src/apiKeys';
import { RoutingDigester } from '../../src/codec/routingDigest';
import { Redis } from 'ioredis';
import { API_KEY, signedNotification, startApiHarness, type ApiHarness, type HarnessOptions } from './apiHarness';

const ANTOM = '/notifications/antom';
const ALIPAY_PLUS = '/notifications/alipayplus';
const WORKFLOW_ID = 'authorization:GCASH:cust-1';
const HOUR = 3_600_000;
const AUTH_CODE = 'AC-secret-code-delivery-0001';
const ACCESS_TOKEN = 'AT-secret-token-delivery-000001';

const ok = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
const authCodeCreated = (authState: string) => ({ authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode: AUTH_CODE, result: ok });
const tokenCanceled = (accessToken = ACCESS_TOKEN) => ({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken, reason: 'unbound in wallet', result: ok });

interface Listening {
  h: ApiHarness;
  origin: string;
  /** The API's notion of now (ms): tests move it to cross the unrouted bound. */
  clock: { now: number };
}

async function listening(t: ExecutionContext, options: HarnessOptions = {}): Promise<Listening> {
  const clock = { now: Date.now() };
  const h = await startApiHarness(t, { clock: () => clock.now, ...options });
  const origin = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { h, origin, clock };
}

async function send(l: Listening, path: string, body: unknown, time: string = new Date(l.clock.now).toISOString()) {
  const notification = signedNotification(path, body, { time });
  const response = await fetch(`${l.origin}${path}`, { method: 'POST', headers: notification.headers, body: notification.body });
  return { status: response.status, body: await response.text() };
}

async function metricValue(h: ApiHarness, labels: string): Promise<number> {
  const text = await h.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`antom_auth_notifications_total{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function unroutedRecords(l: Listening): Promise<{ status: number; body: { notifications: Record<string, unknown>[]; count: number } }> {
  const response = await fetch(`${l.origin}/operator/notifications/unrouted`, { headers: { authorization: `Bearer ${API_KEY}` } });
  return { status: response.status, body: (await response.json()) as { notifications: Record<string, unknown>[]; count: number } };
}

test('unrouted: 503 on every resend within the bound (Antom keeps resending), then acknowledged, recorded and listed for operators', async (t) => {
  const l = await listening(t);
  // Antom's schedule: 0 s, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h between attempts.
  const attempts = [0, 2 * 60_000, 10 * 60_000, 10 * 60_000, HOUR, 2 * HOUR];
  for (const gap of attempts) {
    l.clock.now += gap;
    const answer = await send(l, ANTOM, tokenCanceled());
    t.is(answer.status, 503, `attempt after +${gap / 60_000} min`);
    t.is(JSON.parse(answer.body).error.code, 'unrouted');
  }
  t.is((await unroutedRecords(l)).body.count, 0, 'nothing recorded while Antom still resends');
  l.clock.now += 6 * HOUR; // the 7th attempt, 9 h 22 min after the first: past the 6 h bound
  const late = await send(l, ANTOM, tokenCanceled());
  t.is(late.status, 200);
  t.is(late.body, NOTIFICATION_ACK_BODY);

  const { status, body } = await unroutedRecords(l);
  t.is(status, 200);
  t.is(body.count, 1);
  const record = body.notifications[0]!;
  t.like(record, { platform: 'antom', type: 'TOKEN_CANCELED', reason: 'unrouted' });
  t.is(record.accessTokenDigest, new RoutingDigester(l.h.keyRing).digest(ACCESS_TOKEN), 'the token appears only as its routing digest');
  t.is(Date.parse(String(record.at)) - Date.parse(String(record.firstSeenAt)), 9 * HOUR + 22 * 60_000);
  t.false(JSON.stringify(body).includes(ACCESS_TOKEN));
  t.false(l.h.logs.join('').includes(ACCESS_TOKEN), 'never logged');
  t.true(l.h.logs.some((line) => line.includes('"level":50') && line.includes('acknowledged and recorded')), 'an error-level line for the operator');
  t.is(await metricValue(l.h, 'platform="antom",type="TOKEN_CANCELED",outcome="unrouted"'), attempts.length);
  t.is(await metricValue(l.h, 'platform="antom",type="TOKEN_CANCELED",outcome="unrouted-acknowledged"'), 1);
  t.deepEqual(l.h.operations.calls, []);
});

test('a notification that becomes routable while Antom resends is delivered (the Redis entry came back)', async (t) => {
  const l = await listening(t);
  t.is((await send(l, ANTOM, authCodeCreated('state-late'))).status, 503);
  await l.h.authStates.put('state-late', WORKFLOW_ID);
  l.clock.now += 2 * 60_000;
  const resend = await send(l, ANTOM, authCodeCreated('state-late'));
  t.is(resend.body, NOTIFICATION_ACK_BODY);
  t.deepEqual(l.h.operations.callsTo('deliverAuthCode'), [[WORKFLOW_ID, { authCode: AUTH_CODE, authState: 'state-late', source: 'notification' }]]);
});

test('an unknown authorizationNotifyType is acknowledged at once and recorded (no 24 h of resends); a missing type is still a 400', async (t) => {
  const l = await listening(t);
  const answer = await send(l, ANTOM, { authorizationNotifyType: 'TOKEN_REFRESHED', accessToken: ACCESS_TOKEN, authState: 'state-u', result: ok });
  t.is(answer.status, 200);
  t.is(answer.body, NOTIFICATION_ACK_BODY);
  const alipayPlus = await send(l, ALIPAY_PLUS, { authorizationNotifyType: 'SOMETHING_NEW', authClientId: 'client-1' });
  t.is(alipayPlus.status, 200);
  const { body } = await unroutedRecords(l);
  t.is(body.count, 2);
  t.like(body.notifications[1], { platform: 'antom', type: 'TOKEN_REFRESHED', reason: 'unknown-type', authState: 'state-u' });
  t.deepEqual(body.notifications[1]!.fields, ['authorizationNotifyType', 'accessToken', 'authState', 'result'], 'field names, no values');
  t.false(JSON.stringify(body).includes(ACCESS_TOKEN));
  t.is(await metricValue(l.h, 'platform="antom",type="other",outcome="unknown-type"'), 1);
  t.deepEqual(l.h.operations.calls, []);

  const missing = await send(l, ANTOM, { authState: 'state-u', result: ok });
  t.is(missing.status, 400);
});

test('request-time: within the tolerance in either form; 1999, 0, garbage or too far off → 401 and nothing delivered', async (t) => {
  const l = await listening(t);
  await l.h.authStates.put('state-time', WORKFLOW_ID);
  const now = l.clock.now;
  for (const [time, why] of [
    ['1999-01-01T00:00:00Z', /in the past/],
    ['0', /not epoch milliseconds/],
    ['yesterday', /not epoch milliseconds/],
    [new Date(now - 6 * 60_000).toISOString(), /360 s in the past, beyond the accepted 300 s/],
    [String(now + 6 * 60_000), /360 s in the future/],
  ] as const) {
    const answer = await send(l, ANTOM, authCodeCreated('state-time'), time);
    t.is(answer.status, 401, time);
    t.regex(JSON.parse(answer.body).error.message, why, time);
  }
  t.deepEqual(l.h.operations.calls, []);
  t.is((await send(l, ANTOM, authCodeCreated('state-time'), String(now - 4 * 60_000))).body, NOTIFICATION_ACK_BODY, 'epoch ms, 4 min old');
  t.is((await send(l, ANTOM, authCodeCreated('state-time'), new Date(now + 60_000).toISOString().replace('Z', '+00:00'))).body, NOTIFICATION_ACK_BODY, 'ISO 8601');
  t.is(l.h.operations.callsTo('deliverAuthCode').length, 1, 'the second was a duplicate');
});

test('a tolerance set by configuration is the one applied', async (t) => {
  const l = await listening(t, { notificationSettings: { requestTimeToleranceMs: 10_000 } });
  await l.h.authStates.put('state-tight', WORKFLOW_ID);
  t.is((await send(l, ANTOM, authCodeCreated('state-tight'), String(l.clock.now - 20_000))).status, 401);
  t.is((await send(l, ANTOM, authCodeCreated('state-tight'), String(l.clock.now - 5_000))).status, 200);
});

test('a Temporal hiccup shorter than the budget is ridden out inside the request: acknowledged, delivered once', async (t) => {
  const l = await listening(t, { notificationSettings: { deliveryRetryMs: 15_000 } });
  await l.h.authStates.put('state-hiccup', WORKFLOW_ID);
  l.h.operations.failWith = new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:7233');
  const recovered = setTimeout(() => (l.h.operations.failWith = undefined), 1_500);
  t.teardown(() => clearTimeout(recovered));
  const started = Date.now();
  const answer = await send(l, ANTOM, authCodeCreated('state-hiccup'));
  t.is(answer.body, NOTIFICATION_ACK_BODY);
  t.true(Date.now() - started >= 1_400, 'answered after the outage, not before');
  t.true(l.h.operations.callsTo('deliverAuthCode').length >= 3, 'tried several times within the request');
  t.is(await metricValue(l.h, 'platform="antom",type="AUTHCODE_CREATED",outcome="delivered"'), 1);
});

test('an outage longer than the budget answers 503 after the budget (claim released, so the resend is delivered)', async (t) => {
  const l = await listening(t, { notificationSettings: { deliveryRetryMs: 1_500 } });
  await l.h.authStates.put('state-long', WORKFLOW_ID);
  l.h.operations.failWith = new Error('14 UNAVAILABLE');
  const started = Date.now();
  t.is((await send(l, ANTOM, authCodeCreated('state-long'))).status, 503);
  const took = Date.now() - started;
  t.true(took >= 1_000 && took < 6_000, `within the budget (${took} ms)`);
  l.h.operations.failWith = undefined;
  t.is((await send(l, ANTOM, authCodeCreated('state-long'))).body, NOTIFICATION_ACK_BODY);
});

test('a delivery that hangs past the budget answers 503 at the budget; the hanging attempt still completes', async (t) => {
  const l = await listening(t, { notificationSettings: { deliveryRetryMs: 1_000 } });
  await l.h.authStates.put('state-hang', WORKFLOW_ID);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  l.h.operations.deliverAnswer = async () => {
    await held;
    return { accepted: true, duplicate: false, state: 'APPLYING_TOKEN' };
  };
  const started = Date.now();
  t.is((await send(l, ANTOM, authCodeCreated('state-hang'))).status, 503);
  t.true(Date.now() - started < 5_000);
  release();
  // The attempt confirmed its claim when it finished: the resend is a duplicate, not a second delivery.
  let resend = await send(l, ANTOM, authCodeCreated('state-hang'));
  for (let i = 0; i < 50 && resend.status === 409; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    resend = await send(l, ANTOM, authCodeCreated('state-hang'));
  }
  t.is(resend.body, NOTIFICATION_ACK_BODY);
  t.is(l.h.operations.callsTo('deliverAuthCode').length, 1);
});

/** A redis-server of this test's own on a free port (never the shared one), stopped by the test. */
async function ownRedis(t: ExecutionContext): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort(0);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused until the server listens: retried below
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  probe.disconnect();
  return { url, stop };
}

test('Redis down: an unroutable notification is answered 503 (its first sighting cannot be kept), never acknowledged', async (t) => {
  const redis = await ownRedis(t);
  const l = await listening(t, { redisUrl: redis.url, notificationSettings: { deliveryRetryMs: 500, unroutedAckAfterMs: 0 } });
  await redis.stop();
  const answer = await send(l, ANTOM, tokenCanceled());
  t.is(answer.status, 503);
  const unknownType = await send(l, ANTOM, { authorizationNotifyType: 'NEW_TYPE' });
  t.is(unknownType.status, 503, 'an unknown type is acknowledged only once recorded');
  t.deepEqual(l.h.operations.calls, []);
});

test('with no bound (0) an unroutable notification is acknowledged and recorded at once', async (t) => {
  const l = await listening(t, { notificationSettings: { unroutedAckAfterMs: 0 }, settings: { keys: [allScopesKey(API_KEY)] } });
  t.is((await send(l, ANTOM, authCodeCreated('never-issued-0'))).body, NOTIFICATION_ACK_BODY);
  t.like((await unroutedRecords(l)).body.notifications[0], { type: 'AUTHCODE_CREATED', authState: 'never-issued-0', reason: 'unrouted' });
  t.false(JSON.stringify((await unroutedRecords(l)).body).includes(AUTH_CODE), 'no authCode in the record');
});
