// Notification answers (src/antom/notificationAck.ts): Antom's exact ack bytes, and Alipay+'s signed responses,
// verified here with node:crypto directly from the documented string-to-sign (not via our own verify helper).
import test from 'ava';
import { createHash, verify } from 'node:crypto';
import {
  consultUnbindingResponseBody,
  formatResponseTime,
  NOTIFICATION_ACK_BODY,
  signAlipayPlusResponse,
} from '../../src/antom/notificationAck';
import { parseIsoInstant } from '../../src/antom/isoInstant';
import { merchantKeys } from '../support/fixtureKeys';

test('the Antom acknowledgement is exactly the documented bytes', (t) => {
  const documented = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';
  t.is(NOTIFICATION_ACK_BODY, documented);
  // Compare digests too, so an invisible character (BOM, NBSP) cannot slip in.
  t.is(createHash('sha256').update(NOTIFICATION_ACK_BODY).digest('hex'), createHash('sha256').update(documented).digest('hex'));
});

test('consultUnbinding answers carry allowUnbinding as a string next to a SUCCESS result', (t) => {
  t.deepEqual(JSON.parse(consultUnbindingResponseBody(true)), {
    result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    allowUnbinding: 'true',
  });
  t.is(JSON.parse(consultUnbindingResponseBody(false)).allowUnbinding, 'false');
});

test('an Alipay+ response is signed over POST <path>\\n<client-id>.<response-time>.<body> and verifies', (t) => {
  const signed = signAlipayPlusResponse({
    body: NOTIFICATION_ACK_BODY,
    path: '/notifications/alipayplus/authNotify',
    clientId: 'ACQ_CLIENT_1',
    privateKey: merchantKeys.privateKey,
    responseTime: '2024-05-01T08:30:00+08:00',
  });
  t.is(signed.body, NOTIFICATION_ACK_BODY);
  t.is(signed.headers['client-id'], 'ACQ_CLIENT_1');
  t.is(signed.headers['response-time'], '2024-05-01T08:30:00+08:00');
  t.is(signed.headers['content-type'], 'application/json; charset=UTF-8');
  const match = /^algorithm=RSA256,keyVersion=1,signature=(.+)$/.exec(signed.headers.signature);
  if (match?.[1] === undefined) {
    t.fail(`unexpected signature header ${signed.headers.signature}`);
    return;
  }
  const message = `POST /notifications/alipayplus/authNotify\nACQ_CLIENT_1.2024-05-01T08:30:00+08:00.${NOTIFICATION_ACK_BODY}`;
  const signature = Buffer.from(decodeURIComponent(match[1]), 'base64');
  t.true(verify('sha256', Buffer.from(message), merchantKeys.publicKey, signature));
  // A different body (e.g. the unbinding answer) must not verify against this signature.
  const other = `POST /notifications/alipayplus/authNotify\nACQ_CLIENT_1.2024-05-01T08:30:00+08:00.${consultUnbindingResponseBody(true)}`;
  t.false(verify('sha256', Buffer.from(other), merchantKeys.publicKey, signature));
});

test('without a responseTime the current time is used, as ISO 8601 with an explicit offset', (t) => {
  const before = Date.now();
  const signed = signAlipayPlusResponse({ body: '{}', path: '/n', clientId: 'c', privateKey: merchantKeys.privateKey, keyVersion: '2' });
  const instant = parseIsoInstant(signed.headers['response-time']);
  t.truthy(instant);
  t.true(instant !== undefined && instant.epochMs >= Math.floor(before / 1000) * 1000 && instant.epochMs <= Date.now());
  t.true(signed.headers.signature.startsWith('algorithm=RSA256,keyVersion=2,signature='));
  t.is(formatResponseTime(new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678))), '2030-01-02T03:04:05+00:00');
});
