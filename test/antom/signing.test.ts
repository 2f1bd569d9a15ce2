import test from 'ava';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signParts, stringToSign, verifyParts, type SignedParts } from '../../src/antom/signing';
import { formatSignatureHeader, parseSignatureHeader } from '../../src/antom/signatureHeader';
import { antomKeys, fixtureKeyPaths, merchantKeys, unrelatedKeys } from '../support/fixtureKeys';

// ---------- independent helpers (deliberately not using the code under test) ----------

/** The string to sign, spelled out from antom-api.md §2 as bytes, independent of stringToSign(). */
function expectedBytes(path: string, clientId: string, time: string, body: string): Buffer {
  return Buffer.concat([
    Buffer.from('POST ', 'ascii'),
    Buffer.from(path, 'utf8'),
    Buffer.from([0x0a]),
    Buffer.from(clientId, 'utf8'),
    Buffer.from([0x2e]),
    Buffer.from(time, 'utf8'),
    Buffer.from([0x2e]),
    Buffer.from(body, 'utf8'),
  ]);
}

/** Base64 → header value by explicit substitution of the three non-URL-safe characters (what the SDKs produce). */
const urlEncodeBase64 = (base64: string): string =>
  base64.replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
const urlDecodeBase64 = (encoded: string): string =>
  encoded.replace(/%2B/gi, '+').replace(/%2F/gi, '/').replace(/%3D/gi, '=');

const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
const opensslTest = opensslAvailable ? test : test.skip;

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'antom-signing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `openssl dgst -sha256 -verify`: true on "Verified OK" (exit 0), false on "Verification failure" (exit 1). */
function opensslVerifies(dir: string, publicKeyPath: string, message: Buffer, signature: Buffer): boolean {
  const messagePath = join(dir, `msg-${Math.random().toString(36).slice(2)}.txt`);
  const signaturePath = `${messagePath}.sig`;
  writeFileSync(messagePath, message);
  writeFileSync(signaturePath, signature);
  const result = spawnSync('openssl', ['dgst', '-sha256', '-verify', publicKeyPath, '-signature', signaturePath, messagePath], { encoding: 'utf8' });
  if (result.status === 0 && /Verified OK/.test(result.stdout)) return true;
  if (result.status === 1 && /Verification failure/i.test(result.stdout + result.stderr)) return false;
  throw new Error(`openssl dgst -verify failed unexpectedly: ${result.status} ${result.stdout} ${result.stderr}`);
}

