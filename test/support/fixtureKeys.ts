/**
 * The committed test-only keys (test/fixtures/keys/README.md): file paths for tests that exercise file loading or
 * shell out to openssl, and KeyObjects parsed once for everything else.
 */
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { loadPrivateKeyFile, loadPublicKeyFile } from '../../src/antom/keys';

export const FIXTURE_KEYS_DIR = join(__dirname, '..', 'fixtures', 'keys');

const fixture = (name: string): string => join(FIXTURE_KEYS_DIR, name);

export const fixtureKeyPaths = {
  merchantPrivatePkcs8Pem: fixture('merchant-private.pkcs8.pem'),
  merchantPrivatePkcs1Pem: fixture('merchant-private.pkcs1.pem'),
  merchantPrivatePkcs8Base64: fixture('merchant-private.pkcs8.base64.txt'),
  merchantPrivatePkcs1Base64: fixture('merchant-private.pkcs1.base64.txt'),
  merchantPublicPem: fixture('merchant-public.pem'),
  merchantPublicBase64: fixture('merchant-public.base64.txt'),
  merchantPublicPkcs1Pem: fixture('merchant-public.pkcs1.pem'),
  antomPrivatePem: fixture('antom-private.pem'),
  antomPublicPem: fixture('antom-public.pem'),
  merchantPrivateV2Pem: fixture('merchant-private.v2.pem'),
  merchantPublicV2Pem: fixture('merchant-public.v2.pem'),
  antomPrivateV2Pem: fixture('antom-private.v2.pem'),
  antomPublicV2Pem: fixture('antom-public.v2.pem'),
  unrelatedPrivatePem: fixture('unrelated-private.pem'),
  unrelatedPublicPem: fixture('unrelated-public.pem'),
  ecP256PrivatePem: fixture('ec-p256-private.pem'),
  ecP256PublicPem: fixture('ec-p256-public.pem'),
  rsa1024PrivatePem: fixture('rsa1024-private.pem'),
  rsa1024PublicPem: fixture('rsa1024-public.pem'),
  malformedPrivatePem: fixture('malformed-private.pem'),
  truncatedPrivatePem: fixture('truncated-private.pem'),
} as const;

export interface FixtureKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** The merchant's pair: the merchant signs requests with the private key; Antom would verify with the public one. */
export const merchantKeys: FixtureKeyPair = {
  privateKey: loadPrivateKeyFile(fixtureKeyPaths.merchantPrivatePkcs8Pem),
  publicKey: loadPublicKeyFile(fixtureKeyPaths.merchantPublicPem),
};

/** The "Antom" (sandbox) pair: responses and notifications are signed with it; clients verify with the public one. */
export const antomKeys: FixtureKeyPair = {
  privateKey: loadPrivateKeyFile(fixtureKeyPaths.antomPrivatePem),
  publicKey: loadPublicKeyFile(fixtureKeyPaths.antomPublicPem),
};

/** The merchant's second pair (keyVersion "2" in the rotation tests). */
export const merchantKeysV2: FixtureKeyPair = {
  privateKey: loadPrivateKeyFile(fixtureKeyPaths.merchantPrivateV2Pem),
  publicKey: loadPublicKeyFile(fixtureKeyPaths.merchantPublicV2Pem),
};

/** Antom's (the sandbox's) second pair (keyVersion "2" in the rotation tests). */
export const antomKeysV2: FixtureKeyPair = {
  privateKey: loadPrivateKeyFile(fixtureKeyPaths.antomPrivateV2Pem),
  publicKey: loadPublicKeyFile(fixtureKeyPaths.antomPublicV2Pem),
};

/** A pair related to nothing else, for wrong-key tests. */
export const unrelatedKeys: FixtureKeyPair = {
  privateKey: loadPrivateKeyFile(fixtureKeyPaths.unrelatedPrivatePem),
  publicKey: loadPublicKeyFile(fixtureKeyPaths.unrelatedPublicPem),
};
