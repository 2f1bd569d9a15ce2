/**
 * Signed notifications from the sandbox to merchants (antom-api.md §3 notifyAuthorization): POSTed with
 * client-id / request-time / signature headers like a request, and resent until the receiver answers HTTP 200 with
 * the exact success result. Resends follow Antom's schedule (0 s, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h) in
 * SANDBOX time: advancing the sandbox clock is what makes the next resend due, so a test can watch all eight
 * attempts in milliseconds.
 */
import { setMaxListeners } from 'node:events';
import { request } from 'undici';
import type { Logger } from 'pino';
import { signParts } from '../antom/signing';
import { formatSignatureHeader } from '../antom/signatureHeader';
import type { SigningKey } from '../antom/signatureKeys';
import type { SandboxClock } from './clock';
import { formatIsoWithOffset } from './timeFormat';
import { maskSecretFields } from './secretMask';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Finished (acknowledged or given-up) notifications kept for the admin listing. A long-running `npm run sandbox`
 * would otherwise keep every one until reset(), and the poll scans them all; 1,000 — like the request log — is far
 * more than a test or a debugging session looks back at. Pending ones are always kept: they still have attempts due.
 */
export const DEFAULT_RETAINED_FINISHED_NOTIFICATIONS = 1_000;

/** Delay before each attempt, relative to the previous attempt (the first is immediate). Eight attempts over ~24 h. */
export const ANTOM_RESEND_SCHEDULE_MS: readonly number[] = [0, 2 * MINUTE, 10 * MINUTE, 10 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 15 * HOUR];

/** The only answer that stops the resends (compared as JSON: key order and whitespace do not matter, values do). */
export const NOTIFICATION_ACK = { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } } as const;

export type NotificationStatus = 'PENDING' | 'ACKNOWLEDGED' | 'GAVE_UP';

export interface NotificationAttempt {
  readonly attempt: number;
  /** Sandbox time the attempt was sent. */
  readonly at: number;
  readonly httpStatus?: number;
  /** Connection-level failure (no HTTP answer), e.g. ECONNREFUSED or a timeout. */
  readonly error?: string;
  readonly acknowledged: boolean;
}

/** A notification as the admin API shows it: the body with tokens and authCodes masked. */
export interface NotificationView {
  readonly id: number;
  readonly type: string;
  readonly url: string;
  readonly clientId: string;
  readonly status: NotificationStatus;
  readonly createdAt: number;
  readonly nextAttemptAt?: number;
  readonly body: unknown;
  readonly attempts: readonly NotificationAttempt[];
}

interface Delivery {
  readonly id: number;
  readonly type: string;
  readonly url: string;
  readonly clientId: string;
  /** Serialized once; every attempt sends and signs these same bytes. */
  readonly body: string;
  readonly createdAt: number;
  status: NotificationStatus;
  nextAttemptAt: number | undefined;
  inFlight: boolean;
  readonly attempts: NotificationAttempt[];
}

export interface NotifierOptions {
  readonly clock: SandboxClock;
  /** The sandbox's signing key at the moment of each attempt (a resend after a key switch uses the new key). */
  readonly signingKey: () => SigningKey;
  readonly logger: Logger;
  readonly timeOffsetMinutes: number;
  /** Intervals before each attempt; default ANTOM_RESEND_SCHEDULE_MS. Its length is the number of attempts. */
  readonly scheduleMs?: readonly number[];
  /** How often (real ms) due resends are looked for, so an injected clock that moves on its own is noticed. */
  readonly pollIntervalMs?: number;
  /** Real ms a receiver gets to answer one attempt. */
  readonly attemptTimeoutMs?: number;
  /** How many finished notifications list() keeps (the most recent); default DEFAULT_RETAINED_FINISHED_NOTIFICATIONS. */
  readonly retainedFinished?: number;
}

export interface NotificationInput {
  readonly type: string;
  readonly url: string;
  readonly clientId: string;
  readonly body: Readonly<Record<string, unknown>>;
}

function isAck(text: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const keys = Object.keys(parsed);
  if (keys.length !== 1 || keys[0] !== 'result') return false;
  const result = (parsed as { result?: unknown }).result;
  if (result === null || typeof result !== 'object') return false;
  const entries = Object.entries(result as Record<string, unknown>);
  const expected = NOTIFICATION_ACK.result as Record<string, string>;
  return entries.length === 3 && entries.every(([key, value]) => expected[key] === value);
}

