// Routing digests recorded in Temporal visibility: keyed (never the token or a plain hash), stable across ENCRYPTION_KEYS
// rotation and retirement when NOTIFICATION_ROUTING_KEY is set, and found after switching to it from the default.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { parseRoutingKey, RoutingDigester, RoutingKeyConfigError } from '../../src/codec/routingDigest';

const TOKEN = '28100103_20215703001538122119';
const k1 = `k1:${generateEncryptionKey()}`;
const k2 = `k2:${generateEncryptionKey()}`;
const routingKey = randomBytes(32).toString('base64');

test('a digest is a keyed HMAC: not the token, not its SHA-256, different under another key, safe as a Keyword', (t) => {
  const digest = new RoutingDigester(parseKeyRingSpec(k1), routingKey).digest(TOKEN);
  t.regex(digest, /^[A-Za-z0-9_-]{43}$/);
  t.false(digest.includes(TOKEN));
  t.not(digest, createHash('sha256').update(TOKEN).digest('base64url'));
  t.not(digest, new RoutingDigester(parseKeyRingSpec(k1), randomBytes(32).toString('base64')).digest(TOKEN));
  t.not(digest, new RoutingDigester(parseKeyRingSpec(k1), routingKey).digest(`${TOKEN}0`));
});

test('with NOTIFICATION_ROUTING_KEY the recorded digest survives rotating and retiring an ENCRYPTION_KEYS key', (t) => {
  const recorded = new RoutingDigester(parseKeyRingSpec(k1), routingKey).digest(TOKEN);
  const rotated = new RoutingDigester(parseKeyRingSpec(`${k2},${k1}`), routingKey);
  const retired = new RoutingDigester(parseKeyRingSpec(k2), routingKey);
  t.is(rotated.digest(TOKEN), recorded);
  t.is(retired.digest(TOKEN), recorded);
  t.true(retired.digestsForLookup(TOKEN).includes(recorded));
});

test('without it: derived from the current key; rotation keeps old digests findable until the old key is retired', (t) => {
  const recorded = new RoutingDigester(parseKeyRingSpec(k1)).digest(TOKEN);
  t.true(new RoutingDigester(parseKeyRingSpec(`${k2},${k1}`)).digestsForLookup(TOKEN).includes(recorded));
  t.false(new RoutingDigester(parseKeyRingSpec(k2)).digestsForLookup(TOKEN).includes(recorded), 'documented limit of the default');
  // Switching to a configured routing key later: the ring-derived digests are still tried.
  t.true(new RoutingDigester(parseKeyRingSpec(k1), routingKey).digestsForLookup(TOKEN).includes(recorded));
});

test('a malformed routing key is refused naming the variable, never the value', (t) => {
  for (const bad of ['not base64!', Buffer.alloc(16).toString('base64')]) {
    const error = t.throws(() => parseRoutingKey(bad), { instanceOf: RoutingKeyConfigError });
    t.regex(error!.message, /^NOTIFICATION_ROUTING_KEY: /);
    t.false(error!.message.includes(bad));
  }
});
