import test from 'ava';
import fc from 'fast-check';
import { defaultPayloadConverter } from '@temporalio/common';
import { DecryptionFailedError } from '../../src/codec/aesGcm';
import { ENCRYPTED_ENCODING, ENCRYPTION_KEY_ID_METADATA, EncryptedPayloadError, EncryptionCodec } from '../../src/codec/encryptionCodec';
import { UnknownEncryptionKeyError, generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';

const oldKey = generateEncryptionKey();
const newKey = generateEncryptionKey();
const oldRing = parseKeyRingSpec(`old:${oldKey}`);
const rotatedRing = parseKeyRingSpec(`new:${newKey},old:${oldKey}`);
const token = 'ACCESS-TOKEN-2d9c1f0e7b';

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

test('round trip restores the exact payload; the wire form holds no plaintext', async (t) => {
  const codec = new EncryptionCodec(oldRing);
  const original = defaultPayloadConverter.toPayload({ accessToken: token, refreshToken: 'REFRESH-1' });
  const [encoded] = await codec.encode([original]);
  t.is(text(encoded!.metadata!.encoding), ENCRYPTED_ENCODING);
  t.is(text(encoded!.metadata![ENCRYPTION_KEY_ID_METADATA]), 'old');
  t.false(Buffer.from(encoded!.data!).includes(token));
  t.false(Buffer.from(encoded!.data!).includes('json/plain'), 'the inner metadata is encrypted too');
  const [decoded] = await codec.decode([encoded!]);
  t.deepEqual(defaultPayloadConverter.fromPayload(decoded!), { accessToken: token, refreshToken: 'REFRESH-1' });
});

test('round trip property: any payloads, any count', async (t) => {
  const codec = new EncryptionCodec(rotatedRing);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ metadata: fc.dictionary(fc.string({ minLength: 1 }), fc.uint8Array()), data: fc.uint8Array() }), { maxLength: 5 }),
      async (payloads) => {
        const decoded = await codec.decode(await codec.encode(payloads));
        t.is(decoded.length, payloads.length);
        decoded.forEach((payload, i) => {
          t.deepEqual(Buffer.from(payload.data ?? []), Buffer.from(payloads[i]!.data));
          t.deepEqual(Object.keys(payload.metadata ?? {}).sort(), Object.keys(payloads[i]!.metadata).sort());
          for (const [k, v] of Object.entries(payloads[i]!.metadata)) t.deepEqual(Buffer.from(payload.metadata![k]!), Buffer.from(v));
        });
      },
    ),
    { numRuns: 100 },
  );
});

test('rotation: the new key encrypts, the old key still decrypts', async (t) => {
  const [written] = await new EncryptionCodec(oldRing).encode([defaultPayloadConverter.toPayload(token)]);
  const rotated = new EncryptionCodec(rotatedRing);
  t.is(defaultPayloadConverter.fromPayload((await rotated.decode([written!]))[0]!), token);
  const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(token)]);
  t.is(text(fresh!.metadata![ENCRYPTION_KEY_ID_METADATA]), 'new');
});

test('unknown key id: clear error naming the id, never the data', async (t) => {
  const [written] = await new EncryptionCodec(rotatedRing).encode([defaultPayloadConverter.toPayload(token)]);
  const error = await t.throwsAsync(new EncryptionCodec(oldRing).decode([written!]), { instanceOf: UnknownEncryptionKeyError });
  t.regex(error.message, /key id "new"/);
  t.false(error.message.includes(token));
});

test('tampering with data, key id or truncation is detected', async (t) => {
  const codec = new EncryptionCodec(rotatedRing);
  const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(token)]);
  const flipped = Buffer.from(encoded!.data!);
  flipped[20] = flipped[20]! ^ 1;
  await t.throwsAsync(codec.decode([{ ...encoded!, data: flipped }]), { instanceOf: DecryptionFailedError, message: /key id "new"/ });
  await t.throwsAsync(codec.decode([{ ...encoded!, data: Buffer.from(encoded!.data!).subarray(0, 10) }]), { instanceOf: DecryptionFailedError });
  const otherKeyId = { ...encoded!.metadata!, [ENCRYPTION_KEY_ID_METADATA]: Buffer.from('old') };
  await t.throwsAsync(codec.decode([{ metadata: otherKeyId, data: encoded!.data! }]), { instanceOf: DecryptionFailedError });
  const noKeyId = { encoding: encoded!.metadata!.encoding! };
  await t.throwsAsync(codec.decode([{ metadata: noKeyId, data: encoded!.data! }]), { instanceOf: EncryptedPayloadError });
});

test('payloads that were never encrypted pass through decode unchanged', async (t) => {
  const plain = defaultPayloadConverter.toPayload({ legacy: true });
  const [decoded] = await new EncryptionCodec(oldRing).decode([plain]);
  t.is(decoded, plain);
});
