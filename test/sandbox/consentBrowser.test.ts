/**
 * The wallet consent page in a real browser (headless Chromium via playwright-core): from the consult's normalUrl,
 * click Approve, land on the merchant's redirect URL with authCode and authState; the AUTHCODE_CREATED notification
 * arrives signed and stops once acknowledged. Deny and a reused link are checked the same way.
 */
import test from 'ava';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyParts } from '../../src/antom/signing';
import { parseSignatureHeader } from '../../src/antom/signatureHeader';
import { NOTIFICATION_ACK_BODY } from '../../src/antom/notificationAck';
import { ANTOM_RESEND_SCHEDULE_MS } from '../../src/sandbox';
import { clientFor, startTestSandbox, uniqueAuthState } from './harness';
import { useChromium } from '../support/chromium';

const browser = useChromium(test);

interface Hit {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The merchant: a return page for the browser and a notification endpoint that acknowledges. */
async function startMerchant(t: import('ava').ExecutionContext) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hits.push(hit);
      if (hit.path.startsWith('/notify')) {
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(NOTIFICATION_ACK_BODY);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1 id="linked">Linked, thank you</h1></body></html>');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, hits };
}

test('approve in the browser: redirect with authCode + authState, signed AUTHCODE_CREATED, no resend after the ack', async (t) => {
  const merchant = await startMerchant(t);
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const authState = uniqueAuthState('browser');
  const consult = await client.consult({
    customerBelongsTo: 'GCASH',
    authRedirectUrl: `${merchant.origin}/return?order=42`,
    authNotifyUrl: `${merchant.origin}/notify`,
    scopes: ['AGREEMENT_PAY'],
    authState,
    terminalType: 'WEB',
  });

  const page = await browser().newPage();
  t.teardown(() => page.close());
  await page.goto(consult.normalUrl ?? '');
  t.is(await page.textContent('.wallet'), 'GCASH');
  t.regex((await page.textContent('#scopes')) ?? '', /auto debit/);
  await Promise.all([page.waitForURL(`${merchant.origin}/return**`), page.click('#approve')]);
  t.is(await page.textContent('#linked'), 'Linked, thank you');

  const landed = new URL(page.url());
  t.is(landed.searchParams.get('order'), '42', 'the merchant query string is kept');
  t.is(landed.searchParams.get('authState'), authState);
  const authCode = landed.searchParams.get('authCode') ?? '';
  t.true(authCode.length > 20);

  await sandbox.admin.flushNotifications();
  const notifications = merchant.hits.filter((h) => h.path.startsWith('/notify'));
  t.is(notifications.length, 1);
  const notification = notifications[0] as Hit;
  const header = parseSignatureHeader(String(notification.headers.signature));
  t.true(
    header !== undefined &&
      verifyParts(
        sandbox.publicKey,
        { path: notification.path, clientId: String(notification.headers['client-id']), time: String(notification.headers['request-time']), body: notification.body },
        header.signature,
      ),
  );
  const body = JSON.parse(notification.body) as Record<string, unknown>;
  t.is(body.authorizationNotifyType, 'AUTHCODE_CREATED');
  t.is(body.authCode, authCode, 'the redirect and the notification carry the same authCode');
  t.is(body.authState, authState);

  // A day of sandbox time later: still exactly one notification.
  for (const interval of ANTOM_RESEND_SCHEDULE_MS) {
    await sandbox.admin.advanceClock(interval + 1_000);
    await sandbox.admin.flushNotifications();
  }
  t.is(merchant.hits.filter((h) => h.path.startsWith('/notify')).length, 1);
  t.is(sandbox.admin.notifications()[0]?.status, 'ACKNOWLEDGED');

  // A day passed, so the authCode from the browser has expired.
  const expired = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode }).catch((e: { resultCode?: string }) => e.resultCode);
  t.is(expired, 'INVALID_AUTHCODE');

  // The consent link is single-use.
  const reused = await page.goto(consult.normalUrl ?? '');
  t.is(reused?.status(), 410);
  t.truthy(await page.$('#unavailable'));
});

test('the authCode from a browser approval exchanges for tokens within its minute', async (t) => {
  const merchant = await startMerchant(t);
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const consult = await client.consult({
    customerBelongsTo: 'TRUEMONEY',
    authRedirectUrl: `${merchant.origin}/return`,
    scopes: ['AGREEMENT_PAY'],
    authState: uniqueAuthState('browser'),
    terminalType: 'WEB',
  });
  const page = await browser().newPage();
  t.teardown(() => page.close());
  await page.goto(consult.normalUrl ?? '');
  await Promise.all([page.waitForURL(`${merchant.origin}/return**`), page.click('#approve')]);
  const authCode = new URL(page.url()).searchParams.get('authCode') ?? '';
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'TRUEMONEY', authCode });
  t.true(sandbox.admin.isAccessTokenUsable(tokens.accessToken));
});

test('deny in the browser: no authCode, no notification, link spent', async (t) => {
  const merchant = await startMerchant(t);
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const consult = await client.consult({
    customerBelongsTo: 'GCASH',
    authRedirectUrl: `${merchant.origin}/return`,
    authNotifyUrl: `${merchant.origin}/notify`,
    scopes: ['AGREEMENT_PAY'],
    authState: uniqueAuthState('deny'),
    terminalType: 'WEB',
  });
  const page = await browser().newPage();
  t.teardown(() => page.close());
  await page.goto(consult.normalUrl ?? '');
  await Promise.all([page.waitForSelector('#declined'), page.click('#deny')]);
  t.false(((await page.getAttribute('#return', 'href')) ?? '').includes('authCode'));
  await sandbox.admin.flushNotifications();
  t.is(merchant.hits.length, 0);
  t.is(sandbox.admin.authorizations()[0]?.status, 'DENIED');
  const again = await page.goto(consult.normalUrl ?? '');
  t.is(again?.status(), 410);
});
