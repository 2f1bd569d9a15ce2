/**
 * The wallet's consent page at a consult's normalUrl: who asks, for which scopes, and Approve / Deny buttons that
 * POST a form back to the sandbox. Plain HTML without scripts so it works in any browser, headless or not.
 */
import { escapeHtml } from '../html';
import type { AuthorizationRecord } from './state';

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; }
  h1 { font-size: 1.3rem; } .wallet { color: #1677ff; font-weight: 600; }
  ul { padding-left: 1.2rem; } form { display: inline-block; margin-right: .5rem; }
  button { font-size: 1rem; padding: .6rem 1.4rem; border-radius: .4rem; border: 1px solid #888; cursor: pointer; }
  button.approve { background: #1677ff; color: #fff; border-color: #1677ff; }
  .note { color: #666; font-size: .85rem; margin-top: 2rem; }
`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${content}
<p class="note">Antom sandbox — no real wallet or money is involved.</p>
</body>
</html>`;
}

const SCOPE_TEXT: Readonly<Record<string, string>> = {
  AGREEMENT_PAY: 'Charge your wallet automatically for this merchant (auto debit)',
  BASE_USER_INFO: 'See your basic account information',
  USER_INFO: 'See your account information',
};

/** `decisionPath` is where the forms POST, e.g. `/wallet/authorize/<id>`. */
export function renderConsentPage(authorization: AuthorizationRecord, decisionPath: string): string {
  const scopes = authorization.scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] ?? s)}</li>`).join('');
  const merchant = authorization.authClientId ?? authorization.clientId;
  return page(
    `Authorize ${merchant}`,
    `<h1><span class="wallet">${escapeHtml(authorization.wallet)}</span> authorization</h1>
<p><strong id="merchant">${escapeHtml(merchant)}</strong> asks to link your wallet account
<strong id="user-login-id">${escapeHtml(authorization.userLoginId)}</strong>. It will be able to:</p>
<ul id="scopes">${scopes}</ul>
<form method="post" action="${escapeHtml(decisionPath)}"><input type="hidden" name="decision" value="approve">
<button class="approve" id="approve" type="submit">Approve</button></form>
<form method="post" action="${escapeHtml(decisionPath)}"><input type="hidden" name="decision" value="deny">
<button class="deny" id="deny" type="submit">Deny</button></form>`,
  );
}

export function renderUnavailablePage(reason: 'USED' | 'EXPIRED' | 'UNKNOWN'): string {
  const text = {
    USED: 'This authorization link has already been used. Ask the merchant for a new one.',
    EXPIRED: 'This authorization link has expired. Ask the merchant for a new one.',
    UNKNOWN: 'This authorization link is not valid.',
  }[reason];
  return page('Authorization unavailable', `<h1 id="unavailable">Authorization unavailable</h1><p>${escapeHtml(text)}</p>`);
}

export function renderDeniedPage(returnUrl: string): string {
  return page(
    'Authorization declined',
    `<h1 id="declined">You declined the authorization</h1>
<p>Nothing was linked. <a id="return" href="${escapeHtml(returnUrl)}">Return to the merchant</a></p>`,
  );
}
