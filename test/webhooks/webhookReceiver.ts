/**
 * A real HTTP webhook receiver for tests (node:http on a free loopback port), verifying every request with
 * verifyWebhook as a merchant would. `answer` decides each response (status, delay): fail for a while, answer slowly,
 * drop the connection. Every request is recorded, verified or not, in arrival order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WebhookVerificationError } from '../../src/webhooks/verifyWebhook';
import { WEBHOOK_SIGNATURE_HEADER } from '../../src/webhooks/webhookSignature';
import type { WebhookEvent } from '../../src/workflows/webhookEvents';

export interface ReceivedWebhook {
  /** The verified event, or undefined when verification failed (then `refused` says why). */
  event?: WebhookEvent;
  refused?: string;
  status: number;
  rawBody: string;
  header: string | undefined;
  receivedWallMs: number;
}

/** `until`: the receiver finishes (and answers) only once it resolves, e.g. after later events were processed. */
export type Answer = { status: number; delayMs?: number; until?: Promise<unknown> } | 'destroy';

export interface WebhookReceiverOptions {
  secrets: string[];
  toleranceSec?: number;
  /** The receiver's clock in ms (a scenario's virtual clock); default Date.now. */
  now?: () => number;
  /** Default: 204 at once. */
  answer?: (received: ReceivedWebhook, index: number) => Answer;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /**
   * Verified events in the order the receiver finished with them (after its delay, whether or not the sender still
   * waited): a slow first attempt finishes after a fast retry and the events after it — a reordered duplicate.
   */
  readonly processed: WebhookEvent[] = [];
  answer: (received: ReceivedWebhook, index: number) => Answer;
  private server!: Server;
  url = '';

  constructor(private readonly options: WebhookReceiverOptions) {
    this.answer = options.answer ?? (() => ({ status: 204 }));
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const header = request.headers[WEBHOOK_SIGNATURE_HEADER] as string | undefined;
        const received: ReceivedWebhook = { rawBody, header, status: 0, receivedWallMs: Date.now() };
        try {
          received.event = verifyWebhook(rawBody, header, this.options.secrets, this.options.toleranceSec ?? 300, { now: (this.options.now ?? Date.now)() });
        } catch (error) {
          received.refused = error instanceof WebhookVerificationError ? error.reason : String(error);
        }
        const index = this.received.length;
        this.received.push(received);
        const answer = received.refused ? { status: 400 } : this.answer(received, index);
        if (answer === 'destroy') {
          received.status = -1;
          request.socket.destroy();
          return;
        }
        received.status = answer.status;
        const finish = () => {
          if (received.event && answer.status >= 200 && answer.status < 300) this.processed.push(received.event);
          if (!response.destroyed) response.writeHead(answer.status).end();
        };
        void (answer.until ?? Promise.resolve()).then(() => setTimeout(finish, answer.delayMs ?? 0));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/antom-auth?x=1`;
    return this;
  }

  /** Verified events answered 2xx, in arrival order. */
  acknowledged(): WebhookEvent[] {
    return this.received.filter((r) => r.event && r.status >= 200 && r.status < 300).map((r) => r.event!);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * What a merchant's receiver does with what it gets: dedupe by event id, ignore any sequence at or below the last one
 * applied per authorization. Returns the events applied, in order.
 */
export function applyInOrder(events: readonly WebhookEvent[]): WebhookEvent[] {
  const seen = new Set<string>();
  const last = new Map<string, number>();
  const applied: WebhookEvent[] = [];
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const key = event.authorization.authorizationId;
    if (event.sequence <= (last.get(key) ?? 0)) continue;
    last.set(key, event.sequence);
    applied.push(event);
  }
  return applied;
}
