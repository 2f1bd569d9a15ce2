import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KeyRing, KeyRingConfigError, UnknownEncryptionKeyError, generateEncryptionKey, loadKeyRingFile, parseKeyRingSpec } from '../../src/codec/keyRing';

const keyA = generateEncryptionKey();
const keyB = generateEncryptionKey();

test('spec list: first key is current, all keys are known', (t) => {
  const ring = parseKeyRingSpec(`k2:${keyB}, k1:${keyA}`);
  t.is(ring.currentKeyId, 'k2');
  t.deepEqual(ring.keyIds, ['k2', 'k1']);
  t.deepEqual(ring.key('k1'), Buffer.from(keyA, 'base64'));
});

test('spec accepts newline separated entries, an array, and an explicit current key id', (t) => {
  t.deepEqual(parseKeyRingSpec(`k1:${keyA}\nk2:${keyB}\n`).keyIds, ['k1', 'k2']);
  t.is(parseKeyRingSpec([`k1:${keyA}`, `k2:${keyB}`], 'k2').currentKeyId, 'k2');
});

test('malformed specs fail with a clear error that never contains key material', (t) => {
  const short = Buffer.alloc(16, 1).toString('base64');
  const cases: Array<[string, RegExp]> = [
    [`k1:${short}`, /key "k1": the key must decode to 32 bytes, got 16/],
    ['k1:not*base64!', /key "k1": the key is not valid base64/],
    [`k1:${keyA},k1:${keyB}`, /key "k1": duplicate key id/],
    [keyA, /key #1: expected "id:base64key"/],
    [`bad id:${keyA}`, /expected "id:base64key"|key id/],
    ['', /no encryption keys configured/],
  ];
  for (const [spec, message] of cases) {
    const error = t.throws(() => parseKeyRingSpec(spec), { instanceOf: KeyRingConfigError });
    t.regex(error.message, message, spec);
    t.false(error.message.includes(keyA) || error.message.includes(keyB), 'no key material in the message');
  }
  t.throws(() => parseKeyRingSpec(`k1:${keyA}`, 'k9'), { message: /current key id "k9" is not in the key ring/ });
  t.throws(() => new KeyRing([{ id: 'x:y', key: Buffer.alloc(32) }]), { message: /key id must be/ });
});

test('unknown key id error names the id', (t) => {
  const ring = parseKeyRingSpec(`k1:${keyA}`);
  const error = t.throws(() => ring.key('old-7'), { instanceOf: UnknownEncryptionKeyError });
  t.is(error.keyId, 'old-7');
  t.regex(error.message, /"old-7"/);
});

test('inspect and JSON show key ids only', (t) => {
  const ring = parseKeyRingSpec(`k1:${keyA}`);
  const rawHex = Buffer.from(keyA, 'base64').toString('hex');
  for (const shown of [inspect(ring), JSON.stringify(ring), String(inspect({ nested: ring }, { depth: 5 }))]) {
    t.false(shown.includes(keyA));
    t.false(shown.includes(rawHex));
    t.true(shown.includes('k1'));
  }
});

test('key files: JSON form and text form; errors name the file and entry', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'antom-keys-'));
  const jsonPath = join(dir, 'keys.json');
  writeFileSync(jsonPath, JSON.stringify({ currentKeyId: 'k2', keys: [{ id: 'k1', key: keyA }, { id: 'k2', key: keyB }] }));
  const ring = loadKeyRingFile(jsonPath);
  t.is(ring.currentKeyId, 'k2');
  t.deepEqual(ring.keyIds, ['k2', 'k1']);

  const textPath = join(dir, 'keys.txt');
  writeFileSync(textPath, `# current first\nk3:${keyA}\n`);
  t.is(loadKeyRingFile(textPath).currentKeyId, 'k3');

  const badPath = join(dir, 'bad.json');
  writeFileSync(badPath, JSON.stringify({ keys: [{ id: 'k1', key: keyA }, { id: 'k1', key: keyB }] }));
  t.throws(() => loadKeyRingFile(badPath), { instanceOf: KeyRingConfigError, message: /duplicate key id/ });
  writeFileSync(badPath, '{ not json');
  t.throws(() => loadKeyRingFile(badPath), { message: /not valid JSON/ });
  t.throws(() => loadKeyRingFile(join(dir, 'missing.json')), { message: /cannot read the encryption key file .*missing\.json \(ENOENT\)/ });
});
