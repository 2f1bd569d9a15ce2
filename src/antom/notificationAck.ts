/**
 * What we answer to inbound notifications (antom-api.md §3 notifyAuthorization, §4 authNotify/consultUnbinding).
 *
 *   NOTIFICATION_ACK_BODY — the exact bytes Antom expects with HTTP 200; anything else and it resends (8 times/24 h).
 *   consultUnbindingResponseBody(allowUnbinding: boolean): string — the Alipay+ consultUnbinding answer.
 *   signAlipayPlusResponse({ body, path, clientId, privateKey, responseTime?, keyVersion? }): SignedResponse
 *     — Alipay+ wants acquirer responses to its notifications signed like any message:
 *       `POST <notification path>\n<client-id>.<response-time>.<body>`. Antom's ack needs no signature.
 *   formatResponseTime(date: Date): string — ISO 8601 with an explicit offset, second precision.
 */
import type { KeyObject } from 'node:crypto';
import { signParts } from './signing';
import { formatSignatureHeader } from './signatureHeader';

/** Exact bytes; do not build it with JSON.stringify of an object whose key order someone might "tidy". */
export const NOTIFICATION_ACK_BODY = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';

export const ACK_CONTENT_TYPE = 'application/json; charset=UTF-8';

/** `allowUnbinding` travels as a string like every non-array value. */
export function consultUnbindingResponseBody(allowUnbinding: boolean): string {
  return `${NOTIFICATION_ACK_BODY.slice(0, -1)},"allowUnbinding":"${allowUnbinding ? 'true' : 'false'}"}`;
}

export interface SignedResponse {
  /** Send exactly this string: it is what was signed. */
  readonly body: string;
  readonly headers: {
    readonly 'content-type': string;
    readonly 'client-id': string;
    readonly 'response-time': string;
    readonly signature: string;
  };
}

export interface SignAlipayPlusResponseOptions {
  readonly body: string;
  /** The path the notification was POSTed to (what Alipay+ signs and verifies against), query included if any. */
  readonly path: string;
  /** Our client-id at Alipay+. */
  readonly clientId: string;
  /** The acquirer's private key, loaded once (keys.ts). */
  readonly privateKey: KeyObject;
  /** Defaults to now; pass one to make the output deterministic. */
  readonly responseTime?: string;
  readonly keyVersion?: string;
}

export function signAlipayPlusResponse(options: SignAlipayPlusResponseOptions): SignedResponse {
  const responseTime = options.responseTime ?? formatResponseTime(new Date());
  const signature = signParts(options.privateKey, {
    path: options.path,
    clientId: options.clientId,
    time: responseTime,
    body: options.body,
  });
  return {
    body: options.body,
    headers: {
      'content-type': ACK_CONTENT_TYPE,
      'client-id': options.clientId,
      'response-time': responseTime,
      signature: formatSignatureHeader(
        options.keyVersion === undefined ? { signature } : { signature, keyVersion: options.keyVersion },
      ),
    },
  };
}

/** `2024-05-01T08:30:00+00:00` — the shape of Alipay+'s examples (offset spelt out, no milliseconds). */
export function formatResponseTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}
