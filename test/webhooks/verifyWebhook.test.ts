/** verifyWebhook: the receiver's check — signature over `t.rawBody`, tolerance, rotation, clear errors; tampering never verifies. */
import test from 'ava';
import fc from 'fast-check';
import { DEFAULT_WEBHOOK_TOLERANCE_SEC, WebhookVerificationError, generateWebhookTestHeader, verifyWebhook } from '../../src/webhooks/verifyWebhook';
import { signWebhookPayload } from '../../src/webhooks/webhookSignature';
import type { WebhookEvent } from '../../src/workflows/webhookEvents';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const OLD_SECRET = 'whsec-fedcba9876543210fedcba9876543210';
const NOW_MS = Date.parse('2026-03-01T00:00:00Z');
const NOW_SEC = NOW_MS / 1000;

const event: WebhookEvent = {
  id: 'run-1:1',
  type: 'ACTIVE',
  sequence: 1,
  occurredAt: '2026-03-01T00:00:00.000Z',
  authorization: { workflowId: 'authorization:GCASH:c1', authorizationId: 'run-1', wallet: 'GCASH', customerId: 'c1', state: 'ACTIVE', refreshCount: 0 },
};
const body = JSON.stringify(event);

const reasonOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof WebhookVerificationError ? error.reason : `not a WebhookVerificationError: ${String(error)}`;
  }
};

test('a delivery signed by the production signer verifies and returns the parsed event', (t) => {
  const header = signWebhookPayload(body, [SECRET], NOW_SEC);
  t.deepEqual(verifyWebhook(body, header, [SECRET], 300, { now: NOW_MS }), event);
  t.deepEqual(verifyWebhook(Buffer.from(body), header, SECRET, 300, { now: NOW_MS }), event, 'a Buffer body and a single secret work too');
  t.regex(header, /^t=\d+,v1=[0-9a-f]{64}$/);
});

test('rotation: a header signed with old and new secrets verifies with either; one signed with neither does not', (t) => {
  const header = signWebhookPayload(body, [SECRET, OLD_SECRET], NOW_SEC);
  t.is(header.split(',v1=').length, 3);
  t.notThrows(() => verifyWebhook(body, header, [OLD_SECRET], 300, { now: NOW_MS }));
  t.notThrows(() => verifyWebhook(body, header, [SECRET], 300, { now: NOW_MS }));
  t.notThrows(() => verifyWebhook(body, signWebhookPayload(body, [SECRET], NOW_SEC), [OLD_SECRET, SECRET], 300, { now: NOW_MS }));
  t.is(reasonOf(() => verifyWebhook(body, header, ['another-secret-of-enough-length-000'], 300, { now: NOW_MS })), 'no-matching-signature');
});

test('tolerance: 300 s by default, either side of now; a replay later than that is refused', (t) => {
  t.is(DEFAULT_WEBHOOK_TOLERANCE_SEC, 300);
  const at = (offsetSec: number) => signWebhookPayload(body, [SECRET], NOW_SEC + offsetSec);
  t.notThrows(() => verifyWebhook(body, at(-300), [SECRET], undefined, { now: NOW_MS }));
  t.notThrows(() => verifyWebhook(body, at(300), [SECRET], undefined, { now: NOW_MS }));
  t.is(reasonOf(() => verifyWebhook(body, at(-301), [SECRET], undefined, { now: NOW_MS })), 'timestamp-out-of-tolerance');
  t.is(reasonOf(() => verifyWebhook(body, at(301), [SECRET], undefined, { now: NOW_MS })), 'timestamp-out-of-tolerance');
  t.notThrows(() => verifyWebhook(body, at(-3000), [SECRET], 3600, { now: NOW_MS }), 'a wider tolerance is the caller\'s choice');
  t.throws(() => verifyWebhook(body, at(0), [SECRET], 0, { now: NOW_MS }), { instanceOf: TypeError }, 'the check cannot be turned off');
});

