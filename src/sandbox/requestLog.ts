/**
 * The last N requests the sandbox received, for tests and the admin API ("what did the client actually send?").
 * Bodies are kept parsed with tokens, refresh tokens and authCodes masked; unparsable bodies only by size.
 */
import { maskSecretFields } from './secretMask';

export interface ReceivedRequest {
  readonly seq: number;
  /** Sandbox time the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly platform?: string;
  readonly endpoint?: string;
  readonly clientId?: string;
  readonly requestTime?: string;
  /** The keyVersion the request's signature header named (a rotation test checks which merchant key signed). */
  readonly keyVersion?: string;
  /** The parsed body with secrets masked, or undefined when it was not JSON. */
  readonly body?: unknown;
  readonly bodyBytes: number;
  readonly httpStatus: number;
  readonly resultStatus?: string;
  readonly resultCode?: string;
  /** The scripted fault applied to this call, if any (effect type, `delay`, or `rateLimit`). */
  readonly fault?: string;
  /** The connection was destroyed instead of answered. */
  readonly dropped?: boolean;
}

export type ReceivedRequestInput = Omit<ReceivedRequest, 'seq' | 'body'> & { readonly rawBody?: string };

export class RequestLog {
  private readonly entries: ReceivedRequest[] = [];
  private seq = 0;

  constructor(
    private readonly capacity = 1_000,
    /** Called with each entry (for the process log); entries hold masked bodies only. */
    private readonly onRecord?: (entry: ReceivedRequest) => void,
  ) {}

  record(input: ReceivedRequestInput): void {
    const { rawBody, ...rest } = input;
    let body: unknown;
    if (rawBody !== undefined && rawBody.length > 0) {
      try {
        body = maskSecretFields(JSON.parse(rawBody));
      } catch {
        body = undefined;
      }
    }
    const entry: ReceivedRequest = { seq: ++this.seq, ...rest, ...(body === undefined ? {} : { body }) };
    this.entries.push(entry);
    this.onRecord?.(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(): ReceivedRequest[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries.length = 0;
  }
}
