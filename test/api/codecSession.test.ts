/**
 * Codec operator sessions: a token verifies until it expires, any change to it is refused, it never carries the API
 * key, and it lives exactly as long as the API key it was opened with stays configured. The cookie around it: path,
 * HttpOnly, SameSite by scheme, and reading it back out of a Cookie header.
 */
import test from 'ava';
import {
  CODEC_SESSION_COOKIE,
  CODEC_SESSION_LIFETIME_MS,
  CodecSessions,
  sessionClearCookie,
  sessionCookiePolicy,
  sessionSetCookie,
  sessionTokensIn,
} from '../../src/api/codecSession';
import type { ApiKey, ApiScope } from '../../src/apiKeys';

const KEY_A = 'codec-session-key-a-0123456789';
const KEY_B = 'codec-session-key-b-9876543210';
const operatorKey = (id: string, secret: string, scopes: ApiScope[] = ['operator']): ApiKey => ({ id, scopes, secret, bare: false });
const A = operatorKey('ops-a', KEY_A);
const B = operatorKey('ops-b', KEY_B);
const C = operatorKey('ops-c', 'codec-session-key-c-0000000000');
const T0 = Date.parse('2026-03-01T09:00:00Z');

/** A clock the test moves. */
function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

test('an issued session verifies, expires after 8 hours by default, and carries no API key', async (t) => {
  const time = clock();
  const sessions = new CodecSessions([A], { now: time.now });
  const session = await sessions.issue(A);
  t.is(session.expiresAt.getTime(), T0 + CODEC_SESSION_LIFETIME_MS);
  t.is(CODEC_SESSION_LIFETIME_MS, 8 * 3_600_000);
  t.false(session.token.includes(KEY_A));
  t.false(Buffer.from(session.token.split('.').slice(1).join(''), 'base64url').toString('latin1').includes(KEY_A));
  t.deepEqual(await sessions.verify(session.token), { valid: true, expiresAt: session.expiresAt, keyId: 'ops-a' });

  time.advance(CODEC_SESSION_LIFETIME_MS - 1000);
  t.true((await sessions.verify(session.token)).valid, 'still valid a second before expiry');
  time.advance(1000);
  t.deepEqual(await sessions.verify(session.token), { valid: false, reason: 'expired' });
});

test('each session is unique (random nonce) and the lifetime is configurable', async (t) => {
  const sessions = new CodecSessions([A], { now: () => T0, lifetimeMs: 60_000 });
  const [one, two] = await Promise.all([sessions.issue(A), sessions.issue(A)]);
  t.not(one.token, two.token);
  t.is(one.expiresAt.getTime(), T0 + 60_000);
});

test('a tampered token is refused: changed expiry, nonce, signature or version, or a different key', async (t) => {
  const sessions = new CodecSessions([A], { now: () => T0 });
  const { token } = await sessions.issue(A);
  const [version, id, scope, expiry, nonce, mac] = token.split('.') as [string, string, string, string, string, string];
  const head = [version, id, scope].join('.');
  const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
  const forged = {
    'later expiry': [head, String(Number(expiry) + 3600), nonce, mac].join('.'),
    'other nonce': [head, expiry, flip(nonce), mac].join('.'),
    'other signature': [head, expiry, nonce, flip(mac)].join('.'),
    'signed by another key': (await new CodecSessions([operatorKey('ops-a', KEY_B)], { now: () => T0 }).issue(operatorKey('ops-a', KEY_B))).token,
  };
  for (const [what, candidate] of Object.entries(forged)) {
    t.deepEqual(await sessions.verify(candidate), { valid: false, reason: 'bad-signature' }, what);
  }
  // Another spelling of the same signature bytes (base64url's last character has spare bits) is not the token either.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const respelled = [...alphabet].map((c) => mac.slice(0, -1) + c)
    .find((variant) => variant !== mac && Buffer.from(variant, 'base64url').equals(Buffer.from(mac, 'base64url')));
  t.truthy(respelled);
  t.is((await sessions.verify([head, expiry, nonce, respelled!].join('.'))).valid, false);
  for (const malformed of ['', 'v1' + token.slice(2), `${token}x`, token.slice(0, -1), `${head}.${expiry}.${nonce}`, 'a.b.c.d', KEY_A]) {
    t.deepEqual(await sessions.verify(malformed), { valid: false, reason: 'malformed' }, malformed);
  }
});