export class Notifier {
  private readonly deliveries: Delivery[] = [];
  private nextId = 1;
  private readonly schedule: readonly number[];
  private readonly retainedFinished: number;
  private readonly timer: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  // One signal cancels every in-flight delivery on close(); each attempt listens on it, so the listener count is
  // the number of deliveries in flight, not a leak.
  private readonly abort = (() => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  })();
  private closed = false;

  constructor(private readonly options: NotifierOptions) {
    this.schedule = options.scheduleMs ?? ANTOM_RESEND_SCHEDULE_MS;
    if (this.schedule.length === 0) throw new RangeError('the resend schedule needs at least one attempt');
    this.retainedFinished = options.retainedFinished ?? DEFAULT_RETAINED_FINISHED_NOTIFICATIONS;
    if (!Number.isInteger(this.retainedFinished) || this.retainedFinished < 0) {
      throw new RangeError('the number of retained finished notifications must be a non-negative integer');
    }
    this.timer = setInterval(() => void this.pump(), options.pollIntervalMs ?? 100);
    this.timer.unref();
  }

  enqueue(input: NotificationInput): number {
    const now = this.options.clock.now();
    const delivery: Delivery = {
      id: this.nextId++,
      type: input.type,
      url: input.url,
      clientId: input.clientId,
      body: JSON.stringify(input.body),
      createdAt: now,
      status: 'PENDING',
      nextAttemptAt: now + (this.schedule[0] ?? 0),
      inFlight: false,
      attempts: [],
    };
    this.deliveries.push(delivery);
    void this.pump();
    return delivery.id;
  }

  /** Sends every attempt that is due now; resolves when those attempts have finished (acknowledged or not). */
  async pump(): Promise<void> {
    if (this.closed) return;
    const now = this.options.clock.now();
    const started: Promise<void>[] = [];
    // A copy: an attempt that fails before its first await finishes synchronously and may forget old deliveries.
    for (const delivery of [...this.deliveries]) {
      if (delivery.status !== 'PENDING' || delivery.inFlight) continue;
      if (delivery.nextAttemptAt === undefined || delivery.nextAttemptAt > now) continue;
      const attempt = this.attempt(delivery);
      this.inFlight.add(attempt);
      void attempt.finally(() => this.inFlight.delete(attempt));
      started.push(attempt);
    }
    await Promise.all(started);
  }

  /** Waits until nothing is in flight (attempts started by pump or enqueue). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  list(): NotificationView[] {
    return this.deliveries.map((d) => ({
      id: d.id,
      type: d.type,
      url: d.url,
      clientId: d.clientId,
      status: d.status,
      createdAt: d.createdAt,
      ...(d.nextAttemptAt === undefined ? {} : { nextAttemptAt: d.nextAttemptAt }),
      body: maskSecretFields(JSON.parse(d.body)),
      attempts: [...d.attempts],
    }));
  }

  reset(): void {
    this.deliveries.length = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Drops the oldest finished deliveries beyond the retained number; deliveries are in creation order. */
  private forgetOldestFinished(): void {
    let excess = this.deliveries.filter((d) => d.status !== 'PENDING').length - this.retainedFinished;
    for (let index = 0; excess > 0 && index < this.deliveries.length; ) {
      if (this.deliveries[index]!.status === 'PENDING') {
        index += 1;
      } else {
        this.deliveries.splice(index, 1);
        excess -= 1;
      }
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.inFlight = true;
    const { clock, timeOffsetMinutes } = this.options;
    const { privateKey, keyVersion } = this.options.signingKey();
    const sentAt = clock.now();
    const number = delivery.attempts.length + 1;
    let httpStatus: number | undefined;
    let error: string | undefined;
    let acknowledged = false;
    try {
      const url = new URL(delivery.url);
      const requestTime = formatIsoWithOffset(sentAt, timeOffsetMinutes);
      const signature = signParts(privateKey, {
        path: url.pathname + url.search,
        clientId: delivery.clientId,
        time: requestTime,
        body: delivery.body,
      });
      const timeout = this.options.attemptTimeoutMs ?? 5_000;
      const response = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'client-id': delivery.clientId,
          'request-time': requestTime,
          signature: formatSignatureHeader({ signature, keyVersion }),
        },
        body: delivery.body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: this.abort.signal,
      });
      httpStatus = response.statusCode;
      const text = await readLimited(response.body, 64 * 1024);
      acknowledged = httpStatus === 200 && text !== undefined && isAck(text);
    } catch (err) {
      error = (err as NodeJS.ErrnoException).code ?? (err as Error).name ?? 'error';
    }
    delivery.attempts.push({
      attempt: number,
      at: sentAt,
      ...(httpStatus === undefined ? {} : { httpStatus }),
      ...(error === undefined ? {} : { error }),
      acknowledged,
    });
    delivery.inFlight = false;
    if (acknowledged) {
      delivery.status = 'ACKNOWLEDGED';
      delivery.nextAttemptAt = undefined;
    } else if (number >= this.schedule.length) {
      delivery.status = 'GAVE_UP';
      delivery.nextAttemptAt = undefined;
    } else {
      delivery.nextAttemptAt = clock.now() + (this.schedule[number] ?? 0);
    }
    if (delivery.status !== 'PENDING') this.forgetOldestFinished();
    this.options.logger.info(
      { notification: delivery.id, type: delivery.type, attempt: number, httpStatus, error, acknowledged },
      'notification attempt',
    );
  }
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
