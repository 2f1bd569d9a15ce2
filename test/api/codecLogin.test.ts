/**
 * The operator session for the Temporal UI's codec calls, through the real app (fastify.inject): the login page with
 * its CSP, signing in (bearer header or form) sets the cookie and a wrong key sets none, decode with the cookie works
 * and with an expired, tampered or foreign one does not, sign-out drops it, and only the UI origin may read answers
 * with credentials.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { CODEC_SESSION_COOKIE, CodecSessions } from '../../src/api/codecSession';
import { allScopesKey } from '../../src/apiKeys';
import { API_KEY, bearer, PUBLIC_BASE_URL, startApiHarness, UI_ORIGIN, type ApiHarness } from './apiHarness';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"accessToken":"AT-codec-login-01"}') }] };

/** The `name=value` part of the session cookie a response sets (what a browser sends back), or undefined. */
function sessionCookieOf(response: LightMyRequestResponse): string | undefined {
  const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return setCookie.find((c) => c.startsWith(`${CODEC_SESSION_COOKIE}=`))?.split(';')[0];
}

async function signIn(h: ApiHarness): Promise<string> {
  const response = await h.app.inject({ method: 'POST', url: '/codec/session', headers: bearer });
  const cookie = sessionCookieOf(response);
  if (response.statusCode !== 200 || !cookie) throw new Error(`sign-in failed: ${response.statusCode}`);
  return cookie;
}

async function encrypted(h: ApiHarness): Promise<unknown> {
  return (await h.app.inject({ method: 'POST', url: '/codec/encode', headers: bearer, payload: plain })).json();
}

