/**
 * POSTs one signed webhook event to the merchant (WEBHOOK_URL) over a keep-alive undici pool.
 *
 *   const sender = new WebhookSender({ url, secrets, timeoutMs });
 *   await sender.send(event)  → { status }  on a 2xx;  throws WebhookDeliveryError otherwise
 *   await sender.close()
 *
 * One whole-request deadline (`timeoutMs`, an AbortSignal): a receiver trickling bytes cannot hold an attempt open.
 * Only a 2xx acknowledges; a 3xx is not followed (the URL is configuration, a redirect is a misconfiguration), and
 * every other answer, timeout or connection error is a failed attempt the caller retries. The body is the event's
 * JSON, re-signed at each attempt with the attempt's time; the response body is read and discarded (never logged:
 * it is the merchant's, and may echo anything).
 */
import { Pool } from 'undici';
import type { WebhookEvent } from '../workflows/webhookEvents';
import { WEBHOOK_EVENT_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, signWebhookPayload } from './webhookSignature';

export type WebhookFailureKind = 'http-status' | 'timeout' | 'connection';

export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  constructor(
    readonly kind: WebhookFailureKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface WebhookSenderOptions {
  url: string;
  /** Signs with each, in order (rotation: the receiver accepts any one). */
  secrets: readonly string[];
  /** Whole-request deadline per attempt (connect, headers, body). */
  timeoutMs: number;
  /** Epoch ms for the signature's timestamp; default Date.now. */
  clock?: () => number;
}

export class WebhookSender {
  readonly #url: URL;
  readonly #secrets: readonly string[];
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #pool: Pool;

  constructor(options: WebhookSenderOptions) {
    if (options.secrets.length === 0) throw new TypeError('a webhook sender needs at least one secret');
    this.#url = new URL(options.url);
    this.#secrets = options.secrets;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock ?? Date.now;
    this.#pool = new Pool(this.#url.origin, { connections: 16, connectTimeout: options.timeoutMs, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  }

  async send(event: WebhookEvent): Promise<{ status: number }> {
    const body = JSON.stringify(event);
    const signature = signWebhookPayload(body, this.#secrets, Math.floor(this.#clock() / 1000));
    let status: number;
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: `${this.#url.pathname}${this.#url.search}`,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'antom-auth-webhooks',
          [WEBHOOK_SIGNATURE_HEADER]: signature,
          [WEBHOOK_EVENT_ID_HEADER]: event.id,
        },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.statusCode;
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    } catch (error) {
      const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError' || /TIMEOUT/.test(String((error as { code?: string }).code)));
      throw new WebhookDeliveryError(
        timeout ? 'timeout' : 'connection',
        timeout ? `no answer within ${this.#timeoutMs} ms` : `connection failed (${(error as { code?: string }).code ?? (error as Error).name})`,
        undefined,
        { cause: error },
      );
    }
    if (status < 200 || status > 299) throw new WebhookDeliveryError('http-status', `the receiver answered HTTP ${status}`, status);
    return { status };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
