import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign, verify, type KeyObject } from 'node:crypto';
import {
  KeyConfigurationError,
  loadPrivateKey,
  loadPrivateKeyFile,
  loadPublicKey,
  loadPublicKeyFile,
} from '../../src/antom/keys';
import { fixtureKeyPaths, merchantKeys } from '../support/fixtureKeys';

const read = (path: string): string => readFileSync(path, 'utf8');

/** Proves a loaded private key is the merchant's: its signature verifies with the merchant's public key. */
function isMerchantPrivateKey(key: KeyObject): boolean {
  const data = Buffer.from('proof of possession');
  return verify('sha256', data, merchantKeys.publicKey, sign('sha256', data, key));
}

/** Proves a loaded public key is the merchant's: it verifies a signature by the merchant's private key. */
function isMerchantPublicKey(key: KeyObject): boolean {
  const data = Buffer.from('proof of possession');
  return verify('sha256', data, key, sign('sha256', data, merchantKeys.privateKey));
}

/**
 * Fails if the message reveals any run of 12 characters from the key's base64 body: an error must name the
 * problem and the source, never echo the secret.
 */
function assertNoKeyMaterial(t: import('ava').ExecutionContext, message: string, keyText: string): void {
  const body = keyText.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  for (let i = 0; i + 12 <= body.length; i += 1) {
    if (message.includes(body.slice(i, i + 12))) {
      t.fail(`error message contains key material: ${JSON.stringify(message)}`);
      return;
    }
  }
  t.pass();
}

function expectConfigError(t: import('ava').ExecutionContext, load: () => unknown, pattern: RegExp, keyText?: string): void {
  const error = t.throws(load, { instanceOf: KeyConfigurationError });
  if (!error) return;
  t.is(error.name, 'KeyConfigurationError');
  t.regex(error.message, pattern);
  if (keyText !== undefined) {
    assertNoKeyMaterial(t, error.message, keyText);
    assertNoKeyMaterial(t, String(error.stack), keyText);
  }
}

// ---------- accepted formats ----------

const privateFormats: Array<[string, string]> = [
  ['PKCS#8 PEM', fixtureKeyPaths.merchantPrivatePkcs8Pem],
  ['PKCS#1 PEM', fixtureKeyPaths.merchantPrivatePkcs1Pem],
  ['bare base64 PKCS#8 (Antom dashboard)', fixtureKeyPaths.merchantPrivatePkcs8Base64],
  ['bare base64 PKCS#1', fixtureKeyPaths.merchantPrivatePkcs1Base64],
];

for (const [format, path] of privateFormats) {
  test(`private key loads from ${format} text, Buffer and file`, (t) => {
    const text = read(path);
    for (const key of [loadPrivateKey(text), loadPrivateKey(Buffer.from(text)), loadPrivateKeyFile(path)]) {
      t.is(key.type, 'private');
      t.is(key.asymmetricKeyType, 'rsa');
      t.is(key.asymmetricKeyDetails?.modulusLength, 2048);
      t.true(isMerchantPrivateKey(key));
    }
  });
}

test('bare base64 private key tolerates line wrapping, CRLF and surrounding whitespace (copy-paste from a console)', (t) => {
  const oneLine = read(fixtureKeyPaths.merchantPrivatePkcs8Base64).trim();
  const wrapped = `\n  ${oneLine.match(/.{1,64}/g)!.join('\r\n')}\r\n\n`;
  t.true(isMerchantPrivateKey(loadPrivateKey(wrapped)));
});

test('PEM private key with CRLF line endings loads', (t) => {
  const crlf = read(fixtureKeyPaths.merchantPrivatePkcs8Pem).replace(/\n/g, '\r\n');
  t.true(isMerchantPrivateKey(loadPrivateKey(crlf)));
});

const publicFormats: Array<[string, string]> = [
  ['SPKI PEM', fixtureKeyPaths.merchantPublicPem],
  ['PKCS#1 PEM', fixtureKeyPaths.merchantPublicPkcs1Pem],
  ['bare base64 SPKI', fixtureKeyPaths.merchantPublicBase64],
];

for (const [format, path] of publicFormats) {
  test(`public key loads from ${format} text, Buffer and file`, (t) => {
    const text = read(path);
    for (const key of [loadPublicKey(text), loadPublicKey(Buffer.from(text)), loadPublicKeyFile(path)]) {
      t.is(key.type, 'public');
      t.is(key.asymmetricKeyType, 'rsa');
      t.true(isMerchantPublicKey(key));
    }
  });
}

test('public key can be derived from the private key PEM (one file configures both sides of the sandbox)', (t) => {
  const key = loadPublicKeyFile(fixtureKeyPaths.merchantPrivatePkcs8Pem);
  t.is(key.type, 'public');
  t.true(isMerchantPublicKey(key));
});

// ---------- rejected input ----------

