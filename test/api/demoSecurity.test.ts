/**
 * The development demo stays a development convenience (issue 14 #8): its pages carry a CSP allowing only their own
 * script and style, wallet links from the consult are checked for an allowed scheme, and the key-less demo API touches
 * only the customers the demo itself linked (and rate-limits links).
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { DEMO_LINKS_PER_MINUTE } from '../../src/api/demoRoutes';
import { isAllowedWalletLink } from '../../src/api/walletLinks';
import type { AuthorizationView } from '../../src/workflows/definitions';
import { startApiHarness } from './apiHarness';

const json = { 'content-type': 'application/json' };
const realCustomer = { workflowId: 'authorization:GCASH:real-1', wallet: 'GCASH', customerId: 'real-1', state: 'AWAITING_AUTH_CODE', linkResult: { authState: 'REAL-AUTH-STATE', normalUrl: 'https://wallet.test/c', consultedAt: '2026-01-01T00:00:00.000Z' } } as unknown as AuthorizationView;

for (const path of ['/demo', '/demo/result']) {
  test(`${path} has a CSP that allows its own inline script and style by hash, and nothing else`, async (t) => {
    const h = await startApiHarness(t);
    const response = await h.app.inject({ method: 'GET', url: path });
    t.is(response.statusCode, 200);
    const csp = String(response.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "connect-src 'self'", "img-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) t.true(csp.includes(directive), directive);
    t.false(/unsafe-inline|unsafe-eval|\*/.test(csp));
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(response.body)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(response.body)?.[1] ?? '';
    t.true(csp.includes(hash(script)), 'the page script is allowed by its hash');
    t.true(csp.includes(hash(style)), 'the page style is allowed by its hash');
    t.is(response.headers['x-frame-options'], 'DENY');
    t.is(response.headers['x-content-type-options'], 'nosniff');
  });
}

test('the demo API never hands out a real customer\'s authState, state or QR, nor cancels it', async (t) => {
  const h = await startApiHarness(t);
  h.operations.views.set('GCASH/real-1', realCustomer);
  const link = await h.app.inject({ method: 'POST', url: '/demo/api/authorizations', headers: json, payload: { wallet: 'GCASH', customerId: 'real-1' } });
  t.is(link.statusCode, 409);
  t.false(link.body.includes('REAL-AUTH-STATE'));
  t.deepEqual(h.operations.callsTo('link'), [], 'no link was made for the real customer');
  for (const [method, url] of [['GET', '/demo/api/authorizations/GCASH/real-1'], ['GET', '/demo/api/authorizations/GCASH/real-1/qr.svg'], ['DELETE', '/demo/api/authorizations/GCASH/real-1']] as const) {
    const response = await h.app.inject({ method, url });
    t.is(response.statusCode, 404, `${method} ${url}`);
    t.false(response.body.includes('REAL-AUTH-STATE'));
  }
  t.deepEqual(h.operations.callsTo('cancel'), []);
});

test('the demo API serves the customers it linked itself', async (t) => {
  const h = await startApiHarness(t);
  const link = await h.app.inject({ method: 'POST', url: '/demo/api/authorizations', headers: json, payload: { wallet: 'GCASH', customerId: 'demo-1' } });
  t.is(link.statusCode, 200);
  t.is(link.json<{ authState: string }>().authState, 'state-1');
  h.operations.views.set('GCASH/demo-1', { ...realCustomer, workflowId: 'authorization:GCASH:demo-1', customerId: 'demo-1' });
  t.is((await h.app.inject({ method: 'GET', url: '/demo/api/authorizations/GCASH/demo-1' })).statusCode, 200);
  t.is((await h.app.inject({ method: 'DELETE', url: '/demo/api/authorizations/GCASH/demo-1' })).statusCode, 200);
  const again = await h.app.inject({ method: 'POST', url: '/demo/api/authorizations', headers: json, payload: { wallet: 'GCASH', customerId: 'demo-1' } });
  t.is(again.statusCode, 200, 'relinking its own customer is fine');
});

test('wallet links with a scheme that could run script or read files are dropped from the demo link answer', async (t) => {
  const h = await startApiHarness(t);
  h.operations.linkAnswer = (command) => ({
    workflowId: `authorization:${command.wallet}:${command.customerId}`,
    state: 'AWAITING_AUTH_CODE',
    alreadyLinked: false,
    link: { authState: 'state-x', normalUrl: 'javascript:alert(document.cookie)', applinkUrl: 'data:text/html,<script>alert(1)</script>', schemeUrl: 'gcash://pay?x=1', consultedAt: '2026-01-01T00:00:00.000Z' },
  });
  const response = await h.app.inject({ method: 'POST', url: '/demo/api/authorizations', headers: json, payload: { wallet: 'GCASH', customerId: 'demo-links' } });
  t.is(response.statusCode, 200);
  const body = response.json<Record<string, unknown>>();
  t.is(body.normalUrl, undefined);
  t.is(body.applinkUrl, undefined);
  t.is(body.schemeUrl, 'gcash://pay?x=1', 'a wallet app scheme stays');
});

test('isAllowedWalletLink: web links are http(s) only; app schemes anything but script, data and file schemes', (t) => {
  for (const url of ['https://wallet.test/x', 'http://127.0.0.1:4010/consent?a=1']) t.true(isAllowedWalletLink('normalUrl', url), url);
  for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'gcash://x', '//evil.test/x', '/relative', '']) {
    t.false(isAllowedWalletLink('normalUrl', url), JSON.stringify(url));
    t.false(isAllowedWalletLink('applinkUrl', url), JSON.stringify(url));
  }
  for (const url of ['gcash://pay?x=1', 'alipays://platformapi/startapp?appId=1', 'https://wallet.test/x']) t.true(isAllowedWalletLink('schemeUrl', url), url);
  for (const url of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'vbscript:x', 'data:x', 'file:///x', 'blob:https://x/1', 'about:blank', 'not a url']) t.false(isAllowedWalletLink('schemeUrl', url), url);
});

test(`more than ${DEMO_LINKS_PER_MINUTE} demo links a minute from one address are refused (429, our error shape)`, async (t) => {
  const h = await startApiHarness(t);
  for (let i = 0; i < DEMO_LINKS_PER_MINUTE; i += 1) {
    const ok = await h.app.inject({ method: 'POST', url: '/demo/api/authorizations', headers: json, payload: { wallet: 'GCASH', customerId: `rate-${i}` } });
    t.is(ok.statusCode, 200);
  }
  const limited = await h.app.inject({ method: 'POST', url: '/demo/api/authorizations', headers: json, payload: { wallet: 'GCASH', customerId: 'rate-over' } });
  t.is(limited.statusCode, 429);
  t.is(limited.json<{ error: { code: string } }>().error.code, 'rate-limited');
  t.truthy(limited.headers['retry-after']);
});
