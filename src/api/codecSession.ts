/**
 * Operator sessions for the Temporal UI's codec calls. The UI cannot send our bearer key: it sends an OIDC access
 * token (only with UI auth configured) or cookies ("include cross-origin credentials"). So an operator trades an API
 * key with the `operator` scope for a cookie at /codec/login. The cookie holds a signed token, never the key:
 *
 *   v2.<key id>.<scope: operator>.<expiry: unix seconds>.<nonce: 16 random bytes, base64url>.<HMAC-SHA256 of the part before it, base64url>
 *
 * The token carries the id of the key that opened it and the scope it was opened with; both are under the MAC. The MAC
 * key is derived from that API key's secret, so there is no extra secret to configure and every API replica with the
 * same API_KEYS verifies the same sessions. scrypt (not a fast KDF) because a cookie is a MAC over known text: a leaked
 * cookie must not let anyone test guesses of the API key offline at HMAC speed. Verification looks up the named key
 * (ids are not secret), requires that it still has the operator scope, and compares the MAC with timingSafeEqual.
 * Consequences: removing a key from API_KEYS, or taking the operator scope from it, ends exactly the sessions opened
 * with it; a key without the operator scope can open none; nothing is kept server-side, so a session ends only by
 * expiry, by logout (the cookie is dropped) or by that key's removal or demotion. (v1 tokens, from before scopes,
 * carried no key id and no longer verify: operators sign in again.)
 *
 * Lifetime: 8 h by default — one operator shift. The operator signs in once per working day, and a forgotten or
 * stolen browser session stops decoding by the end of it; stateless tokens cannot be revoked one by one, so the
 * lifetime is what bounds a leaked cookie.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { hasScope, type ApiKey } from '../apiKeys';

export const CODEC_SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;
export const CODEC_SESSION_COOKIE = 'antom_codec_session';

const VERSION = 'v2';
/** The scope a codec session is opened with and checked for. */
export const CODEC_SESSION_SCOPE = 'operator' as const;
const MAC_SALT = 'antom-auth/codec-session/v1';
/** 16 MiB, tens of milliseconds, once per configured key per process (derived on first use, then kept). */
const SCRYPT_COST = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const TOKEN_SHAPE = /^v2\.([A-Za-z0-9_-]{1,64})\.([a-z:]{1,32})\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const MAC_KEY_BYTES = 32;

export interface IssuedSession {
  readonly token: string;
  readonly expiresAt: Date;
}

export type SessionCheck =
  | { readonly valid: true; readonly expiresAt: Date; readonly keyId: string }
  | { readonly valid: false; readonly reason: 'malformed' | 'bad-signature' | 'not-operator' | 'expired' };

export interface CodecSessionOptions {
  /** How long a session lasts (default CODEC_SESSION_LIFETIME_MS). */
  readonly lifetimeMs?: number;
  /** The clock, in epoch milliseconds (tests move it). */
  readonly now?: () => number;
}

