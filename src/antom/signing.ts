/**
 * Antom message signatures (antom-api.md §2): RSASSA-PKCS1-v1_5 / SHA-256 over
 *   `POST <path>\n<client-id>.<time>.<body>`
 * base64-encoded, then URL-encoded. Used for requests, responses and notifications alike; only which `time`
 * header is used differs. The body is always the exact raw string sent or received, never a re-serialization.
 */
import { sign as rsaSign, verify as rsaVerify, type KeyObject } from 'node:crypto';

export interface SignedParts {
  /** HTTP method; Antom only uses POST. */
  readonly method?: string;
  /** URI path without scheme/host, plus the query string if the URL has one. */
  readonly path: string;
  readonly clientId: string;
  /** The exact `request-time` (requests, notifications) or `response-time` (responses) header value. */
  readonly time: string;
  /** The exact body text. */
  readonly body: string;
}

export function stringToSign(parts: SignedParts): string {
  return `${parts.method ?? 'POST'} ${parts.path}\n${parts.clientId}.${parts.time}.${parts.body}`;
}

/** Signs and returns the URL-encoded base64 value that goes after `signature=` in the header. */
export function signParts(privateKey: KeyObject, parts: SignedParts): string {
  const raw = rsaSign('sha256', Buffer.from(stringToSign(parts), 'utf8'), privateKey);
  return encodeURIComponent(raw.toString('base64'));
}

/**
 * Verifies a signature value as found after `signature=` (URL-encoded base64). Returns false for anything that is
 * not a valid signature, including undecodable input; it never throws on attacker-controlled data.
 */
export function verifyParts(publicKey: KeyObject, parts: SignedParts, encodedSignature: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedSignature);
  } catch {
    return false;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(decoded)) return false;
  const signature = Buffer.from(decoded, 'base64');
  if (signature.length === 0) return false;
  try {
    return rsaVerify('sha256', Buffer.from(stringToSign(parts), 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}
