/**
 * The Temporal UI's codec calls in headless Chromium (Debian `chromium` + playwright-core), over real HTTP: a page on
 * a second local port plays the UI origin (CODEC_CORS_ORIGIN) and fetches /codec/decode with credentials as the UI
 * does with "include cross-origin credentials". It gets 401 until the operator signs in at /codec/login in the same
 * browser, the decoded payload after, and 401 again after signing out. A page on a third, non-allowed origin cannot
 * read the answer even while the operator is signed in. Screenshot of the signed-in login page in test-results/.
 */
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { CODEC_SESSION_COOKIE } from '../../src/api/codecSession';
import { freePort } from '../../src/embeddedTemporal';
import { API_KEY, bearer, startApiHarness } from './apiHarness';
import { screenshotPath, useChromium } from '../support/chromium';

const browser = useChromium(test);

/**
 * A page standing in for a web UI on its own origin: `decode(payloads)` posts to the codec as the Temporal UI does
 * (JSON, X-Namespace, credentials included) and reports what the page could read, or that the fetch failed.
 */
function uiPage(apiUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>UI stand-in</title></head><body><script>
async function decode(payloads, mode) {
  try {
    const response = await fetch(${JSON.stringify(apiUrl)} + '/codec/decode', {
      method: 'POST', credentials: 'include', mode: mode || 'cors',
      headers: mode === 'no-cors' ? { 'content-type': 'text/plain' } : { 'content-type': 'application/json', 'x-namespace': 'default' },
      body: JSON.stringify(payloads),
    });
    return { status: response.status, type: response.type, body: await response.text() };
  } catch (error) {
    return { failed: String(error) };
  }
}
</script></body></html>`;
}

async function servePage(html: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

type DecodeResult = { status?: number; type?: string; body?: string; failed?: string };
const decodeIn = async (page: Page, payloads: unknown, mode?: string) =>
  (await page.evaluate(`decode(${JSON.stringify(payloads)}, ${JSON.stringify(mode ?? null)})`)) as DecodeResult;

test('the UI origin decodes with the operator\'s session cookie only after sign-in; another origin never reads it', async (t) => {
  const apiPort = await freePort(0);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const ui = await servePage(uiPage(apiUrl));
  const foreign = await servePage(uiPage(apiUrl));
  t.teardown(() => { ui.server.close(); foreign.server.close(); });
  const h = await startApiHarness(t, { settings: { publicBaseUrl: apiUrl, codecCorsOrigin: ui.origin } });
  await h.app.listen({ host: '127.0.0.1', port: apiPort });

  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"accessToken":"AT-browser-codec-01"}') }] };
  const encrypted = (await h.app.inject({ method: 'POST', url: '/codec/encode', headers: bearer, payload: plain })).json<unknown>();

  const context = await browser().newContext();
  t.teardown(() => context.close());
  const uiTab = await context.newPage();
  await uiTab.goto(`${ui.origin}/`);

  const before = await decodeIn(uiTab, encrypted);
  t.is(before.status, 401, 'not signed in: the UI can read the refusal, but no payload');
  t.false((before.body ?? '').includes('AT-browser-codec-01'));

  // The operator signs in on the API's login page, in the same browser.
  const login = await context.newPage();
  const cspViolations: string[] = [];
  login.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()); });
  await login.goto(`${apiUrl}/codec/login`);
  t.is(await login.textContent('#status'), 'Not signed in: the Temporal UI cannot decode payloads in this browser yet.');
  await login.fill('#api-key', 'wrong-key-0000000000000000');
  await Promise.all([login.waitForLoadState('load'), login.click('#sign-in')]);
  t.is(await login.textContent('#error'), 'unknown API key');
  t.deepEqual(await context.cookies(apiUrl), [], 'a wrong key sets no cookie');
  await login.fill('#api-key', API_KEY);
  await Promise.all([login.waitForURL(`${apiUrl}/codec/login`), login.click('#sign-in')]);
  t.regex((await login.textContent('#status')) ?? '', /^Signed in until \d{4}-/);
  await login.screenshot({ path: screenshotPath('codec-login-signed-in.png'), fullPage: true });
  t.deepEqual(cspViolations, [], 'the page renders within its own CSP');

  const [cookie, ...others] = await context.cookies(`${apiUrl}/codec/decode`);
  t.deepEqual(others, []);
  t.is(cookie?.name, CODEC_SESSION_COOKIE);
  t.true(cookie?.httpOnly);
  t.is(cookie?.sameSite, 'Lax');
  t.is(cookie?.path, '/codec');
  t.false(cookie?.value.includes(API_KEY));
  t.deepEqual(await context.cookies(`${apiUrl}/authorizations`), [], 'the cookie goes to the codec routes only');
  t.false(await uiTab.evaluate('document.cookie.includes("antom_codec_session")') as boolean, 'scripts cannot read it');

  const after = await decodeIn(uiTab, encrypted);
  t.is(after.status, 200);
  t.deepEqual(JSON.parse(after.body ?? 'null'), plain, 'the UI origin reads the decoded payload');

  // Same browser, same cookie, a page on an origin the API does not allow: the preflight admits nothing.
  const foreignTab = await context.newPage();
  await foreignTab.goto(`${foreign.origin}/`);
  const blocked = await decodeIn(foreignTab, encrypted);
  t.regex(blocked.failed ?? '', /TypeError/, 'CORS blocks the credentialed request');
  // A "simple" request goes out without a preflight, cookie and all, but Cross-Origin-Resource-Policy: same-origin
  // (helmet) makes the browser drop even the opaque answer.
  const opaque = await decodeIn(foreignTab, encrypted, 'no-cors');
  t.regex(opaque.failed ?? '', /TypeError/, 'CORP blocks the no-cors answer');
  t.is(opaque.body, undefined);

  // Signing out ends decoding in the UI.
  await Promise.all([login.waitForURL(`${apiUrl}/codec/login`), login.click('#sign-out')]);
  t.regex((await login.textContent('#status')) ?? '', /^Not signed in/);
  t.deepEqual(await context.cookies(apiUrl), []);
  t.is((await decodeIn(uiTab, encrypted)).status, 401);
});
