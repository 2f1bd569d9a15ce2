/**
 * The webhook signature: `Antom-Auth-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each v1 an HMAC-SHA256 over
 * `<t>.<raw body>` with one secret. The sender signs with every configured secret (WEBHOOK_SECRETS), so a receiver
 * holding any one of them verifies during a rotation; one match suffices. The timestamp is inside the MAC, so a
 * captured request cannot be replayed later than the receiver's tolerance.
 *
 * The sender (the deliverWebhook activity), verifyWebhook and the test helper all go through `signWebhookPayload`:
 * one signer, so tests and receivers can never drift from production.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Lower-case as Node's http module presents it; HTTP header names are case-insensitive. */
export const WEBHOOK_SIGNATURE_HEADER = 'antom-auth-signature';
export const WEBHOOK_EVENT_ID_HEADER = 'antom-auth-event-id';
export const WEBHOOK_SIGNATURE_SCHEME = 'v1';

export function webhookSignature(body: string | Uint8Array, timestampSec: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The header value for `body` signed at `timestampSec` with each secret (in order). */
export function signWebhookPayload(body: string | Uint8Array, secrets: readonly string[], timestampSec: number): string {
  if (secrets.length === 0) throw new TypeError('signWebhookPayload needs at least one secret');
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) throw new TypeError('timestampSec must be a whole number of seconds');
  return [`t=${timestampSec}`, ...secrets.map((secret) => `${WEBHOOK_SIGNATURE_SCHEME}=${webhookSignature(body, timestampSec, secret)}`)].join(',');
}

export interface ParsedWebhookSignature {
  timestampSec: number;
  /** The v1 signatures (hex); other schemes are ignored, so a future scheme can be added beside v1. */
  signatures: string[];
}

/** Parses the header; undefined when it has no timestamp or no v1 signature. */
export function parseWebhookSignature(header: string): ParsedWebhookSignature | undefined {
  let timestampSec: number | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) continue;
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (key === 't') {
      if (!/^\d{1,15}$/.test(value)) return undefined;
      timestampSec = Number(value);
    } else if (key === WEBHOOK_SIGNATURE_SCHEME && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(value.toLowerCase());
    }
  }
  if (timestampSec === undefined || signatures.length === 0) return undefined;
  return { timestampSec, signatures };
}

/** Constant-time comparison of two hex signatures (lengths are fixed by the parser, checked anyway). */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
