import test from 'ava';
import { CodecRequestError, decodeCodecRequest, encodeCodecRequest } from '../../src/codec/codecEndpoint';
import { EncryptionCodec } from '../../src/codec/encryptionCodec';
import { UnknownEncryptionKeyError, generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';

const codec = new EncryptionCodec(parseKeyRingSpec(`k1:${generateEncryptionKey()}`));
const b64 = (s: string) => Buffer.from(s).toString('base64');
const plainBody = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"accessToken":"TOK-55"}') }] };

test('encode then decode the UI JSON form round-trips', async (t) => {
  const encoded = await encodeCodecRequest(codec, plainBody);
  t.is(encoded.payloads.length, 1);
  t.is(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
  t.false(Buffer.from(encoded.payloads[0]!.data, 'base64').includes('TOK-55'));
  t.deepEqual(await decodeCodecRequest(codec, encoded), plainBody);
});

test('a payload without data (an undefined value: binary/null) round-trips; it used to crash decode with a 500', async (t) => {
  // What the workflow writes for a void result or an empty signal input, as the Temporal UI sends it back to decode.
  const empty = { payloads: [{ metadata: { encoding: b64('binary/null') }, data: '' }] };
  const encoded = await encodeCodecRequest(codec, empty);
  t.deepEqual(await decodeCodecRequest(codec, encoded), empty);
});

test('malformed bodies are CodecRequestErrors naming the problem', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /body must be/],
    [{ payloads: 'x' }, /body must be/],
    [{ payloads: [5] }, /payloads\[0\] must be an object/],
    [{ payloads: [{ metadata: [], data: '' }] }, /payloads\[0\]\.metadata must be an object/],
    [{ payloads: [{ metadata: { encoding: '%%%' }, data: '' }] }, /payloads\[0\]\.metadata\.encoding must be a base64 string/],
    [{ payloads: [{ metadata: {}, data: 7 }] }, /payloads\[0\]\.data must be a base64 string/],
  ];
  for (const [body, message] of cases) {
    await t.throwsAsync(decodeCodecRequest(codec, body), { instanceOf: CodecRequestError, message });
  }
});

test('a payload from an unknown key surfaces the key id error for the route to map', async (t) => {
  const other = new EncryptionCodec(parseKeyRingSpec(`k9:${generateEncryptionKey()}`));
  const encoded = await encodeCodecRequest(other, plainBody);
  await t.throwsAsync(decodeCodecRequest(codec, encoded), { instanceOf: UnknownEncryptionKeyError, message: /"k9"/ });
});