/** `openssl dgst -sha256 -sign`: the raw signature bytes. */
function opensslSign(dir: string, privateKeyPath: string, message: Buffer): Buffer {
  const messagePath = join(dir, `msg-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(messagePath, message);
  return execFileSync('openssl', ['dgst', '-sha256', '-sign', privateKeyPath, messagePath]);
}

const applyTokenRequest: SignedParts = {
  path: '/ams/api/v1/authorizations/applyToken',
  clientId: 'SANDBOX_5YBX2N2ZQWQB01234',
  time: '1735689600000',
  body: '{"grantType":"AUTHORIZATION_CODE","authCode":"663A8FA9-D836-48EE-8AA1-1FF682989DC7","customerBelongsTo":"ALIPAY_CN","merchantRegion":"SG","note":"café 中文 😀"}',
};

// ---------- known answer ----------

test('stringToSign: exact bytes for a path with a query string and a unicode body', (t) => {
  const parts: SignedParts = {
    path: '/aps/api/v1/authorizations/prepare?lang=en&debug=1',
    clientId: 'client.id',
    time: '2019-05-28T12:12:12+08:00',
    body: '{"x":"é中😀"}',
  };
  const expected = Buffer.concat([
    Buffer.from('POST /aps/api/v1/authorizations/prepare?lang=en&debug=1\nclient.id.2019-05-28T12:12:12+08:00.{"x":"', 'ascii'),
    Buffer.from([0xc3, 0xa9]), // é
    Buffer.from([0xe4, 0xb8, 0xad]), // 中
    Buffer.from([0xf0, 0x9f, 0x98, 0x80]), // 😀
    Buffer.from('"}', 'ascii'),
  ]);
  t.deepEqual(Buffer.from(stringToSign(parts), 'utf8'), expected);
});

test('stringToSign: the method defaults to POST and an empty body keeps the trailing dot', (t) => {
  t.is(stringToSign({ path: '/p', clientId: 'c', time: '1', body: '' }), 'POST /p\nc.1.');
  t.is(stringToSign({ method: 'GET', path: '/p', clientId: 'c', time: '1', body: 'b' }), 'GET /p\nc.1.b');
});

test('signParts output is URL-encoded base64 of a 256-byte RSA-2048 signature', (t) => {
  const value = signParts(merchantKeys.privateKey, applyTokenRequest);
  t.regex(value, /^[A-Za-z0-9%]+$/, 'no raw +, / or = may reach the header');
  const raw = Buffer.from(urlDecodeBase64(value), 'base64');
  t.is(raw.length, 256);
});

// ---------- interop with the openssl CLI ----------

opensslTest('interop: our signature verifies with `openssl dgst -sha256 -verify`, and a tampered message does not', (t) => {
  const dir = tempDir(t);
  const value = signParts(merchantKeys.privateKey, applyTokenRequest);
  const signature = Buffer.from(urlDecodeBase64(value), 'base64');
  const { path, clientId, time, body } = applyTokenRequest;
  t.true(opensslVerifies(dir, fixtureKeyPaths.merchantPublicPem, expectedBytes(path, clientId, time, body), signature));
  t.false(opensslVerifies(dir, fixtureKeyPaths.merchantPublicPem, expectedBytes(path, clientId, time, body + ' '), signature));
  t.false(opensslVerifies(dir, fixtureKeyPaths.unrelatedPublicPem, expectedBytes(path, clientId, time, body), signature));
});

opensslTest('interop: a signature from `openssl dgst -sha256 -sign` verifies in ours (PKCS#8 and PKCS#1 key files)', (t) => {
  const dir = tempDir(t);
  const { path, clientId, time, body } = applyTokenRequest;
  for (const keyPath of [fixtureKeyPaths.merchantPrivatePkcs8Pem, fixtureKeyPaths.merchantPrivatePkcs1Pem]) {
    const signature = opensslSign(dir, keyPath, expectedBytes(path, clientId, time, body));
    const headerValue = urlEncodeBase64(signature.toString('base64'));
    t.true(verifyParts(merchantKeys.publicKey, applyTokenRequest, headerValue));
    t.false(verifyParts(unrelatedKeys.publicKey, applyTokenRequest, headerValue));
    t.false(verifyParts(merchantKeys.publicKey, { ...applyTokenRequest, time: '1735689600001' }, headerValue));
  }
});

opensslTest('interop: PKCS#1 v1.5 is deterministic, so our signature equals openssl\'s byte for byte', (t) => {
  const dir = tempDir(t);
  const { path, clientId, time, body } = applyTokenRequest;
  const ours = Buffer.from(urlDecodeBase64(signParts(merchantKeys.privateKey, applyTokenRequest)), 'base64');
  const theirs = opensslSign(dir, fixtureKeyPaths.merchantPrivatePkcs8Pem, expectedBytes(path, clientId, time, body));
  t.deepEqual(ours, theirs);
});

opensslTest('interop property: arbitrary unicode bodies and paths agree with openssl in both directions', (t) => {
  const dir = tempDir(t);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }), (body, query) => {
      const parts: SignedParts = { path: `/ams/api/v1/authorizations/consult?${query}`, clientId: 'SANDBOX_1', time: '1700000000000', body };
      const message = expectedBytes(parts.path, parts.clientId, parts.time, body);
      const ours = Buffer.from(urlDecodeBase64(signParts(antomKeys.privateKey, parts)), 'base64');
      const theirs = opensslSign(dir, fixtureKeyPaths.antomPrivatePem, message);
      return opensslVerifies(dir, fixtureKeyPaths.antomPublicPem, message, ours)
        && verifyParts(antomKeys.publicKey, parts, urlEncodeBase64(theirs.toString('base64')));
    }),
    { numRuns: 15 },
  );
  t.pass();
});

// ---------- properties ----------

const partsArbitrary: fc.Arbitrary<SignedParts> = fc.record({
  path: fc.string({ unit: 'binary', maxLength: 60 }).map((rest) => `/ams/api/v1/${rest}`),
  clientId: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  time: fc.oneof(fc.nat().map(String), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 })),
  body: fc.string({ unit: 'binary', maxLength: 2000 }),
});

test('property: sign/verify round trip for arbitrary (unicode) bodies, paths, client ids and times', (t) => {
  fc.assert(
    fc.property(partsArbitrary, (parts) => {
      const value = signParts(merchantKeys.privateKey, parts);
      return verifyParts(merchantKeys.publicKey, parts, value) && !verifyParts(unrelatedKeys.publicKey, parts, value);
    }),
    { numRuns: 150 },
  );
  t.pass();
});

type Field = 'path' | 'clientId' | 'time' | 'body';

/** One edit of one code point: replace it with a different one, insert one, or delete one. */
const codePointEdit = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete'),
  position: fc.nat(),
  codePoint: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
});

function applyEdit(value: string, edit: { kind: string; position: number; codePoint: string }): string | undefined {
  const codePoints = Array.from(value);
  if (edit.kind === 'insert') {
    codePoints.splice(edit.position % (codePoints.length + 1), 0, edit.codePoint);
    return codePoints.join('');
  }
  if (codePoints.length === 0) return undefined;
  const index = edit.position % codePoints.length;
  if (edit.kind === 'delete') codePoints.splice(index, 1);
  else if (codePoints[index] === edit.codePoint) return undefined;
  else codePoints[index] = edit.codePoint;
  return codePoints.join('');
}

test('property: any single-character change to body, path, client-id or time fails verification', (t) => {
  fc.assert(
    fc.property(partsArbitrary, fc.constantFrom<Field>('path', 'clientId', 'time', 'body'), codePointEdit, (parts, field, edit) => {
      const edited = applyEdit(parts[field], edit);
      fc.pre(edited !== undefined);
      const value = signParts(merchantKeys.privateKey, parts);
      return !verifyParts(merchantKeys.publicKey, { ...parts, [field]: edited }, value);
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('property: any single-byte change to the body bytes on the wire fails verification', (t) => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1000 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (body, position, mask) => {
        const parts: SignedParts = { ...applyTokenRequest, body };
        const value = signParts(merchantKeys.privateKey, parts);
        const wire = Buffer.from(body, 'utf8');
        const index = position % wire.length;
        wire[index] = wire[index]! ^ mask;
        // A verifier sees the body as decoded text. A flip that decodes back to the very same text (only possible
        // around U+FFFD) is not a change the application could observe, so it is not a counterexample.
        const received = wire.toString('utf8');
        fc.pre(received !== body);
        return !verifyParts(merchantKeys.publicKey, { ...parts, body: received }, value);
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

const headerToken = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
const signatureValue = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => encodeURIComponent(Buffer.from(bytes).toString('base64')));

test('property: parseSignatureHeader ∘ formatSignatureHeader = identity (arbitrary keyVersion and algorithm)', (t) => {
  fc.assert(
    fc.property(headerToken, fc.oneof(fc.nat().map(String), headerToken), signatureValue, (algorithm, keyVersion, signature) => {
      const header = { algorithm, keyVersion, signature };
      t.deepEqual(parseSignatureHeader(formatSignatureHeader(header)), header);
    }),
    { numRuns: 200 },
  );
});

test('property: parsing is lenient about spaces after commas (Antom docs) versus none (SDKs)', (t) => {
  fc.assert(
    fc.property(
      headerToken,
      fc.oneof(fc.nat().map(String), headerToken),
      signatureValue,
      fc.constantFrom(',', ', ', ' ,', ',  ', ',\t'),
      (algorithm, keyVersion, signature, separator) => {
        const header = `algorithm=${algorithm}${separator}keyVersion=${keyVersion}${separator}signature=${signature}`;
        t.deepEqual(parseSignatureHeader(header), { algorithm, keyVersion, signature });
      },
    ),
    { numRuns: 200 },
  );
});

test('property: the parameters parse in any order (issue 15: nothing fixes their order)', (t) => {
  fc.assert(
    fc.property(
      headerToken,
      fc.oneof(fc.nat().map(String), headerToken),
      signatureValue,
      fc.constantFrom(',', ', '),
      fc.nat(5),
      (algorithm, keyVersion, signature, separator, rotation) => {
        const parameters = [`algorithm=${algorithm}`, `keyVersion=${keyVersion}`, `signature=${signature}`];
        const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        const header = (orders[rotation] ?? [0, 1, 2]).map((index) => parameters[index]).join(separator);
        t.deepEqual(parseSignatureHeader(header), { algorithm, keyVersion, signature }, header);
      },
    ),
    { numRuns: 200 },
  );
});

test('signature header: signature first, names in any case, a repeated parameter is ambiguous and rejected', (t) => {
  t.deepEqual(parseSignatureHeader('signature=KEh%2B%3D,keyVersion=2,algorithm=RSA256'), { algorithm: 'RSA256', keyVersion: '2', signature: 'KEh%2B%3D' });
  t.deepEqual(parseSignatureHeader('Signature=abc, KeyVersion=3'), { algorithm: 'RSA256', keyVersion: '3', signature: 'abc' });
  t.deepEqual(parseSignatureHeader('signature=abc==,keyVersion=1'), { algorithm: 'RSA256', keyVersion: '1', signature: 'abc==' }, 'a raw = inside the value is kept');
  t.is(parseSignatureHeader('signature=abc,signature=def'), undefined);
  t.is(parseSignatureHeader('keyVersion=1,signature=abc,keyVersion=2'), undefined);
});

test('signature header: defaults, documented example forms, and unusable headers', (t) => {
  t.is(formatSignatureHeader({ signature: 'abc%3D' }), 'algorithm=RSA256,keyVersion=1,signature=abc%3D');
  t.deepEqual(parseSignatureHeader('algorithm=RSA256, keyVersion=2, signature=KEh%2B%2F%3D'), {
    algorithm: 'RSA256',
    keyVersion: '2',
    signature: 'KEh%2B%2F%3D',
  });
  t.deepEqual(parseSignatureHeader('signature=abc'), { algorithm: 'RSA256', keyVersion: '1', signature: 'abc' });
  for (const unusable of [undefined, null, '', 'algorithm=RSA256,keyVersion=1', 'algorithm=RSA256,keyVersion=1,signature=', 'algorithm=RSA256,xsignature=abc']) {
    t.is(parseSignatureHeader(unusable), undefined, String(unusable));
  }
});

test('a full header made by format() verifies after parse() (what transport does with a response)', (t) => {
  const header = formatSignatureHeader({ signature: signParts(antomKeys.privateKey, applyTokenRequest) });
  const parsed = parseSignatureHeader(header.replace(/,/g, ', '));
  t.truthy(parsed);
  t.true(verifyParts(antomKeys.publicKey, applyTokenRequest, parsed!.signature));
  t.false(verifyParts(merchantKeys.publicKey, applyTokenRequest, parsed!.signature));
});

test('verifyParts accepts the signature whether or not it was URL-encoded, but not form-decoded (+ → space)', (t) => {
  const encoded = signParts(merchantKeys.privateKey, applyTokenRequest);
  const base64 = decodeURIComponent(encoded);
  t.true(verifyParts(merchantKeys.publicKey, applyTokenRequest, encoded));
  t.true(verifyParts(merchantKeys.publicKey, applyTokenRequest, base64));
  if (base64.includes('+')) t.false(verifyParts(merchantKeys.publicKey, applyTokenRequest, base64.replace(/\+/g, ' ')));
});

test('property: verifyParts never throws on garbage signatures; it returns false', (t) => {
  const garbage = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.string({ unit: 'binary-ascii', maxLength: 400 }),
    fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    fc.uint8Array({ minLength: 256, maxLength: 256 }).map((bytes) => encodeURIComponent(Buffer.from(bytes).toString('base64'))),
    fc.constantFrom('%', '%E0%A4%A', '%ZZ', '====', 'A', '\u0000', '%00', ' '.repeat(10)),
  );
  fc.assert(
    fc.property(partsArbitrary, garbage, (parts, signature) => verifyParts(merchantKeys.publicKey, parts, signature) === false),
    { numRuns: 200 },
  );
  t.pass();
});

test('a request signature cannot be replayed as a response signature for another time (time is bound)', (t) => {
  const value = signParts(antomKeys.privateKey, applyTokenRequest);
  t.false(verifyParts(antomKeys.publicKey, { ...applyTokenRequest, time: '2025-01-01T00:00:00Z' }, value));
  t.false(verifyParts(antomKeys.publicKey, { ...applyTokenRequest, path: '/ams/api/v1/authorizations/revoke' }, value));
});

