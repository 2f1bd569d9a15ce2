/**
 * The demo page in headless Chromium (Debian `chromium` + playwright-core), end to end: pick a wallet, enter a
 * customer id, Link → QR image and "Open wallet" → the sandbox consent page → Approve → back on the demo result page
 * showing ACTIVE, the masked userLoginId and the next refresh → Cancel → REVOKED. Screenshots go to test-results/.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { startService } from './serviceHarness';
import { screenshotPath, useChromium } from '../support/chromium';

const browser = useChromium(test);

/**
 * Polls an expression in the page through the DevTools protocol. (page.waitForFunction evaluates its predicate with
 * eval inside the page, which the demo's CSP — rightly — forbids.)
 */
async function waitUntil(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('demo: link GCASH in the browser, approve on the consent page, see ACTIVE with the masked account, cancel → REVOKED', async (t) => {
  const s = await startService(t);
  const page = await browser().newPage();
  t.teardown(() => page.close());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const cspViolations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()); });

  await page.goto(`${s.url}/demo`);
  await page.selectOption('#wallet', 'GCASH');
  await page.fill('#customer', 'browser-customer-1');
  await page.click('#link');
  await page.waitForSelector('#consent:not([hidden])');
  t.is(await page.textContent('#state'), 'AWAITING_AUTH_CODE');
  // The QR image really loaded (an SVG served by the API), not just an <img> tag.
  // Expressions run in the page (strings: this project compiles without DOM types).
  await waitUntil(page, "(() => { const img = document.querySelector('#qr img'); return img !== null && img.complete && img.naturalWidth > 0; })()");
  const walletHref = await page.getAttribute('#open-wallet', 'href');
  t.true(walletHref?.startsWith(s.sandbox.url), 'Open wallet leads to the (sandbox) wallet consent page');
  await page.screenshot({ path: screenshotPath('demo-1-link.png'), fullPage: true });

  await page.click('#open-wallet');
  await page.waitForURL(`${s.sandbox.url}/**`);
  t.is(await page.textContent('.wallet'), 'GCASH');
  await Promise.all([page.waitForURL(`${s.url}/demo/result**`), page.click('#approve')]);
  const resultUrl = new URL(page.url());
  t.is(resultUrl.searchParams.get('outcome'), 'accepted');
  t.is(resultUrl.searchParams.get('wallet'), 'GCASH');
  t.is(resultUrl.searchParams.get('customerId'), 'browser-customer-1');
  t.false(page.url().includes('authCode'), 'the authCode does not stay in the address bar');

  await waitUntil(page, "document.querySelector('#state')?.textContent === 'ACTIVE'", 20_000);
  t.regex((await page.textContent('#outcome')) ?? '', /^Linked/);
  const userLoginId = (await page.textContent('#user-login-id')) ?? '';
  t.regex(userLoginId, /\*/, 'the linked account is shown masked');
  t.notRegex((await page.textContent('#next-refresh')) ?? '', /^—$/, 'the next refresh time is shown');
  await page.screenshot({ path: screenshotPath('demo-2-active.png'), fullPage: true });

  await page.click('#cancel');
  await waitUntil(page, "document.querySelector('#state')?.textContent === 'REVOKED'", 20_000);
  await page.screenshot({ path: screenshotPath('demo-3-revoked.png'), fullPage: true });
  t.is(((await (await s.api('/authorizations/GCASH/browser-customer-1')).json()) as { state: string }).state, 'REVOKED');
  t.deepEqual(pageErrors, []);
  t.deepEqual(cspViolations, [], 'the demo pages run within their CSP');
  for (const name of ['demo-1-link.png', 'demo-2-active.png', 'demo-3-revoked.png']) t.true(existsSync(screenshotPath(name)));
});

test('the demo is not served when DEMO_ENABLED is off', async (t) => {
  const s = await startService(t, { settings: { demoEnabled: false } });
  for (const path of ['/demo', '/demo/result', '/demo/api/authorizations/GCASH/x']) {
    t.is((await fetch(`${s.url}${path}`)).status, 404, path);
  }
});