function deriveMacKey(secret: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, MAC_SALT, MAC_KEY_BYTES, SCRYPT_COST, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const mac = (key: Buffer, signed: string): Buffer => createHmac('sha256', key).update(signed, 'ascii').digest();

/** Thrown by `issue` for a key without the operator scope (the route answers 403 before it gets here). */
export class NotAnOperatorKeyError extends Error {
  override readonly name = 'NotAnOperatorKeyError';
}

export class CodecSessions {
  readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly byId: ReadonlyMap<string, ApiKey>;
  private readonly macKeys = new Map<string, Promise<Buffer>>();

  constructor(apiKeys: readonly ApiKey[], options: CodecSessionOptions = {}) {
    this.lifetimeMs = options.lifetimeMs ?? CODEC_SESSION_LIFETIME_MS;
    this.now = options.now ?? Date.now;
    this.byId = new Map(apiKeys.map((key) => [key.id, key]));
  }

  private macKey(key: ApiKey): Promise<Buffer> {
    let derived = this.macKeys.get(key.id);
    if (!derived) {
      derived = deriveMacKey(key.secret);
      this.macKeys.set(key.id, derived);
    }
    return derived;
  }

  /** A new session for the operator who presented `key`, which must have the operator scope. */
  async issue(key: ApiKey): Promise<IssuedSession> {
    const configured = this.byId.get(key.id);
    if (configured?.secret !== key.secret) throw new RangeError('not a configured API key');
    if (!hasScope(configured, CODEC_SESSION_SCOPE)) throw new NotAnOperatorKeyError(`the API key "${key.id}" lacks the operator scope`);
    // Derived before the clock is read, so the cookie's Max-Age (computed after) is not shortened by scrypt's time.
    const macKey = await this.macKey(configured);
    const expiry = Math.floor((this.now() + this.lifetimeMs) / 1000);
    const signed = `${VERSION}.${key.id}.${CODEC_SESSION_SCOPE}.${expiry}.${randomBytes(16).toString('base64url')}`;
    return { token: `${signed}.${mac(macKey, signed).toString('base64url')}`, expiresAt: new Date(expiry * 1000) };
  }

  /** Whether `token` was issued under a still-configured API key that still has the operator scope, and has not expired. */
  async verify(token: string): Promise<SessionCheck> {
    const shape = TOKEN_SHAPE.exec(token);
    if (!shape) return { valid: false, reason: 'malformed' };
    const [, keyId, scope, expiry, , signature] = shape as unknown as [string, string, string, string, string, string];
    const key = this.byId.get(keyId);
    if (!key) return { valid: false, reason: 'bad-signature' };
    // Compared as text, not decoded bytes: base64url's last character has spare bits, and decoding would accept
    // variants of a signature (harmless, but a token should have exactly one spelling).
    const signed = token.slice(0, token.lastIndexOf('.'));
    const expected = Buffer.from(mac(await this.macKey(key), signed).toString('base64url'), 'ascii');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'ascii'))) return { valid: false, reason: 'bad-signature' };
    if (scope !== CODEC_SESSION_SCOPE || !hasScope(key, CODEC_SESSION_SCOPE)) return { valid: false, reason: 'not-operator' };
    const expiresAt = new Date(Number(expiry) * 1000);
    if (expiresAt.getTime() <= this.now()) return { valid: false, reason: 'expired' };
    return { valid: true, expiresAt, keyId };
  }
}

/**
 * Where the cookie goes and how far it travels. `Path` is the codec routes under the public base URL's path.
 * Over http (development: UI at localhost:8233, API at localhost:8080 — same site, ports do not make a site) Lax is
 * enough for the UI's fetch to carry it. Over https the UI may be on another site, which only `SameSite=None` allows,
 * and browsers accept that only with `Secure`.
 */
export interface SessionCookiePolicy {
  readonly path: string;
  readonly secure: boolean;
}

export function sessionCookiePolicy(publicBaseUrl: string): SessionCookiePolicy {
  const url = new URL(publicBaseUrl);
  return { path: `${url.pathname.replace(/\/+$/, '')}/codec`, secure: url.protocol === 'https:' };
}

function cookieAttributes(policy: SessionCookiePolicy): string {
  return `Path=${policy.path}; HttpOnly; ${policy.secure ? 'SameSite=None; Secure' : 'SameSite=Lax'}`;
}

/** The Set-Cookie value that stores `session` until it expires. */
export function sessionSetCookie(policy: SessionCookiePolicy, session: IssuedSession, nowMs: number): string {
  // Rounded up: the token's expiry is whole seconds, and a cookie outliving it by under a second is refused anyway.
  const maxAge = Math.max(0, Math.ceil((session.expiresAt.getTime() - nowMs) / 1000));
  return `${CODEC_SESSION_COOKIE}=${session.token}; Max-Age=${maxAge}; Expires=${session.expiresAt.toUTCString()}; ${cookieAttributes(policy)}`;
}

/** The Set-Cookie value that makes the browser drop the session (same name, path and flags, already expired). */
export function sessionClearCookie(policy: SessionCookiePolicy): string {
  return `${CODEC_SESSION_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${cookieAttributes(policy)}`;
}

/** Every value of the session cookie in a Cookie header (a browser may hold several, e.g. from different paths). */
export function sessionTokensIn(cookieHeader: string | undefined): string[] {
  if (!cookieHeader) return [];
  const tokens: string[] = [];
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === CODEC_SESSION_COOKIE) tokens.push(part.slice(eq + 1).trim());
  }
  return tokens;
}
