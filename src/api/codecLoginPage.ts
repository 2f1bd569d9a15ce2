/**
 * GET /codec/login: where an operator pastes an API key so the Temporal UI can decode payloads (codecRoutes.ts sets
 * the session cookie). Plain HTML, no script and no external assets; every inserted value is escaped; the CSP allows
 * only the page's own style (by hash) and form posts to this origin, and no framing (a framed key form invites
 * clickjacking).
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../html';

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1d2433; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  label { display: block; margin: .6rem 0 .2rem; } input { font-size: 1rem; padding: .4rem .6rem; width: 24rem; max-width: 100%; }
  button { font-size: 1rem; background: #1677ff; color: #fff; border: 0; border-radius: 4px; padding: .5rem 1rem; margin-top: .6rem; cursor: pointer; }
  button.secondary { background: #595959; } code { background: #f2f3f5; padding: 0 .25rem; }
  .error { color: #d4380d; } .signed-in { color: #237804; }
`;

/** Content-Security-Policy directives for the login page (set by @fastify/helmet on its route). */
export const CODEC_LOGIN_PAGE_CSP_DIRECTIVES: Readonly<Record<string, string[]>> = {
  'default-src': ["'none'"],
  'style-src': [`'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

export interface CodecLoginPageModel {
  /** What the operator enters as the UI's codec server endpoint: <public base URL>/codec. */
  readonly codecEndpoint: string;
  /** The Temporal UI origin allowed to call the codec (CODEC_CORS_ORIGIN). */
  readonly uiOrigin: string;
  readonly sessionHours: number;
  /** Set when the browser already holds a valid session. */
  readonly signedInUntil?: Date;
  /** Why the last sign-in failed. */
  readonly error?: string;
}

export function codecLoginPage(model: CodecLoginPageModel): string {
  const endpoint = escapeHtml(model.codecEndpoint);
  const origin = escapeHtml(model.uiOrigin);
  const status = model.signedInUntil
    ? `<p id="status" class="signed-in">Signed in until ${escapeHtml(model.signedInUntil.toISOString())}. The Temporal UI at <code>${origin}</code> can decode payloads in this browser.</p>
<form method="post" action="logout"><button id="sign-out" class="secondary" type="submit">Sign out</button></form>`
    : '<p id="status">Not signed in: the Temporal UI cannot decode payloads in this browser yet.</p>';
  const error = model.error ? `<p id="error" class="error" role="alert">${escapeHtml(model.error)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>antom-auth — decode payloads in the Temporal UI</title><style>${STYLE}</style></head>
<body>
<h1>Decode payloads in the Temporal UI</h1>
${status}
${error}
<form method="post" action="session">
  <label for="api-key">API key (with the operator scope)</label>
  <input id="api-key" name="apiKey" type="password" autocomplete="off" required>
  <div><button id="sign-in" type="submit">Sign in</button></div>
</form>
<p>Signing in stores a session cookie for the codec endpoint only (not the key). It lasts ${escapeHtml(String(model.sessionHours))} hours, ends
when you sign out, and ends early if the API key you used is removed from the service's API keys or loses the operator scope.</p>
<h2>Temporal UI settings</h2>
<ol>
  <li>Codec server endpoint: <code>${endpoint}</code></li>
  <li>Turn on <em>Include cross-origin credentials</em> (for everyone: <code>TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true</code> on the UI server).</li>
  <li>Leave <em>Pass the user access token</em> off unless the UI has its own login and the endpoint is https.</li>
</ol>
<p>Only the UI at <code>${origin}</code> may read decoded payloads.</p>
</body></html>`;
}
