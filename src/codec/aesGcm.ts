// AES-256-GCM sealing with a key ring: the one crypto primitive used by the payload codec and the Redis store.
// Sealed layout: iv (12 bytes) || ciphertext || auth tag (16 bytes). The key id travels beside it (payload
// metadata, or the SecretBox string prefix). The caller's associated data binds a ciphertext to its context.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './keyRing';

const IV_BYTES = 12; // the GCM standard nonce size; random per message (2^32 messages per key stay far below risk)
const TAG_BYTES = 16;

/** Thrown when a ciphertext fails authentication (tampered, truncated, wrong key or wrong context). */
export class DecryptionFailedError extends Error {
  override readonly name = 'DecryptionFailedError';
  constructor(readonly keyId: string, what = 'data') {
    super(`cannot decrypt ${what} encrypted with key id "${keyId}": authentication failed (tampered, truncated or encrypted for another context)`);
  }
}

export interface SealedBytes {
  keyId: string;
  sealed: Buffer;
}

/** Encrypts with the ring's current key. */
export function sealBytes(ring: KeyRing, plaintext: Uint8Array, associatedData: Uint8Array): SealedBytes {
  const keyId = ring.currentKeyId;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.key(keyId), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId, sealed: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]) };
}

/** Decrypts with the key named by `keyId` (throws UnknownEncryptionKeyError if the ring lacks it). */
export function openBytes(ring: KeyRing, keyId: string, sealed: Uint8Array, associatedData: Uint8Array, what?: string): Buffer {
  const key = ring.key(keyId);
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionFailedError(keyId, what);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionFailedError(keyId, what);
  }
}