test('malformed PEM private key → KeyConfigurationError naming the source, without key material', (t) => {
  const pem = read(fixtureKeyPaths.merchantPrivatePkcs8Pem);
  const lines = pem.split('\n');
  // Drop half of the body: the header still says PEM, the DER inside is truncated.
  const truncated = [...lines.slice(0, 10), ...lines.slice(-2)].join('\n');
  expectConfigError(t, () => loadPrivateKey(truncated, 'MERCHANT_PRIVATE_KEY'), /private key \(MERCHANT_PRIVATE_KEY\) could not be parsed/, pem);
});

test('corrupted bare base64 private key → KeyConfigurationError without key material', (t) => {
  const base64 = read(fixtureKeyPaths.merchantPrivatePkcs8Base64);
  const corrupted = base64.slice(0, 200) + base64.slice(400);
  expectConfigError(t, () => loadPrivateKey(corrupted, 'MERCHANT_PRIVATE_KEY'), /not a valid PKCS#8 or PKCS#1 RSA key/, base64);
});

test('text that is neither PEM nor base64 → KeyConfigurationError that does not echo the text', (t) => {
  const secretLooking = 'my-super-secret-password-not-a-key!';
  expectConfigError(t, () => loadPrivateKey(secretLooking, 'MERCHANT_PRIVATE_KEY'), /neither PEM nor base64/);
  const error = t.throws(() => loadPrivateKey(secretLooking));
  t.false(error?.message.includes('secret'));
  expectConfigError(t, () => loadPublicKey('%%% not a key %%%', 'ANTOM_PUBLIC_KEY'), /key \(ANTOM_PUBLIC_KEY\) is neither PEM nor base64/);
});

test('empty or whitespace-only key → KeyConfigurationError "empty key"', (t) => {
  expectConfigError(t, () => loadPrivateKey('', 'MERCHANT_PRIVATE_KEY'), /empty key \(MERCHANT_PRIVATE_KEY\)/);
  expectConfigError(t, () => loadPublicKey(' \n\t ', 'ANTOM_PUBLIC_KEY'), /empty key \(ANTOM_PUBLIC_KEY\)/);
});

test('a public key given where the private key is expected → KeyConfigurationError', (t) => {
  const pem = read(fixtureKeyPaths.merchantPublicPem);
  expectConfigError(t, () => loadPrivateKey(pem, 'MERCHANT_PRIVATE_KEY'), /private key \(MERCHANT_PRIVATE_KEY\)/, pem);
});

test('passphrase-protected private key (PKCS#8 or traditional PEM) → KeyConfigurationError saying it is encrypted', (t) => {
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    const encrypted = merchantKeys.privateKey.export({ type, format: 'pem', cipher: 'aes-256-cbc', passphrase: 'test-only' }).toString();
    expectConfigError(t, () => loadPrivateKey(encrypted, 'MERCHANT_PRIVATE_KEY'), /private key \(MERCHANT_PRIVATE_KEY\) is encrypted with a passphrase/, encrypted);
  }
});

test('EC key → KeyConfigurationError "expected RSA", for both private and public loaders', (t) => {
  const privatePem = read(fixtureKeyPaths.ecP256PrivatePem);
  const publicPem = read(fixtureKeyPaths.ecP256PublicPem);
  expectConfigError(t, () => loadPrivateKey(privatePem, 'ec'), /key \(ec\) is ec, expected RSA/, privatePem);
  expectConfigError(t, () => loadPublicKey(publicPem, 'ec'), /key \(ec\) is ec, expected RSA/, publicPem);
  expectConfigError(t, () => loadPrivateKeyFile(fixtureKeyPaths.ecP256PrivatePem), /expected RSA/, privatePem);
});

test('RSA 1024 key → KeyConfigurationError stating the size and the 2048-bit minimum', (t) => {
  const privatePem = read(fixtureKeyPaths.rsa1024PrivatePem);
  const publicPem = read(fixtureKeyPaths.rsa1024PublicPem);
  expectConfigError(t, () => loadPrivateKey(privatePem, 'short'), /RSA key \(short\) has 1024 bits, at least 2048 required/, privatePem);
  expectConfigError(t, () => loadPublicKey(publicPem, 'short'), /has 1024 bits, at least 2048 required/, publicPem);
});

test('missing or unreadable key file → KeyConfigurationError naming the path and the reason', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'antom-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.pem');
  expectConfigError(t, () => loadPrivateKeyFile(missing), new RegExp(`key file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read \\(ENOENT\\)`));
  expectConfigError(t, () => loadPublicKeyFile(dir), /cannot be read \(EISDIR\)/);
});

test('a key file with garbage content names the file in the error', (t) => {
  const path = fixtureKeyPaths.malformedPrivatePem;
  expectConfigError(t, () => loadPrivateKeyFile(path), new RegExp(`private key \\(${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) could not be parsed`));
});