test('an expired token cannot be revived by editing its expiry', async (t) => {
  const time = clock();
  const sessions = new CodecSessions([A], { now: time.now, lifetimeMs: 60_000 });
  const { token } = await sessions.issue(A);
  time.advance(120_000);
  t.is((await sessions.verify(token)).valid, false);
  const [version, id, scope, expiry, nonce, mac] = token.split('.') as [string, string, string, string, string, string];
  const head = [version, id, scope].join('.');
  t.deepEqual(await sessions.verify([head, String(Number(expiry) + 3600), nonce, mac].join('.')), { valid: false, reason: 'bad-signature' });
});

test('removing an API key ends the sessions opened with it; other keys\' sessions and added keys do not matter', async (t) => {
  const before = new CodecSessions([A, B], { now: () => T0 });
  const withA = await before.issue(A);
  const withB = await before.issue(B);
  // Another process (a replica, or after a restart) with the same keys verifies the same sessions: nothing is stored.
  const replica = new CodecSessions([B, A, C], { now: () => T0 });
  t.true((await replica.verify(withA.token)).valid);
  t.true((await replica.verify(withB.token)).valid);
  const rotated = new CodecSessions([B, C], { now: () => T0 });
  t.deepEqual(await rotated.verify(withA.token), { valid: false, reason: 'bad-signature' });
  t.true((await rotated.verify(withB.token)).valid);
  await t.throwsAsync(() => before.issue(C), { instanceOf: RangeError });
});

test('cookie over http: Path=/codec, HttpOnly, SameSite=Lax, not Secure, Max-Age to the expiry', async (t) => {
  const policy = sessionCookiePolicy('http://localhost:8080');
  t.deepEqual(policy, { path: '/codec', secure: false });
  const session = { token: 'v1.1.a.b', expiresAt: new Date(T0 + 3_600_000) };
  const cookie = sessionSetCookie(policy, session, T0);
  t.true(cookie.startsWith(`${CODEC_SESSION_COOKIE}=v1.1.a.b;`));
  const attributes = cookie.split('; ').slice(1);
  t.deepEqual(attributes, ['Max-Age=3600', `Expires=${session.expiresAt.toUTCString()}`, 'Path=/codec', 'HttpOnly', 'SameSite=Lax']);
});

test('cookie over https (the UI may be on another site): SameSite=None; Secure, under the base URL\'s path', async (t) => {
  const policy = sessionCookiePolicy('https://api.example.com/antom/');
  t.deepEqual(policy, { path: '/antom/codec', secure: true });
  const cookie = sessionSetCookie(policy, { token: 't', expiresAt: new Date(T0 + 1000) }, T0);
  t.regex(cookie, /; Path=\/antom\/codec; HttpOnly; SameSite=None; Secure$/);
  t.is(sessionClearCookie(policy), `${CODEC_SESSION_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/antom/codec; HttpOnly; SameSite=None; Secure`);
});

test('session tokens are read from a Cookie header among other cookies', (t) => {
  t.deepEqual(sessionTokensIn(undefined), []);
  t.deepEqual(sessionTokensIn('a=1; b=2'), []);
  t.deepEqual(sessionTokensIn(`a=1; ${CODEC_SESSION_COOKIE}=v1.x; ${CODEC_SESSION_COOKIE}x=no;${CODEC_SESSION_COOKIE}=v1.y`), ['v1.x', 'v1.y']);
});

test('a session carries the id of the key that opened it and the operator scope; a key without it opens none, and demoting the key ends its sessions (issue 14 #1)', async (t) => {
  const sessions = new CodecSessions([A, operatorKey('payments', KEY_B, ['tokens:read'])], { now: () => T0 });
  const { token } = await sessions.issue(A);
  t.regex(token, /^v2\.ops-a\.operator\.\d+\./);
  await t.throwsAsync(() => sessions.issue(operatorKey('payments', KEY_B, ['tokens:read'])), { message: /"payments" lacks the operator scope/ });
  // The same secret, now configured without the operator scope: the session it opened no longer verifies.
  const demoted = new CodecSessions([operatorKey('ops-a', KEY_A, ['authorizations', 'tokens:read'])], { now: () => T0 });
  t.deepEqual(await demoted.verify(token), { valid: false, reason: 'not-operator' });
  // The scope inside the token is under the MAC: rewriting it breaks the signature.
  const rewritten = token.replace('.operator.', '.metrics.');
  t.deepEqual(await sessions.verify(rewritten), { valid: false, reason: 'bad-signature' });
  // A token naming a key id that is not configured is refused.
  t.deepEqual(await sessions.verify(token.replace('v2.ops-a.', 'v2.ops-z.')), { valid: false, reason: 'bad-signature' });
});