const decodeWith = (h: ApiHarness, cookie: string, payload: unknown, origin = UI_ORIGIN) =>
  h.app.inject({ method: 'POST', url: '/codec/decode', headers: { cookie, origin, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

test('GET /codec/login: an HTML form with a strict CSP, no script, the endpoint to configure, values escaped', async (t) => {
  const hostileOrigin = 'http://ui.test/"><script>alert(1)</script>';
  const h = await startApiHarness(t, { settings: { codecCorsOrigin: hostileOrigin } });
  const response = await h.app.inject({ method: 'GET', url: '/codec/login' });
  t.is(response.statusCode, 200);
  t.regex(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
  const csp = String(response.headers['content-security-policy']);
  for (const directive of ["default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) t.true(csp.includes(directive), directive);
  t.false(/script-src|unsafe-inline/.test(csp));
  t.is(response.headers['x-frame-options'], 'DENY');
  t.is(response.headers['cache-control'], 'no-store');
  // The page's own style is the one the CSP allows (by hash), so it renders styled and nothing else can be injected.
  const style = /<style>([\s\S]*?)<\/style>/.exec(response.body)?.[1] ?? '';
  t.true(csp.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`));
  t.false(/<script/i.test(response.body), 'no script element, not even the hostile origin');
  t.true(response.body.includes('http://ui.test/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.true(response.body.includes(`<code>${PUBLIC_BASE_URL}/codec</code>`));
  t.regex(response.body, /<form method="post" action="session">[\s\S]*name="apiKey" type="password"/);
  t.regex(response.body, /Not signed in/);
  t.is(response.headers['access-control-allow-origin'], undefined);
});

test('POST /codec/session with a wrong or missing key: 401 and no cookie (header: JSON, form: the page again)', async (t) => {
  const h = await startApiHarness(t);
  for (const headers of [{ authorization: 'Bearer not-the-api-key-0000000000' }, {}, { authorization: `Basic ${b64(API_KEY)}` }]) {
    const response = await h.app.inject({ method: 'POST', url: '/codec/session', headers });
    t.is(response.statusCode, 401, JSON.stringify(headers));
    t.is(response.headers['set-cookie'], undefined);
    t.is(response.json<{ error: { code: string } }>().error.code, 'unauthenticated');
  }
  const form = await h.app.inject({
    method: 'POST', url: '/codec/session',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'apiKey=not-the-api-key-0000000000',
  });
  t.is(form.statusCode, 401);
  t.is(form.headers['set-cookie'], undefined);
  t.regex(String(form.headers['content-type']), /^text\/html/);
  t.truthy(form.headers['content-security-policy']);
  t.regex(form.body, /<p id="error" class="error" role="alert">unknown API key<\/p>/);
  t.false(form.body.includes('not-the-api-key'), 'the submitted value is not echoed');
  t.false(h.logs.join('').includes('not-the-api-key'), 'nor logged');
});

test('signing in with the bearer key sets an HttpOnly, Lax, /codec cookie that is not the key; decode with it → 200', async (t) => {
  const h = await startApiHarness(t);
  const response = await h.app.inject({ method: 'POST', url: '/codec/session', headers: bearer });
  t.is(response.statusCode, 200);
  const expiresAt = Date.parse(response.json<{ expiresAt: string }>().expiresAt);
  t.true(Math.abs(expiresAt - (Date.now() + 8 * 3_600_000)) < 5_000, 'eight hours from now');
  const setCookie = String(response.headers['set-cookie']);
  t.regex(setCookie, /; Path=\/codec; HttpOnly; SameSite=Lax$/);
  t.regex(setCookie, /Max-Age=28800;/);
  t.false(setCookie.includes('Secure'), 'http public URL: a Secure cookie would never be sent back');
  t.false(setCookie.includes(API_KEY));
  t.is(response.headers['cache-control'], 'no-store');
  t.false(h.logs.join('').includes(sessionCookieOf(response)!.split('=')[1]!), 'the session token is not logged');

  const decoded = await decodeWith(h, sessionCookieOf(response)!, await encrypted(h));
  t.is(decoded.statusCode, 200);
  t.deepEqual(decoded.json(), plain);
  t.is(decoded.headers['access-control-allow-origin'], UI_ORIGIN);
  t.is(decoded.headers['access-control-allow-credentials'], 'true');
  const encoded = await h.app.inject({ method: 'POST', url: '/codec/encode', headers: { cookie: sessionCookieOf(response)! }, payload: plain });
  t.is(encoded.statusCode, 200, 'encode too');
});

test('signing in through the form answers 303 to the login page, which then shows the session and a sign-out', async (t) => {
  const h = await startApiHarness(t);
  const response = await h.app.inject({
    method: 'POST', url: '/codec/session',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `apiKey=${encodeURIComponent(` ${API_KEY}\n`)}`,
  });
  t.is(response.statusCode, 303);
  t.is(response.headers.location, 'login');
  const cookie = sessionCookieOf(response);
  t.truthy(cookie);
  const page = await h.app.inject({ method: 'GET', url: '/codec/login', headers: { cookie: cookie! } });
  t.regex(page.body, /<p id="status" class="signed-in">Signed in until \d{4}-\d\d-\d\dT/);
  t.regex(page.body, /<form method="post" action="logout">/);
});

test('decode with an expired, tampered or foreign session cookie → 401 JSON telling where to sign in', async (t) => {
  const h = await startApiHarness(t);
  const payload = await encrypted(h);
  const valid = (await signIn(h)).split('=')[1]!;
  const [version, id, scope, expiry, nonce, mac] = valid.split('.') as [string, string, string, string, string, string];
  const head = [version, id, scope].join('.');
  const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
  // Signed correctly (same API key, as any replica would derive it) but nine hours ago: expired an hour ago.
  const expired = await new CodecSessions([allScopesKey(API_KEY)], { now: () => Date.now() - 9 * 3_600_000 }).issue(allScopesKey(API_KEY));
  const foreign = await new CodecSessions([allScopesKey('some-other-deployments-key-000')]).issue(allScopesKey('some-other-deployments-key-000'));
  const cases: Record<string, string> = {
    expired: expired.token,
    'expiry pushed forward': [head, String(Number(expiry) + 86_400), nonce, mac].join('.'),
    'signature altered': [head, expiry, nonce, flip(mac)].join('.'),
    'another deployment\'s session': foreign.token,
    garbage: 'not-a-session',
    'the API key itself': API_KEY,
  };
  for (const [what, token] of Object.entries(cases)) {
    const response = await decodeWith(h, `${CODEC_SESSION_COOKIE}=${token}`, payload);
    t.is(response.statusCode, 401, what);
    const error = response.json<{ error: { code: string; message: string } }>().error;
    t.is(error.code, 'unauthenticated', what);
    t.true(error.message.includes(`${PUBLIC_BASE_URL}/codec/login`), what);
    t.is(response.headers['access-control-allow-origin'], UI_ORIGIN, `${what}: the UI can read the refusal`);
  }
  // A bad cookie does not spoil a good one next to it, nor a valid bearer key.
  t.is((await decodeWith(h, `${CODEC_SESSION_COOKIE}=${cases.garbage}; ${CODEC_SESSION_COOKIE}=${valid}`, payload)).statusCode, 200);
  const both = await h.app.inject({ method: 'POST', url: '/codec/decode', headers: { ...bearer, cookie: `${CODEC_SESSION_COOKIE}=${expired.token}` }, payload: payload as object });
  t.is(both.statusCode, 200);
  // The UI may pass its own (OIDC) bearer token along with the cookie: the session still lets it in.
  const oidc = await h.app.inject({ method: 'POST', url: '/codec/decode', headers: { authorization: 'Bearer eyJ.oidc.token', cookie: `${CODEC_SESSION_COOKIE}=${valid}` }, payload: payload as object });
  t.is(oidc.statusCode, 200);
});

test('POST /codec/logout drops the cookie (same path and flags, expired); the form way goes back to the login page', async (t) => {
  const h = await startApiHarness(t);
  const cookie = await signIn(h);
  const api = await h.app.inject({ method: 'POST', url: '/codec/logout', headers: { cookie } });
  t.is(api.statusCode, 204);
  t.is(String(api.headers['set-cookie']), `${CODEC_SESSION_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/codec; HttpOnly; SameSite=Lax`);
  const form = await h.app.inject({ method: 'POST', url: '/codec/logout', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
  t.is(form.statusCode, 303);
  t.is(form.headers.location, 'login');
  t.regex(String(form.headers['set-cookie']), /Max-Age=0/);
});

test('with an https public URL the cookie is SameSite=None; Secure, scoped to the codec path under the base path', async (t) => {
  const h = await startApiHarness(t, { settings: { publicBaseUrl: 'https://api.example.com/antom' } });
  const response = await h.app.inject({ method: 'POST', url: '/codec/session', headers: bearer });
  t.is(response.statusCode, 200);
  t.regex(String(response.headers['set-cookie']), /; Path=\/antom\/codec; HttpOnly; SameSite=None; Secure$/);
});

test('CORS with credentials for the UI origin only, never a wildcard; the sign-in routes answer no origin', async (t) => {
  const h = await startApiHarness(t);
  const cookie = await signIn(h);
  const payload = await encrypted(h);
  const fromUi = await decodeWith(h, cookie, payload, UI_ORIGIN);
  t.is(fromUi.headers['access-control-allow-origin'], UI_ORIGIN);
  t.is(fromUi.headers['access-control-allow-credentials'], 'true');
  t.regex(String(fromUi.headers.vary), /Origin/);
  for (const origin of ['https://evil.example', 'http://localhost:8234', 'null', `${UI_ORIGIN}.evil.example`]) {
    const other = await decodeWith(h, cookie, payload, origin);
    t.is(other.headers['access-control-allow-origin'], undefined, origin);
    t.is(other.headers['access-control-allow-credentials'], undefined, origin);
  }
  for (const [method, url] of [['GET', '/codec/login'], ['POST', '/codec/session'], ['POST', '/codec/logout']] as const) {
    const response = await h.app.inject({ method, url, headers: { origin: UI_ORIGIN, ...bearer } });
    t.is(response.headers['access-control-allow-origin'], undefined, url);
  }
  const preflight = await h.app.inject({ method: 'OPTIONS', url: '/codec/session', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' } });
  t.is(preflight.headers['access-control-allow-origin'], undefined, 'no preflight for signing in cross-origin');
});
