// Routing digests: what the workflow records in Temporal visibility (search attribute AntomTokenDigests) so a
// TOKEN_CANCELED can find its authorization when Redis cannot answer. Search attributes are stored unencrypted and
// are readable by anyone with namespace access, so the value is an HMAC of the access token, never the token or a
// plain hash of it (an access token may be guessable, e.g. digits and a date).
//
// The HMAC key is dedicated to routing: NOTIFICATION_ROUTING_KEY when set (a key that does not rotate with
// ENCRYPTION_KEYS, so retiring an encryption key never orphans a recorded digest), else derived from the current
// ENCRYPTION_KEYS key (development: rotation then works until the old key is retired). Lookups try the routing key
// and every ring-derived key, so switching from the derived default to a configured key loses nothing.
import { createHmac, hkdfSync } from 'node:crypto';
import type { KeyRing } from './keyRing';

/** Bytes of NOTIFICATION_ROUTING_KEY after base64 decoding (HMAC-SHA-256 key size). */
export const ROUTING_KEY_BYTES = 32;
const HKDF_INFO = 'antom-auth notification routing v1';
const PURPOSE = 'access-token';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A problem with NOTIFICATION_ROUTING_KEY; the message never holds the key. */
export class RoutingKeyConfigError extends Error {
  override readonly name = 'RoutingKeyConfigError';
}

/** The configured routing key's bytes; throws RoutingKeyConfigError naming what is wrong (never the value). */
export function parseRoutingKey(text: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed)) throw new RoutingKeyConfigError('NOTIFICATION_ROUTING_KEY: not valid base64');
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== ROUTING_KEY_BYTES) {
    throw new RoutingKeyConfigError(`NOTIFICATION_ROUTING_KEY: must decode to ${ROUTING_KEY_BYTES} bytes, got ${key.length}`);
  }
  return key;
}

function derive(material: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), HKDF_INFO, 32));
}

export class RoutingDigester {
  /** The write key first, then every other key a lookup tries. */
  readonly #keys: readonly Buffer[];

  /** `routingKey`: NOTIFICATION_ROUTING_KEY's text (or bytes); undefined derives the write key from the ring. */
  constructor(ring: KeyRing, routingKey?: string | Buffer) {
    const fromRing = ring.keyIds.map((id) => derive(ring.key(id)));
    const configured = routingKey === undefined ? undefined : derive(typeof routingKey === 'string' ? parseRoutingKey(routingKey) : routingKey);
    this.#keys = configured ? [configured, ...fromRing] : fromRing;
  }

  /** The digest to record (search attribute value): 43 base64url characters. */
  digest(accessToken: string): string {
    return this.#with(this.#keys[0]!, accessToken);
  }

  /** Every digest a lookup tries, the write key's first (deduplicated). */
  digestsForLookup(accessToken: string): string[] {
    return [...new Set(this.#keys.map((key) => this.#with(key, accessToken)))];
  }

  #with(key: Buffer, accessToken: string): string {
    return createHmac('sha256', key).update(PURPOSE).update('\0').update(accessToken).digest('base64url');
  }
}
