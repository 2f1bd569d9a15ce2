/**
 * The sandbox's own ("Antom's") key pairs by keyVersion, and which one signs responses and notifications now. A
 * second version can be added (generated, or a given private key) and switched to while the sandbox runs, which is
 * how a rotation on Antom's side looks to a merchant: the signature header's keyVersion changes, and a merchant that
 * does not hold the new public key can no longer verify anything.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DEFAULT_KEY_VERSION } from '../antom/signatureHeader';
import { KEY_VERSION_PATTERN, KEY_VERSION_RULE, type SigningKey } from '../antom/signatureKeys';

export class SandboxSigningKeys {
  readonly #keys = new Map<string, KeyObject>();
  #current: string;

  /** `initial` becomes keyVersion "1", the signing one. */
  constructor(initial: KeyObject) {
    this.#keys.set(DEFAULT_KEY_VERSION, initial);
    this.#current = DEFAULT_KEY_VERSION;
  }

  get currentVersion(): string {
    return this.#current;
  }

  versions(): string[] {
    return [...this.#keys.keys()];
  }

  current(): SigningKey {
    return { keyVersion: this.#current, privateKey: this.#keys.get(this.#current)! };
  }

  publicKey(keyVersion: string): KeyObject {
    const key = this.#keys.get(keyVersion);
    if (key === undefined) throw new RangeError(`no sandbox signing key with keyVersion ${keyVersion}`);
    return createPublicKey(key);
  }

  /** Adds (or replaces) a version; a fresh RSA 2048 pair unless a private key is given. Does not switch to it. */
  add(keyVersion: string, privateKey?: KeyObject): KeyObject {
    if (!KEY_VERSION_PATTERN.test(keyVersion)) throw new RangeError(`keyVersion ${KEY_VERSION_RULE}`);
    this.#keys.set(keyVersion, privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    return this.publicKey(keyVersion);
  }

  /** From now on responses and notifications (resends included) are signed with this version. */
  use(keyVersion: string): void {
    if (!this.#keys.has(keyVersion)) throw new RangeError(`no sandbox signing key with keyVersion ${keyVersion}`);
    this.#current = keyVersion;
  }
}
