/**
 * CSRF on the cookie-setting codec forms (issue 14 #5): a cross-site page cannot sign a visitor in (login CSRF) or out
 * through POST /codec/session and /codec/logout; the login page itself, and scripts without browser headers, still can.
 */
import test from 'ava';
import type { LightMyRequestResponse } from 'fastify';
import { CODEC_SESSION_COOKIE } from '../../src/api/codecSession';
import { API_KEY, bearer, PUBLIC_BASE_URL, startApiHarness, UI_ORIGIN, type ApiHarness } from './apiHarness';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const setCookies = (response: LightMyRequestResponse) => ([] as string[]).concat(response.headers['set-cookie'] ?? []);
const setsSession = (response: LightMyRequestResponse) => setCookies(response).some((c) => c.startsWith(`${CODEC_SESSION_COOKIE}=`) && !c.includes('Max-Age=0'));

const signInForm = (h: ApiHarness, headers: Record<string, string>) =>
  h.app.inject({ method: 'POST', url: '/codec/session', headers: { ...form, ...headers }, payload: `apiKey=${encodeURIComponent(API_KEY)}` });

test('a cross-site form POST to /codec/session is refused (403) before any session is issued', async (t) => {
  const h = await startApiHarness(t);
  const crossSite: Record<string, string>[] = [
    { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    // The Temporal UI (another port of the same host) is same-site, not same-origin: it has no business signing in.
    { origin: UI_ORIGIN, 'sec-fetch-site': 'same-site' },
    { origin: UI_ORIGIN },
  ];
  for (const headers of crossSite) {
    const response = await signInForm(h, headers);
    t.is(response.statusCode, 403, JSON.stringify(headers));
    t.is(response.json<{ error: { code: string } }>().error.code, 'cross-site-request');
    t.false(setsSession(response), JSON.stringify(headers));
  }
  const withBearer = await h.app.inject({ method: 'POST', url: '/codec/session', headers: { ...bearer, origin: 'https://evil.example' } });
  t.is(withBearer.statusCode, 403, 'the bearer way from a foreign page too');
});

test('a cross-site POST to /codec/logout cannot drop the session cookie', async (t) => {
  const h = await startApiHarness(t);
  for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
    const response = await h.app.inject({ method: 'POST', url: '/codec/logout', headers: { ...form, ...headers }, payload: '' });
    t.is(response.statusCode, 403);
    t.deepEqual(setCookies(response), []);
  }
});

test('the login page itself, the public origin, the Host the page was loaded from, and scripts (no browser headers) still sign in and out', async (t) => {
  const h = await startApiHarness(t);
  const publicOrigin = new URL(PUBLIC_BASE_URL).origin;
  const allowed: Record<string, string>[] = [
    { origin: publicOrigin, 'sec-fetch-site': 'same-origin' },
    { 'sec-fetch-site': 'same-origin' },
    { origin: publicOrigin },
    { origin: 'http://127.0.0.1:18080', host: '127.0.0.1:18080' },
    {},
  ];
  for (const headers of allowed) {
    const response = await signInForm(h, headers);
    t.is(response.statusCode, 303, JSON.stringify(headers));
    t.true(setsSession(response));
    const out = await h.app.inject({ method: 'POST', url: '/codec/logout', headers: { ...form, ...headers }, payload: '' });
    t.is(out.statusCode, 303);
  }
  const script = await h.app.inject({ method: 'POST', url: '/codec/session', headers: bearer });
  t.is(script.statusCode, 200);
  t.true(setsSession(script));
});
