/**
 * Keys by keyVersion (issue 13 §2): verification picks the key the header names, tries every key for a header that
 * names none, refuses unknown versions before any signature check; the configured key files are validated at
 * start-up with one problem per bad entry, naming the variable and keyVersion, never key material.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { formatSignatureHeader } from '../../src/antom/signatureHeader';
import { AntomKeySetError, loadAntomKeySet, verifyWithKeys } from '../../src/antom/signatureKeys';
import { signParts } from '../../src/antom/signing';
import { ConfigError, loadConfig } from '../../src/config';
import { antomKeys, antomKeysV2, fixtureKeyPaths } from '../support/fixtureKeys';

const parts = { path: '/ams/api/v1/authorizations/applyToken', clientId: 'SANDBOX_M', time: '2026-01-01T00:00:00+08:00', body: '{"a":1}' };
const both = new Map([['1', antomKeys.publicKey], ['2', antomKeysV2.publicKey]]);

test('a header naming a keyVersion is verified with that version\'s key only', (t) => {
  const byV2 = signParts(antomKeysV2.privateKey, parts);
  t.deepEqual(verifyWithKeys(both, formatSignatureHeader({ signature: byV2, keyVersion: '2' }), parts), { ok: true, keyVersion: '2' });
  const misnamed = verifyWithKeys(both, formatSignatureHeader({ signature: byV2, keyVersion: '1' }), parts);
  t.false(misnamed.ok, 'key 2 signature claimed as version 1 is not tried with key 2');
  t.is(!misnamed.ok && misnamed.problem, 'bad-signature');
});

test('an unknown keyVersion or another algorithm is refused before any signature check, naming what is accepted', (t) => {
  const signature = signParts(antomKeys.privateKey, parts);
  const unknown = verifyWithKeys(both, formatSignatureHeader({ signature, keyVersion: '3' }), parts);
  t.like(unknown, { ok: false, problem: 'unknown-key-version' });
  t.regex(!unknown.ok ? unknown.message : '', /"1", "2"/);
  t.like(verifyWithKeys(both, formatSignatureHeader({ signature, algorithm: 'NONE' }), parts), { ok: false, problem: 'unsupported-algorithm' });
  t.like(verifyWithKeys(both, 'algorithm=RSA256', parts), { ok: false, problem: 'malformed-header' });
});

test('a header naming no keyVersion is tried with every key (the overlap: "the latest version" is either)', (t) => {
  for (const [version, pair] of [['1', antomKeys], ['2', antomKeysV2]] as const) {
    const header = `algorithm=RSA256,signature=${signParts(pair.privateKey, parts)}`;
    t.deepEqual(verifyWithKeys(both, header, parts), { ok: true, keyVersion: version });
  }
  const tampered = `algorithm=RSA256,signature=${signParts(antomKeys.privateKey, parts)}`;
  t.like(verifyWithKeys(both, tampered, { ...parts, body: '{"a":2}' }), { ok: false, problem: 'bad-signature' });
});

const antomEnv = { ANTOM_BASE_URL: 'https://open-sea-global.alipay.com', ANTOM_CLIENT_ID: 'SANDBOX_M' };

test('config: ANTOM_PRIVATE_KEYS / ANTOM_PUBLIC_KEYS lists; the highest version signs unless ANTOM_SIGNING_KEY_VERSION says otherwise', (t) => {
  const lists = {
    ...antomEnv,
    ANTOM_PRIVATE_KEYS: `1:${fixtureKeyPaths.merchantPrivatePkcs8Pem},2:${fixtureKeyPaths.merchantPrivateV2Pem}`,
    ANTOM_PUBLIC_KEYS: `1:${fixtureKeyPaths.antomPublicPem}, 2:${fixtureKeyPaths.antomPublicV2Pem}`,
  };
  const keys = loadConfig(lists).antom!.keys;
  t.is(keys.signingKeyVersion, '2');
  t.deepEqual(keys.privateKeys.map((k) => k.keyVersion), ['1', '2']);
  t.deepEqual(keys.publicKeys.map((k) => k.keyVersion), ['1', '2']);
  t.is(loadConfig({ ...lists, ANTOM_SIGNING_KEY_VERSION: '1' }).antom!.keys.signingKeyVersion, '1');
  const set = loadAntomKeySet(keys);
  t.is(set.signing.keyVersion, '2');
  t.deepEqual([...set.antomPublicKeys.keys()], ['1', '2']);
  // The single-key variables still work: version "1" (or ANTOM_SIGNING_KEY_VERSION for the private key).
  const single = loadConfig({ ...antomEnv, ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem, ANTOM_PUBLIC_KEY_FILE: fixtureKeyPaths.antomPublicPem });
  t.deepEqual(single.antom!.keys.privateKeys.map((k) => [k.variable, k.keyVersion]), [['ANTOM_PRIVATE_KEY_FILE', '1']]);
  t.is(loadAntomKeySet(single.antom!.keys).signing.keyVersion, '1');
});

test('config: bad lists, a signing version that is not configured, and both forms at once are refused naming the variable', (t) => {
  const error = t.throws(
    () =>
      loadConfig({
        ...antomEnv,
        ANTOM_PRIVATE_KEYS: `1:${fixtureKeyPaths.merchantPrivatePkcs8Pem},nopath,1:/x.pem`,
        ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem,
        ANTOM_PUBLIC_KEYS: `1:${fixtureKeyPaths.antomPublicPem}`,
        ANTOM_SIGNING_KEY_VERSION: '7',
      }),
    { instanceOf: ConfigError },
  );
  t.deepEqual(error!.problems, [
    'ANTOM_PRIVATE_KEYS: set either ANTOM_PRIVATE_KEYS or ANTOM_PRIVATE_KEY_FILE, not both',
    'ANTOM_PRIVATE_KEYS: entry #2 must be version:path (version of A-Z a-z 0-9 _ . -)',
    'ANTOM_PRIVATE_KEYS: keyVersion 1 is listed twice',
    'ANTOM_SIGNING_KEY_VERSION: keyVersion 7 is not among the keys of ANTOM_PRIVATE_KEYS (it lists 1)',
  ]);
});

test('start-up validation: every key file is parsed, each problem names the variable and keyVersion, never key material', (t) => {
  const config = loadConfig({
    ...antomEnv,
    ANTOM_PRIVATE_KEYS: `1:${fixtureKeyPaths.merchantPrivatePkcs8Pem},2:${fixtureKeyPaths.antomPublicPem}`,
    ANTOM_PUBLIC_KEYS: `1:${fixtureKeyPaths.antomPublicPem},2:/nonexistent/antom-2.pem,3:${fixtureKeyPaths.rsa1024PublicPem}`,
  });
  const error = t.throws(() => loadAntomKeySet(config.antom!.keys), { instanceOf: AntomKeySetError });
  t.is(error!.problems.length, 3);
  t.regex(error!.problems[0]!, /^ANTOM_PRIVATE_KEYS: keyVersion 2: /);
  t.is(error!.problems[1], 'ANTOM_PUBLIC_KEYS: keyVersion 2: key file /nonexistent/antom-2.pem cannot be read (ENOENT)');
  t.regex(error!.problems[2]!, /^ANTOM_PUBLIC_KEYS: keyVersion 3: RSA key .* has 1024 bits/);
  const material = readFileSync(fixtureKeyPaths.antomPublicPem, 'utf8').split('\n')[1]!;
  t.false(error!.message.includes(material), 'no key material in the message');
});
