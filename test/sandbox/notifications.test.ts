/**
 * Signed notifications: AUTHCODE_CREATED on approval and TOKEN_CANCELED on a wallet-side cancel, verified with the
 * sandbox's public key; resends on Antom's schedule in sandbox time until the exact acknowledgement arrives.
 */
import test from 'ava';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyParts } from '../../src/antom/signing';
import { parseSignatureHeader } from '../../src/antom/signatureHeader';
import { validateAntomAuthorizationNotification, validateAlipayPlusAuthNotification } from '../../src/antom/notifications';
import { NOTIFICATION_ACK_BODY } from '../../src/antom/notificationAck';
import { ANTOM_RESEND_SCHEDULE_MS, DEFAULT_RETAINED_FINISHED_NOTIFICATIONS, type RunningSandbox } from '../../src/sandbox';
import { Notifier } from '../../src/sandbox/notifier';
import { SandboxClock } from '../../src/sandbox/clock';
import { createLogger } from '../../src/logger';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { MERCHANT, clientFor, linkAlipayPlus, linkAntom, startTestSandbox } from './harness';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A merchant notification endpoint whose answer the test controls. */
async function startReceiver(t: import('ava').ExecutionContext, answer: () => { status: number; body: string }) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status, body } = answer();
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/antom/notify?source=sandbox`, received };
}

function verifyNotification(sandbox: RunningSandbox, notification: Received): boolean {
  const header = parseSignatureHeader(String(notification.headers.signature ?? ''));
  if (header === undefined) return false;
  return verifyParts(
    sandbox.publicKey,
    {
      path: notification.path,
      clientId: String(notification.headers['client-id']),
      time: String(notification.headers['request-time']),
      body: notification.body,
    },
    header.signature,
  );
}

test('AUTHCODE_CREATED is signed, well-formed, carries the authState and authCode, and stops after the exact ack', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 200, body: NOTIFICATION_ACK_BODY }));
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const { authCode, authState } = await linkAntom(sandbox, client, 'GCASH', { authNotifyUrl: receiver.url });
  const [view] = await sandbox.admin.flushNotifications();
  t.is(view?.status, 'ACKNOWLEDGED');
  t.is(receiver.received.length, 1);
  const notification = receiver.received[0] as Received;
  t.true(verifyNotification(sandbox, notification));
  t.is(notification.headers['client-id'], MERCHANT);
  t.regex(String(notification.headers['request-time']), /\+08:00$/);
  const parsed = validateAntomAuthorizationNotification(JSON.parse(notification.body));
  t.true(parsed.ok);
  if (parsed.ok && parsed.value.authorizationNotifyType === 'AUTHCODE_CREATED') {
    t.is(parsed.value.authCode, authCode);
    t.is(parsed.value.authState, authState);
  } else {
    t.fail('expected AUTHCODE_CREATED');
  }
  // A day later nothing more was sent.
  await sandbox.admin.advanceClock(ANTOM_RESEND_SCHEDULE_MS.reduce((a, b) => a + b, 0) * 2);
  await sandbox.admin.flushNotifications();
  t.is(receiver.received.length, 1);
  // The admin listing masks the authCode.
  t.false(JSON.stringify(sandbox.admin.notifications()).includes(authCode));
});

test('resends follow 0 s, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h of sandbox time, then give up', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 500, body: 'oops' }));
  const sandbox = await startTestSandbox(t, { merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey, notifyUrl: receiver.url }] });
  const client = clientFor(t, sandbox);
  const start = sandbox.clock.now();
  await linkAntom(sandbox, client, 'GCASH');
  await sandbox.admin.flushNotifications();
  t.is(receiver.received.length, 1, 'first attempt at once');
  let elapsed = 0;
  for (let attempt = 1; attempt < ANTOM_RESEND_SCHEDULE_MS.length; attempt += 1) {
    const interval = ANTOM_RESEND_SCHEDULE_MS[attempt] as number;
    await sandbox.admin.advanceClock(interval - 1_000);
    await sandbox.admin.flushNotifications();
    t.is(receiver.received.length, attempt, `attempt ${attempt + 1} not before its time`);
    await sandbox.admin.advanceClock(1_000);
    await sandbox.admin.flushNotifications();
    t.is(receiver.received.length, attempt + 1, `attempt ${attempt + 1} due after ${interval} ms`);
    elapsed += interval;
  }
  const [view] = sandbox.admin.notifications();
  t.is(view?.status, 'GAVE_UP');
  t.is(view?.attempts.length, 8);
  t.true(Math.abs((view?.attempts.at(-1)?.at ?? 0) - start - elapsed) < 5_000, 'the last attempt ~24 h after the first');
  // Each resend is signed afresh over the same body.
  t.true(receiver.received.every((r) => verifyNotification(sandbox, r)));
  t.is(new Set(receiver.received.map((r) => r.body)).size, 1);
  await sandbox.admin.advanceClock(48 * 3_600_000);
  await sandbox.admin.flushNotifications();
  t.is(receiver.received.length, 8);
});

test('only the exact success result stops resends: a wrong message, 204 or a plain-text SUCCESS do not', async (t) => {
  const answers = [
    { status: 200, body: '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"ok"}}' },
    { status: 204, body: '' },
    { status: 200, body: 'SUCCESS' },
    // Key order and whitespace do not matter; the values do.
    { status: 200, body: '{ "result": { "resultStatus": "S", "resultMessage": "success", "resultCode": "SUCCESS" } }' },
  ];
  let call = 0;
  const receiver = await startReceiver(t, () => answers[Math.min(call++, answers.length - 1)] as { status: number; body: string });
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  await linkAntom(sandbox, client, 'GCASH', { authNotifyUrl: receiver.url });
  await sandbox.admin.flushNotifications();
  for (const interval of ANTOM_RESEND_SCHEDULE_MS.slice(1, 4)) {
    await sandbox.admin.advanceClock(interval);
    await sandbox.admin.flushNotifications();
  }
  t.is(receiver.received.length, 4);
  t.is(sandbox.admin.notifications()[0]?.status, 'ACKNOWLEDGED');
  t.deepEqual(
    sandbox.admin.notifications()[0]?.attempts.map((a) => a.acknowledged),
    [false, false, false, true],
  );
});

test('an unreachable receiver is retried later without crashing', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  await linkAntom(sandbox, client, 'GCASH', { authNotifyUrl: 'http://127.0.0.1:9/notify' });
  const [view] = await sandbox.admin.flushNotifications();
  t.is(view?.status, 'PENDING');
  t.truthy(view?.attempts[0]?.error);
  // The next attempt is scheduled 2 minutes after the failed one finished.
  const wait = (view?.nextAttemptAt ?? 0) - (view?.attempts[0]?.at ?? 0);
  t.true(wait >= (ANTOM_RESEND_SCHEDULE_MS[1] as number) && wait < (ANTOM_RESEND_SCHEDULE_MS[1] as number) + 5_000);
});

test('cancel in the wallet sends a signed TOKEN_CANCELED naming the current access token (Antom and Alipay+)', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 200, body: NOTIFICATION_ACK_BODY }));
  const sandbox = await startTestSandbox(t);
  const antom = clientFor(t, sandbox);
  const { authCode, authState } = await linkAntom(sandbox, antom, 'TNG', { authNotifyUrl: receiver.url });
  const tokens = await antom.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'TNG', authCode });
  const cancellation = sandbox.admin.cancelFromWallet({ authState, clientId: MERCHANT }, 'user unlinked');
  t.truthy(cancellation.notificationId);
  await sandbox.admin.flushNotifications();
  const canceled = receiver.received.at(-1) as Received;
  t.true(verifyNotification(sandbox, canceled));
  const parsed = validateAntomAuthorizationNotification(JSON.parse(canceled.body));
  t.true(parsed.ok && parsed.value.authorizationNotifyType === 'TOKEN_CANCELED' && parsed.value.accessToken === tokens.accessToken);
  t.throws(() => sandbox.admin.cancelFromWallet({ accessToken: tokens.accessToken }), { message: /already ended/ });

  // Alipay+: same via the merchant's registered notify URL, with authClientId.
  sandbox.admin.registerMerchant({ clientId: MERCHANT, publicKey: merchantKeys.publicKey, notifyUrl: receiver.url });
  const aps = clientFor(t, sandbox, { platform: 'alipayplus' });
  const link = await linkAlipayPlus(sandbox, aps, 'GCASH');
  await sandbox.admin.flushNotifications();
  const authCodeCreated = validateAlipayPlusAuthNotification(JSON.parse((receiver.received.at(-1) as Received).body));
  t.true(authCodeCreated.ok && authCodeCreated.value.authorizationNotifyType === 'AUTHCODE_CREATED' && authCodeCreated.value.authCode === link.authCode);
  const apsTokens = await aps.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'AUTHORIZATION_CODE', authCode: link.authCode });
  sandbox.admin.cancelFromWallet({ accessToken: apsTokens.accessToken });
  await sandbox.admin.flushNotifications();
  const apsCanceled = validateAlipayPlusAuthNotification(JSON.parse((receiver.received.at(-1) as Received).body));
  t.true(apsCanceled.ok && apsCanceled.value.authorizationNotifyType === 'TOKEN_CANCELED' && apsCanceled.value.authClientId === 'SUB_MERCHANT_1');
});

test('resends become due on an injected clock without any admin call (polling)', async (t) => {
  let now = Date.UTC(2031, 5, 1);
  const receiver = await startReceiver(t, () => ({ status: 503, body: '' }));
  const sandbox = await startTestSandbox(t, { clock: { now: () => now }, notificationPollIntervalMs: 20 });
  const client = clientFor(t, sandbox, { clock: () => now });
  await linkAntom(sandbox, client, 'GCASH', { authNotifyUrl: receiver.url });
  await sandbox.admin.flushNotifications();
  t.is(receiver.received.length, 1);
  now += ANTOM_RESEND_SCHEDULE_MS[1] as number;
  const deadline = Date.now() + 3_000;
  while (receiver.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(receiver.received.length, 2);
});

test('Antom: a consult made for a secondary merchant (authClientId) names it in AUTHCODE_CREATED and in TOKEN_CANCELED', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 200, body: NOTIFICATION_ACK_BODY }));
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const authState = `secondary-${Date.now()}`;
  await client.consult({
    customerBelongsTo: 'TNG',
    authRedirectUrl: 'https://merchant.example/antom/return',
    scopes: ['AGREEMENT_PAY'],
    authState,
    terminalType: 'WEB',
    authClientId: 'SECONDARY_1',
    authNotifyUrl: receiver.url,
  });
  const { authCode } = sandbox.admin.approve({ authState, clientId: MERCHANT });
  await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'TNG', authCode });
  sandbox.admin.cancelFromWallet({ authState, clientId: MERCHANT });
  await sandbox.admin.flushNotifications();
  const types = receiver.received.map((notification) => {
    const parsed = validateAntomAuthorizationNotification(JSON.parse(notification.body));
    if (!parsed.ok) throw new Error(parsed.issues.map((issue) => issue.field).join(', '));
    return [parsed.value.authorizationNotifyType, parsed.value.authClientId];
  });
  t.deepEqual(types, [['AUTHCODE_CREATED', 'SECONDARY_1'], ['TOKEN_CANCELED', 'SECONDARY_1']]);
});

test('only the most recent finished notifications are kept (retainedFinishedNotifications); pending ones always are', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 200, body: NOTIFICATION_ACK_BODY }));
  const sandbox = await startTestSandbox(t, { retainedFinishedNotifications: 3 });
  const client = clientFor(t, sandbox);
  // The oldest one stays pending: its receiver is unreachable, so it still has resends due.
  await linkAntom(sandbox, client, 'GCASH', { authNotifyUrl: 'http://127.0.0.1:9/notify' });
  const ids: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const { authState } = await linkAntom(sandbox, client, 'GCASH', { authNotifyUrl: receiver.url });
    await sandbox.admin.flushNotifications();
    const delivered = sandbox.admin.notifications().find((n) => (n.body as { authState?: string }).authState === authState);
    ids.push(delivered?.id ?? -1);
  }
  t.is(receiver.received.length, 5, 'all five were delivered');
  const listed = sandbox.admin.notifications();
  t.deepEqual(
    listed.map((n) => n.status),
    ['PENDING', 'ACKNOWLEDGED', 'ACKNOWLEDGED', 'ACKNOWLEDGED'],
  );
  t.deepEqual(listed.slice(1).map((n) => n.id), ids.slice(2), 'the three most recent acknowledged ones');
});

test('by default the last 1,000 finished notifications are kept', async (t) => {
  t.timeout(60_000);
  const receiver = await startReceiver(t, () => ({ status: 200, body: NOTIFICATION_ACK_BODY }));
  const notifier = new Notifier({ clock: new SandboxClock(), signingKey: () => ({ keyVersion: '1', privateKey: antomKeys.privateKey }), logger: createLogger({ level: 'silent' }), timeOffsetMinutes: 480 });
  t.teardown(() => notifier.close());
  const total = DEFAULT_RETAINED_FINISHED_NOTIFICATIONS + 5;
  for (let sent = 0; sent < total; sent += 10) {
    for (let i = sent; i < Math.min(total, sent + 10); i += 1) {
      notifier.enqueue({ type: 'AUTHCODE_CREATED', url: receiver.url, clientId: MERCHANT, body: { n: i } });
    }
    await notifier.idle();
  }
  t.is(receiver.received.length, total);
  const listed = notifier.list();
  t.is(DEFAULT_RETAINED_FINISHED_NOTIFICATIONS, 1_000);
  t.is(listed.length, 1_000);
  t.deepEqual([listed[0]?.body, listed.at(-1)?.body], [{ n: 5 }, { n: total - 1 }], 'the oldest five were forgotten');
});
