/**
 * RSA key loading. Keys are parsed once into KeyObjects at start-up: parsing a PEM per call is several times slower
 * (antom-api.md §2) and a malformed key must fail at configuration time, not at the first customer's call.
 *
 * Accepts what the Antom dashboard and common tooling hand out:
 * - private keys: PKCS#8 (PEM label PRIVATE KEY) or PKCS#1 (label RSA PRIVATE KEY), PEM or bare base64 DER;
 * - public keys: SPKI (label PUBLIC KEY), PKCS#1 (label RSA PUBLIC KEY), PEM or bare base64 DER.
 */
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export class KeyConfigurationError extends Error {
  override readonly name = 'KeyConfigurationError';
}

/** A PEM boundary line; group 1 is its label. */
const PEM_HEADER = /-----BEGIN ([A-Z0-9 ]+)-----/;
/** The PEM label of a PKCS#8 key encrypted with a passphrase. */
const ENCRYPTED_PKCS8_LABEL = 'ENCRYPTED PRIVATE KEY';
/** A traditional (PKCS#1) PEM with an encryption header. */
const ENCRYPTED_TRADITIONAL_PEM = /Proc-Type:\s*4,ENCRYPTED/;

function isEncryptedPem(source: string): boolean {
  return PEM_HEADER.exec(source)?.[1] === ENCRYPTED_PKCS8_LABEL || ENCRYPTED_TRADITIONAL_PEM.test(source);
}

/** Minimum modulus size accepted. Antom mandates RSA 2048; anything smaller is a misconfiguration. */
const MIN_MODULUS_BITS = 2048;

function describeSource(label: string): string {
  return label ? ` (${label})` : '';
}

function bareBase64ToDer(text: string, label: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new KeyConfigurationError(`empty key${describeSource(label)}`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new KeyConfigurationError(`key${describeSource(label)} is neither PEM nor base64`);
  }
  return Buffer.from(compact, 'base64');
}

function checkRsa(key: KeyObject, label: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyConfigurationError(`key${describeSource(label)} is ${key.asymmetricKeyType ?? 'not asymmetric'}, expected RSA`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) {
    throw new KeyConfigurationError(`RSA key${describeSource(label)} has ${bits} bits, at least ${MIN_MODULUS_BITS} required`);
  }
  return key;
}

/** Parse a merchant (or sandbox) private key. `label` names the source in errors; the key material never appears. */
export function loadPrivateKey(text: string | Buffer, label = ''): KeyObject {
  const source = typeof text === 'string' ? text : text.toString('utf8');
  if (isEncryptedPem(source)) {
    // Otherwise this surfaces as a bare "could not be parsed", which sends people hunting for a format problem.
    throw new KeyConfigurationError(
      `private key${describeSource(label)} is encrypted with a passphrase; configure it unencrypted (openssl pkey -in <key> -out <plain key>)`,
    );
  }
  try {
    if (PEM_HEADER.test(source)) return checkRsa(createPrivateKey({ key: source, format: 'pem' }), label);
    const der = bareBase64ToDer(source, label);
    for (const type of ['pkcs8', 'pkcs1'] as const) {
      try {
        return checkRsa(createPrivateKey({ key: der, format: 'der', type }), label);
      } catch (err) {
        if (err instanceof KeyConfigurationError) throw err;
      }
    }
    throw new KeyConfigurationError(`private key${describeSource(label)} is not a valid PKCS#8 or PKCS#1 RSA key`);
  } catch (err) {
    if (err instanceof KeyConfigurationError) throw err;
    throw new KeyConfigurationError(`private key${describeSource(label)} could not be parsed`);
  }
}

/** Parse Antom's (or a merchant's) public key. Also accepts a private key and derives its public half. */
export function loadPublicKey(text: string | Buffer, label = ''): KeyObject {
  const source = typeof text === 'string' ? text : text.toString('utf8');
  try {
    if (PEM_HEADER.test(source)) return checkRsa(createPublicKey({ key: source, format: 'pem' }), label);
    const der = bareBase64ToDer(source, label);
    for (const type of ['spki', 'pkcs1'] as const) {
      try {
        return checkRsa(createPublicKey({ key: der, format: 'der', type }), label);
      } catch (err) {
        if (err instanceof KeyConfigurationError) throw err;
      }
    }
    throw new KeyConfigurationError(`public key${describeSource(label)} is not a valid SPKI or PKCS#1 RSA key`);
  } catch (err) {
    if (err instanceof KeyConfigurationError) throw err;
    throw new KeyConfigurationError(`public key${describeSource(label)} could not be parsed`);
  }
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new KeyConfigurationError(`key file ${path} cannot be read (${code})`);
  }
}

export function loadPrivateKeyFile(path: string): KeyObject {
  return loadPrivateKey(readKeyFile(path), path);
}

export function loadPublicKeyFile(path: string): KeyObject {
  return loadPublicKey(readKeyFile(path), path);
}
