/**
 * The receiver's side, for the merchant backend (exported by the library, src/client.ts):
 *
 *   const event = verifyWebhook(rawBody, request.headers['antom-auth-signature'], [secret], 300);
 *
 * Verifies before it parses: the raw body's bytes (a string or Buffer exactly as received — never a parsed and
 * re-serialized object), the header's timestamp within `toleranceSec` of now (default 300 s; there is no way to turn
 * the check off, only to widen it), and one v1 signature matching one of `secrets` in constant time. Then parses and
 * returns the event. Any failure throws a WebhookVerificationError whose `reason` names it; messages never echo a
 * secret or the body.
 *
 * Deduplicate on `event.id` (redeliveries repeat it) and apply events in `event.sequence` order per
 * `event.authorization.authorizationId`, ignoring any sequence at or below the last one applied.
 */
import { parseWebhookSignature, signaturesEqual, signWebhookPayload, webhookSignature } from './webhookSignature';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from '../workflows/webhookEvents';

export const DEFAULT_WEBHOOK_TOLERANCE_SEC = 300;

export type WebhookVerificationReason =
  | 'no-secret'
  | 'secret-has-whitespace'
  | 'body-not-raw'
  | 'missing-header'
  | 'malformed-header'
  | 'timestamp-out-of-tolerance'
  | 'no-matching-signature'
  | 'invalid-payload';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifyWebhookOptions {
  /** Now, in ms (tests, or a receiver that records the arrival time); default Date.now(). */
  now?: number;
}

export function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | readonly string[] | undefined,
  secrets: string | readonly string[],
  toleranceSec: number = DEFAULT_WEBHOOK_TOLERANCE_SEC,
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const keys = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (keys.length === 0 || keys.some((secret) => typeof secret !== 'string' || secret === '')) {
    throw new WebhookVerificationError('no-secret', 'verifyWebhook needs at least one non-empty secret (WEBHOOK_SECRETS of the service)');
  }
  if (keys.some((secret) => secret !== secret.trim())) {
    // The commonest copy-paste mistake: a trailing newline from an env file or a secret manager.
    throw new WebhookVerificationError('secret-has-whitespace', 'a webhook secret starts or ends with whitespace; trim it');
  }
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new WebhookVerificationError(
      'body-not-raw',
      'verifyWebhook needs the raw request body (string or Buffer) exactly as received, not a parsed object: register a raw-body parser on the webhook route',
    );
  }
  if (!Number.isFinite(toleranceSec) || toleranceSec <= 0) {
    throw new TypeError('toleranceSec must be a positive number of seconds');
  }
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value === '') {
    throw new WebhookVerificationError('missing-header', 'no Antom-Auth-Signature header');
  }
  const parsed = parseWebhookSignature(value);
  if (!parsed) {
    throw new WebhookVerificationError('malformed-header', 'the Antom-Auth-Signature header is not t=<unix seconds>,v1=<hex>[,v1=<hex>…]');
  }
  const nowSec = (options.now ?? Date.now()) / 1000;
  if (Math.abs(nowSec - parsed.timestampSec) > toleranceSec) {
    throw new WebhookVerificationError('timestamp-out-of-tolerance', `the signature's timestamp is more than ${toleranceSec} s from now (a replay, or a clock off)`);
  }
  const matched = keys.some((secret) => {
    const expected = webhookSignature(rawBody, parsed.timestampSec, secret);
    // Every candidate is compared (no early exit on a mismatch), each in constant time.
    return parsed.signatures.map((candidate) => signaturesEqual(expected, candidate)).includes(true);
  });
  if (!matched) {
    throw new WebhookVerificationError('no-matching-signature', 'no v1 signature matches any of the given secrets (wrong secret, or the body was altered)');
  }
  return parseEvent(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8'));
}

function parseEvent(text: string): WebhookEvent {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new WebhookVerificationError('invalid-payload', 'the signed body is not JSON');
  }
  const candidate = event as Partial<WebhookEvent> | null;
  if (
    !candidate || typeof candidate !== 'object'
    || typeof candidate.id !== 'string'
    || !WEBHOOK_EVENT_TYPES.includes(candidate.type as WebhookEvent['type'])
    || !Number.isSafeInteger(candidate.sequence)
    || typeof candidate.occurredAt !== 'string'
    || !candidate.authorization || typeof candidate.authorization !== 'object'
  ) {
    throw new WebhookVerificationError('invalid-payload', 'the signed body is not an antom-auth webhook event');
  }
  return candidate as WebhookEvent;
}

/**
 * A valid header for `body` (tests, and trying a receiver by hand): the production signer, at `timestampSec`
 * (default now).
 */
export function generateWebhookTestHeader(body: string | Uint8Array, secrets: string | readonly string[], timestampSec?: number): string {
  return signWebhookPayload(body, typeof secrets === 'string' ? [secrets] : secrets, timestampSec ?? Math.floor(Date.now() / 1000));
}
