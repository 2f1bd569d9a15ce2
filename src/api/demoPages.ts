/**
 * The two HTML pages of the development demo (served by demoRoutes.ts only when DEMO_ENABLED): the link page (pick
 * a wallet, enter a customer id, Link → QR + "Open wallet") and the result page the wallet redirect lands on (state,
 * masked account, next refresh, Cancel). Plain HTML and a little script; every value is inserted as text.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../html';

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2433; }
  h1 { font-size: 1.4rem; } label { display: block; margin: .6rem 0 .2rem; }
  input, select, button { font-size: 1rem; padding: .4rem .6rem; }
  button, .button { background: #1677ff; color: #fff; border: 0; border-radius: 4px; cursor: pointer; text-decoration: none; padding: .5rem 1rem; display: inline-block; }
  button.secondary { background: #d4380d; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; } dt { font-weight: 600; }
  .error { color: #d4380d; } #qr img { width: 220px; height: 220px; border: 1px solid #ddd; }
  .state { font-family: monospace; font-size: 1.1rem; }
`;

const LINK_SCRIPT = `
const form = document.getElementById('link-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const wallet = document.getElementById('wallet').value;
  const customerId = document.getElementById('customer').value;
  document.getElementById('error').textContent = '';
  const response = await fetch('/demo/api/authorizations', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wallet, customerId }),
  });
  const body = await response.json();
  if (!response.ok) { document.getElementById('error').textContent = body.error ? body.error.message : 'link failed'; return; }
  const path = '/demo/api/authorizations/' + encodeURIComponent(wallet) + '/' + encodeURIComponent(customerId);
  if (body.alreadyLinked) {
    document.getElementById('linked').hidden = false;
    document.getElementById('linked-result').href = '/demo/result?wallet=' + encodeURIComponent(wallet) + '&customerId=' + encodeURIComponent(customerId);
    return;
  }
  document.getElementById('consent').hidden = false;
  document.getElementById('state').textContent = body.state;
  const img = document.createElement('img');
  img.alt = 'QR code to scan with the wallet app';
  img.src = path + '/qr.svg';
  document.getElementById('qr').replaceChildren(img);
  const open = document.getElementById('open-wallet');
  open.href = body.normalUrl || body.applinkUrl || body.schemeUrl || '#';
});
`;

const RESULT_SCRIPT = `
const params = new URLSearchParams(location.search);
const wallet = params.get('wallet') || '';
const customerId = params.get('customerId') || '';
const outcomes = { accepted: 'The wallet approved; obtaining the token…', rejected: 'The authorization code was refused.', declined: 'The wallet sent no authorization code: the authorization was declined or abandoned.', unknown: 'This authorization is unknown or has expired.', unavailable: 'The service is busy; the wallet notification will complete the link.' };
document.getElementById('outcome').textContent = outcomes[params.get('outcome')] || '';
document.getElementById('wallet').textContent = wallet;
document.getElementById('customer').textContent = customerId;
const path = '/demo/api/authorizations/' + encodeURIComponent(wallet) + '/' + encodeURIComponent(customerId);
const terminal = ['REVOKED', 'CANCELED_BY_WALLET', 'AUTHORIZATION_EXPIRED', 'TOKEN_EXPIRED', 'FAILED'];
const stateNotes = { ACTIVE: 'Linked: the wallet is ready for auto debit.', REVOKED: 'Canceled: the token was revoked at the wallet.', CANCELED_BY_WALLET: 'The customer unlinked in the wallet app.' };
function show(view) {
  document.getElementById('state').textContent = view.state;
  if (stateNotes[view.state]) document.getElementById('outcome').textContent = stateNotes[view.state];
  document.getElementById('user-login-id').textContent = view.userLoginId || '—';
  document.getElementById('expiry').textContent = view.accessTokenExpiry || '—';
  document.getElementById('next-refresh').textContent = view.nextRefreshAt || '—';
  document.getElementById('cancel').hidden = !(view.state === 'ACTIVE' || view.state === 'REFRESHING' || view.state === 'NEEDS_ATTENTION');
}
async function poll() {
  if (!wallet || !customerId) return;
  const response = await fetch(path);
  if (response.ok) {
    const view = await response.json();
    show(view);
    if (view.state === 'ACTIVE' || terminal.includes(view.state)) return;
  }
  setTimeout(poll, 500);
}
document.getElementById('cancel').addEventListener('click', async () => {
  document.getElementById('cancel').disabled = true;
  const response = await fetch(path, { method: 'DELETE' });
  const body = await response.json();
  if (response.ok) show(body); else document.getElementById('error').textContent = body.error ? body.error.message : 'cancel failed';
});
poll();
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The demo pages' Content-Security-Policy (set by @fastify/helmet on their routes): their own inline style and script
 * by hash and nothing else — no other script, no inline event handlers, no javascript: links, even if a value from
 * Antom or the URL slipped into the page; fetch and images from this origin only (the demo API, its QR codes); no
 * framing.
 */
export const DEMO_PAGE_CSP_DIRECTIVES: Readonly<Record<string, string[]>> = {
  'default-src': ["'none'"],
  'script-src': [sha256(LINK_SCRIPT), sha256(RESULT_SCRIPT)],
  'style-src': [sha256(STYLE)],
  'connect-src': ["'self'"],
  'img-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

export function demoLinkPage(wallets: readonly string[]): string {
  const options = wallets.map((w) => `<option value="${escapeHtml(w)}">${escapeHtml(w)}</option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>antom-auth demo</title><style>${STYLE}</style></head>
<body>
<h1>Link a wallet for auto debit</h1>
<p>Development demo of antom-auth: links a customer's wallet through the Antom sandbox.</p>
<form id="link-form">
  <label for="wallet">Wallet</label><select id="wallet" name="wallet">${options}</select>
  <label for="customer">Customer id</label><input id="customer" name="customerId" required pattern="[A-Za-z0-9._@+-]{1,128}" value="customer-1">
  <p><button id="link" type="submit">Link</button></p>
</form>
<p id="error" class="error" role="alert"></p>
<section id="consent" hidden>
  <h2>Scan or open the wallet</h2>
  <div id="qr"></div>
  <p><a id="open-wallet" class="button" href="#">Open wallet</a></p>
  <p>State: <span id="state" class="state"></span></p>
</section>
<section id="linked" hidden><p>Already linked. <a id="linked-result" href="#">See the authorization</a></p></section>
<script>${LINK_SCRIPT}</script>
</body></html>`;
}

export function demoResultPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>antom-auth demo — result</title><style>${STYLE}</style></head>
<body>
<h1>Authorization</h1>
<p id="outcome"></p>
<dl>
  <dt>Wallet</dt><dd id="wallet"></dd>
  <dt>Customer</dt><dd id="customer"></dd>
  <dt>State</dt><dd id="state" class="state">…</dd>
  <dt>Linked account</dt><dd id="user-login-id">—</dd>
  <dt>Token expires</dt><dd id="expiry">—</dd>
  <dt>Next refresh</dt><dd id="next-refresh">—</dd>
</dl>
<p><button id="cancel" class="secondary" hidden>Cancel authorization</button> <a href="/demo">Link another</a></p>
<p id="error" class="error" role="alert"></p>
<script>${RESULT_SCRIPT}</script>
</body></html>`;
}