test('the usual mistakes have their own reasons, and no message echoes a secret or the body', (t) => {
  const header = signWebhookPayload(body, [SECRET], NOW_SEC);
  const cases: Array<[string, () => unknown]> = [
    ['body-not-raw', () => verifyWebhook(JSON.parse(body) as never, header, [SECRET], 300, { now: NOW_MS })],
    ['missing-header', () => verifyWebhook(body, undefined, [SECRET], 300, { now: NOW_MS })],
    ['missing-header', () => verifyWebhook(body, '', [SECRET], 300, { now: NOW_MS })],
    ['malformed-header', () => verifyWebhook(body, 'sha256=abc', [SECRET], 300, { now: NOW_MS })],
    ['malformed-header', () => verifyWebhook(body, `t=${NOW_SEC}`, [SECRET], 300, { now: NOW_MS })],
    ['no-secret', () => verifyWebhook(body, header, [], 300, { now: NOW_MS })],
    ['no-secret', () => verifyWebhook(body, header, '', 300, { now: NOW_MS })],
    ['secret-has-whitespace', () => verifyWebhook(body, header, [`${SECRET}\n`], 300, { now: NOW_MS })],
    ['invalid-payload', () => verifyWebhook('not json', signWebhookPayload('not json', [SECRET], NOW_SEC), [SECRET], 300, { now: NOW_MS })],
    ['invalid-payload', () => verifyWebhook('{"id":1}', signWebhookPayload('{"id":1}', [SECRET], NOW_SEC), [SECRET], 300, { now: NOW_MS })],
  ];
  for (const [reason, call] of cases) {
    t.is(reasonOf(call), reason);
    try {
      call();
    } catch (error) {
      t.false((error as Error).message.includes(SECRET));
      t.false((error as Error).message.includes('GCASH'));
    }
  }
  t.notThrows(() => verifyWebhook(body, [header, 'ignored'], [SECRET], 300, { now: NOW_MS }), 'Node gives repeated headers as an array: the first is used');
});

test('generateWebhookTestHeader signs through the production signer', (t) => {
  t.is(generateWebhookTestHeader(body, SECRET, NOW_SEC), signWebhookPayload(body, [SECRET], NOW_SEC));
  t.notThrows(() => verifyWebhook(body, generateWebhookTestHeader(body, [SECRET]), [SECRET]));
});

test('property: any change to the body, the timestamp or the signature is refused', (t) => {
  const header = signWebhookPayload(body, [SECRET], NOW_SEC);
  fc.assert(
    fc.property(fc.nat({ max: body.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
      const bytes = Buffer.from(body);
      bytes[at] = (bytes[at]! + delta) % 256;
      return reasonOf(() => verifyWebhook(bytes, header, [SECRET], 300, { now: NOW_MS })) === 'no-matching-signature';
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.integer({ min: -299, max: 299 }).filter((d) => d !== 0), (delta) => {
      // The attacker shifts t inside the tolerance and keeps the signature: the MAC covers t.
      const forged = header.replace(/^t=\d+/, `t=${NOW_SEC + delta}`);
      return reasonOf(() => verifyWebhook(body, forged, [SECRET], 300, { now: NOW_MS })) === 'no-matching-signature';
    }),
  );
  fc.assert(
    fc.property(fc.nat({ max: 63 }), fc.constantFrom(...'0123456789abcdef'), (at, digit) => {
      const signature = header.split('v1=')[1]!;
      fc.pre(signature[at] !== digit);
      const forged = `t=${NOW_SEC},v1=${signature.slice(0, at)}${digit}${signature.slice(at + 1)}`;
      return reasonOf(() => verifyWebhook(body, forged, [SECRET], 300, { now: NOW_MS })) === 'no-matching-signature';
    }),
  );
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s !== SECRET && s.trim() === s), (wrong) =>
      reasonOf(() => verifyWebhook(body, signWebhookPayload(body, [wrong], NOW_SEC), [SECRET], 300, { now: NOW_MS })) === 'no-matching-signature'),
  );
  t.pass();
});
