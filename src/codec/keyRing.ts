// The encryption key ring shared by the Temporal payload codec and the Redis store.
// One "current" key encrypts; every key in the ring decrypts, so keys can be rotated without re-encrypting history.
// Key material never appears in errors, logs, util.inspect or JSON output.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

/** AES-256 needs exactly 32 bytes of key material. */
export const ENCRYPTION_KEY_BYTES = 32;

/** Key ids travel in payload metadata and in Redis values; a small alphabet keeps them safe as separators. */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Thrown for malformed key configuration. Names the entry (id or position), never the key material. */
export class KeyRingConfigError extends Error {
  override readonly name = 'KeyRingConfigError';
}

/** Thrown when data was encrypted with a key id this ring does not hold. Names the key id only. */
export class UnknownEncryptionKeyError extends Error {
  override readonly name = 'UnknownEncryptionKeyError';
  constructor(readonly keyId: string, knownKeyIds: readonly string[]) {
    super(`data is encrypted with key id "${keyId}", which is not in the key ring (known key ids: ${knownKeyIds.join(', ')}); add that key to the ring to read it`);
  }
}

export interface KeyRingEntry {
  readonly id: string;
  readonly key: Uint8Array;
}

export class KeyRing {
  readonly currentKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  /** The first entry is the current (encrypting) key unless `currentKeyId` names another one. */
  constructor(entries: readonly KeyRingEntry[], currentKeyId?: string) {
    if (entries.length === 0) throw new KeyRingConfigError('the key ring is empty: configure at least one encryption key');
    const keys = new Map<string, Buffer>();
    entries.forEach((entry, index) => {
      const label = KEY_ID_PATTERN.test(entry.id) ? `key "${entry.id}"` : `key #${index + 1}`;
      if (!KEY_ID_PATTERN.test(entry.id)) {
        throw new KeyRingConfigError(`${label}: the key id must be 1-64 characters of A-Z a-z 0-9 _ -`);
      }
      if (keys.has(entry.id)) throw new KeyRingConfigError(`${label}: duplicate key id`);
      if (entry.key.length !== ENCRYPTION_KEY_BYTES) {
        throw new KeyRingConfigError(`${label}: must be ${ENCRYPTION_KEY_BYTES} bytes, got ${entry.key.length}`);
      }
      keys.set(entry.id, Buffer.from(entry.key));
    });
    const current = currentKeyId ?? entries[0]!.id;
    if (!keys.has(current)) throw new KeyRingConfigError(`the current key id "${current}" is not in the key ring`);
    this.currentKeyId = current;
    this.#keys = keys;
  }

  /** All key ids, the current one first. */
  get keyIds(): string[] {
    return [this.currentKeyId, ...[...this.#keys.keys()].filter((id) => id !== this.currentKeyId)];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** The key material for `keyId`; throws UnknownEncryptionKeyError naming the id if absent. */
  key(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (!key) throw new UnknownEncryptionKeyError(keyId, this.keyIds);
    return key;
  }

  toJSON(): { currentKeyId: string; keyIds: string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `KeyRing { current: ${this.currentKeyId}, keyIds: [${this.keyIds.join(', ')}] }`;
  }
}

function decodeBase64Key(text: string, label: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64_PATTERN.test(trimmed)) throw new KeyRingConfigError(`${label}: the key is not valid base64`);
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== ENCRYPTION_KEY_BYTES) {
    throw new KeyRingConfigError(`${label}: the key must decode to ${ENCRYPTION_KEY_BYTES} bytes, got ${key.length}`);
  }
  return key;
}

/**
 * Parses keys written as `id:base64(32 bytes)`, separated by commas, whitespace or newlines (or given as a list);
 * `#` starts a comment to the end of the line.
 * The first key is the current one (it encrypts); to rotate, put the new key first and keep the old ones after it.
 */
export function parseKeyRingSpec(spec: string | readonly string[], currentKeyId?: string): KeyRing {
  const items = (typeof spec === 'string' ? [spec] : spec)
    .flatMap((chunk) => chunk.split('\n').map((line) => line.replace(/#.*$/, ''))) // `#` starts a comment in key files
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new KeyRingConfigError('no encryption keys configured (expected "id:base64key[,id:base64key…]")');
  const entries = items.map((item, index) => {
    const colon = item.indexOf(':');
    if (colon <= 0) throw new KeyRingConfigError(`key #${index + 1}: expected "id:base64key"`);
    const id = item.slice(0, colon);
    const label = KEY_ID_PATTERN.test(id) ? `key "${id}"` : `key #${index + 1}`;
    return { id, key: decodeBase64Key(item.slice(colon + 1), label) };
  });
  return new KeyRing(entries, currentKeyId);
}

/**
 * Reads a key file: either JSON `{"currentKeyId"?: "k2", "keys": [{"id": "k2", "key": "<base64>"}, …]}`
 * (the first key is current unless currentKeyId says otherwise) or the `id:base64` text form, one per line.
 */
export function loadKeyRingFile(path: string): KeyRing {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new KeyRingConfigError(`cannot read the encryption key file ${path} (${code})`);
  }
  if (!text.trimStart().startsWith('{')) return parseKeyRingSpec(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyRingConfigError(`the encryption key file ${path} is not valid JSON`);
  }
  return keyRingFromJson(parsed, path);
}

function keyRingFromJson(parsed: unknown, source: string): KeyRing {
  const shape = parsed as { currentKeyId?: unknown; keys?: unknown };
  if (!Array.isArray(shape.keys)) throw new KeyRingConfigError(`${source}: expected {"keys": [{"id": …, "key": …}]}`);
  if (shape.currentKeyId !== undefined && typeof shape.currentKeyId !== 'string') {
    throw new KeyRingConfigError(`${source}: currentKeyId must be a string`);
  }
  const entries = shape.keys.map((entry: unknown, index: number) => {
    const { id, key } = (entry ?? {}) as { id?: unknown; key?: unknown };
    if (typeof id !== 'string' || typeof key !== 'string') {
      throw new KeyRingConfigError(`${source}: key #${index + 1} needs string fields "id" and "key"`);
    }
    const label = KEY_ID_PATTERN.test(id) ? `key "${id}"` : `key #${index + 1}`;
    return { id, key: decodeBase64Key(key, label) };
  });
  return new KeyRing(entries, shape.currentKeyId);
}

/** A fresh random key in the config form's base64 (for `antom-auth` key generation and tests). */
export function generateEncryptionKey(): string {
  return randomBytes(ENCRYPTION_KEY_BYTES).toString('base64');
}
