// Keyed digests (HMAC-SHA-256) for looking secrets up without storing them: an access token, an applyToken request
// or a notification identity becomes an opaque Redis key that cannot be brute-forced without the key ring.
// Each ring key yields its own digest key (HKDF, separate from its encryption use), so writes use the current key
// and lookups try every key: rotation never orphans an entry written under an older key.
import { createHmac, hkdfSync } from 'node:crypto';
import type { KeyRing } from './keyRing';

const HKDF_INFO = 'antom-auth keyed digest v1';
const derivedKeys = new WeakMap<KeyRing, Map<string, Buffer>>();

function digestKey(ring: KeyRing, keyId: string): Buffer {
  let perRing = derivedKeys.get(ring);
  if (!perRing) {
    perRing = new Map();
    derivedKeys.set(ring, perRing);
  }
  let key = perRing.get(keyId);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', ring.key(keyId), Buffer.alloc(0), HKDF_INFO, 32));
    perRing.set(keyId, key);
  }
  return key;
}

function digestWith(ring: KeyRing, keyId: string, purpose: string, input: string): string {
  // The purpose separates domains, so a token digest can never collide with a request digest.
  return createHmac('sha256', digestKey(ring, keyId)).update(purpose).update('\0').update(input).digest('base64url');
}

/** The digest under the current key (use it for writes). */
export function keyedDigest(ring: KeyRing, purpose: string, input: string): string {
  return digestWith(ring, ring.currentKeyId, purpose, input);
}

/** The digests under every key, the current one first (use them for lookups). */
export function keyedDigestsForLookup(ring: KeyRing, purpose: string, input: string): string[] {
  return ring.keyIds.map((keyId) => digestWith(ring, keyId, purpose, input));
}
