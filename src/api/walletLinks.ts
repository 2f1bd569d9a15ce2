/**
 * Links that come from Antom / Alipay+ (a consult's normalUrl, applinkUrl, schemeUrl) are shown to customers as
 * "Open wallet". They are data from outside: a link we render must not be able to run script in our page or read
 * local files. Allowed:
 *   normalUrl, applinkUrl   https, or http (the sandbox and local development);
 *   schemeUrl               a wallet app's own scheme (gcash://…, alipays://…), never javascript:, data:, vbscript:,
 *                           file:, blob:, about: or filesystem:, and never one that does not parse as a URL.
 * Anything else is dropped (the customer can still scan the QR code).
 */
export type WalletLinkKind = 'normalUrl' | 'applinkUrl' | 'schemeUrl';

const WEB_SCHEMES = new Set(['https:', 'http:']);
const NEVER_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:']);
/** RFC 3986 scheme, then ':' — a wallet scheme must be spelled plainly (no whitespace or control characters). */
const PLAIN_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/;

/** Whether `url` may be rendered as a link of this kind. */
export function isAllowedWalletLink(kind: WalletLinkKind, url: string): boolean {
  if (!PLAIN_SCHEME.test(url)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const scheme = parsed.protocol.toLowerCase();
  if (kind === 'schemeUrl') return !NEVER_SCHEMES.has(scheme);
  return WEB_SCHEMES.has(scheme);
}

/** `answer` without the wallet links that are not allowed (other fields untouched). */
export function withAllowedWalletLinks<T extends Partial<Record<WalletLinkKind, string>>>(answer: T): T {
  const out = { ...answer };
  for (const kind of ['normalUrl', 'applinkUrl', 'schemeUrl'] as const) {
    const url = out[kind];
    if (url !== undefined && !isAllowedWalletLink(kind, url)) delete out[kind];
  }
  return out;
}
