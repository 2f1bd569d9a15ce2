/**
 * The one signed POST every Antom / Alipay+ call goes through (antom-api.md §1, §2).
 *
 * - One keep-alive undici `Pool` for the client's origin; `close()` releases it.
 * - The body is serialized ONCE; exactly those bytes are signed and sent.
 * - Every response is verified against its raw body before anything in it is believed.
 *
 * Failure policy — every failure here is `unknown-retry` in DESIGN.md's taxonomy (repeat the identical request):
 * - no (complete) answer → AntomTransportError kind 'timeout' (connect timeout, or no complete response — headers
 *   AND body — within the response deadline) or 'connection' (refused, reset, closed mid-body, DNS, other socket
 *   errors). The undici/syscall error (with its `code`, e.g. ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT) is the `cause`.
 * - any non-200 status → AntomTransportError kind 'http-status' with `httpStatus`. Antom reports business errors as
 *   HTTP 200 with F/U, so a 5xx says nothing about the business outcome, and a 3xx/4xx/429 comes from something that
 *   is not Antom's protocol (proxy, WAF, wrong URL) and is not trusted either, signed or not.
 * - HTTP 200 without `signature` / `response-time` → AntomUnverifiableResponseError 'missing-signature'. This
 *   deliberately includes unsigned error responses such as INVALID_SIGNATURE: anyone on the path could forge an F
 *   code, and acting on a forged F (dropping a customer's token, asking them to re-authorize) is worse than retrying
 *   until the budget runs out and an operator looks. The claimed resultCode is kept on the error for diagnosis (a
 *   bad merchant key shows up there as INVALID_SIGNATURE).
 * - a signature that does not verify with Antom's public key over `POST <request path>\n<our client-id>.
 *   <response-time>.<raw body>`, or a `client-id` response header that is not ours → 'bad-signature'.
 * - a signature header naming an algorithm other than RSA256 → 'unsupported-algorithm', or a keyVersion none of the
 *   configured public keys has (`antomPublicKeys`, or `antomPublicKey` as `antomPublicKeyVersion`, default "1") →
 *   'unknown-key-version'; the message names what is accepted. Checked before the signature, so such a header is
 *   refused even when its value would verify. A header naming no keyVersion is tried with every configured key
 *   (signatureKeys.ts: during a rotation's overlap "the latest version" may be either).
 * - signed but not JSON, or larger than maxResponseBytes → 'unparsable-body'; JSON without an object body and a
 *   well-formed `result` → 'invalid-shape'.
 * - the caller's AbortSignal fired → AntomTransportError kind 'aborted' (Antom may still have processed the call).
 *
 * Errors never carry request or response bodies, headers with signatures, tokens, authCodes or keys.
 */
import type { KeyObject } from 'node:crypto';
import { Pool, type Dispatcher } from 'undici';
import { signParts } from './signing';
import { DEFAULT_KEY_VERSION, formatSignatureHeader } from './signatureHeader';
import { verifyWithKeys, type VerificationKeys } from './signatureKeys';
import { AntomTransportError, AntomUnverifiableResponseError } from './errors';
import type { Result } from './models';
import { validateResponseEnvelope } from './responses';

/** How the `request-time` header is written: Antom's examples use epoch ms, Alipay+'s use ISO 8601. */
export type RequestTimeFormat = 'epoch-ms' | 'iso8601';

export interface TransportTimeouts {
  /**
   * TCP + TLS handshake. Default 5 s: a regional gateway answers a handshake in well under a second; a dead route
   * should fail fast so the retry (a fresh connection) happens inside the authCode's 1-minute budget.
   */
  readonly connectMs?: number;
  /**
   * The whole call: from its start (connecting included) until the last byte of the response body. Default 15 s:
   * generous for a gateway that answers in well under a second, yet short against an activity's retry budget. The
   * client uses a shorter one for applyToken with an authCode (client.ts) so several attempts fit into the
   * authCode's 1-minute life. undici's own idle timeouts alone would not do: a peer trickling bytes resets them.
   */
  readonly responseMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_RESPONSE_TIMEOUT_MS = 15_000;
/** Antom responses are a few KB; anything near this is not an Antom response and is not buffered further. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;
/** Enough parallel connections for a worker's activity slots without opening a socket per call. */
export const DEFAULT_CONNECTIONS = 32;

export interface TransportOptions {
  /** `scheme://host[:port]`, from endpoints.resolveOrigin. */
  readonly origin: string;
  readonly clientId: string;
  /** The merchant's private key; signs every request. */
  readonly privateKey: KeyObject;
  /** The keyVersion the request headers name for `privateKey` (default "1"): the version registered at Antom. */
  readonly privateKeyVersion?: string;
  /** Antom's (or Alipay+'s) public key; every response must verify with it. Or `antomPublicKeys`. */
  readonly antomPublicKey?: KeyObject;
  /** The keyVersion of `antomPublicKey` (default "1"): a response signed under any other keyVersion is refused. */
  readonly antomPublicKeyVersion?: string;
  /** Several public keys by keyVersion (a rotation); replaces antomPublicKey/antomPublicKeyVersion. */
  readonly antomPublicKeys?: VerificationKeys;
  /** ISV only (≤128); sent as `agent-token` when set. */
  readonly agentToken?: string;
  readonly timeouts?: TransportTimeouts;
  /** Max sockets to the origin. */
  readonly connections?: number;
  readonly requestTimeFormat?: RequestTimeFormat;
  /** Epoch ms; injectable so a virtual clock (sandbox, tests) decides `request-time`. Default Date.now. */
  readonly clock?: () => number;
  readonly maxResponseBytes?: number;
}

export interface SignedPostOptions {
  /** Names the call in errors (e.g. `applyToken`); defaults to the path. */
  readonly endpoint?: string;
  readonly signal?: AbortSignal;
  /** Overrides the response timeout for this call. */
  readonly responseTimeoutMs?: number;
}

/** A response that verified against Antom's public key and carries a well-formed `result`. */
export interface VerifiedResponse {
  /** The signed request path this answers. */
  readonly path: string;
  readonly responseTime: string;
  /** The parsed body (may contain tokens: never log it). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly result: Result;
}

export class AntomTransport {
  readonly origin: string;
  readonly #pool: Pool;
  readonly #options: TransportOptions;
  readonly #connectMs: number;
  readonly #responseMs: number;
  readonly #clock: () => number;
  readonly #maxResponseBytes: number;
  readonly #verificationKeys: VerificationKeys;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#verificationKeys = verificationKeysOf(options);
    this.origin = options.origin;
    this.#connectMs = positive(options.timeouts?.connectMs, DEFAULT_CONNECT_TIMEOUT_MS, 'timeouts.connectMs');
    this.#responseMs = positive(options.timeouts?.responseMs, DEFAULT_RESPONSE_TIMEOUT_MS, 'timeouts.responseMs');
    this.#clock = options.clock ?? Date.now;
    this.#maxResponseBytes = positive(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 'maxResponseBytes');
    if (options.agentToken !== undefined && (options.agentToken.length === 0 || options.agentToken.length > 128)) {
      throw new RangeError('agentToken must be 1..128 characters');
    }
    this.#pool = new Pool(options.origin, {
      connections: positive(options.connections, DEFAULT_CONNECTIONS, 'connections'),
      connect: { timeout: this.#connectMs },
      // Backstops only: the overall deadline below is what callers observe.
      headersTimeout: this.#responseMs,
      bodyTimeout: this.#responseMs,
    });
  }

  /** `request-time` for a call made now, in the configured format. */
  requestTime(): string {
    const now = this.#clock();
    if (this.#options.requestTimeFormat === 'iso8601') {
      return new Date(now).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    }
    return String(Math.trunc(now));
  }

  /**
   * Signs and POSTs `body` to `path`, verifies the response, and returns it. Throws AntomTransportError or
   * AntomUnverifiableResponseError (see the policy at the top of this file); never returns an unverified response.
   */
  async post(path: string, body: object, options: SignedPostOptions = {}): Promise<VerifiedResponse> {
    const { clientId, privateKey, agentToken } = this.#options;
    const payload = JSON.stringify(body);
    const requestTime = this.requestTime();
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': clientId,
      'request-time': requestTime,
      signature: formatSignatureHeader({
        keyVersion: this.#options.privateKeyVersion ?? DEFAULT_KEY_VERSION,
        signature: signParts(privateKey, { path, clientId, time: requestTime, body: payload }),
      }),
    };
    if (agentToken !== undefined) headers['agent-token'] = agentToken;

    const endpoint = options.endpoint ?? path;
    const responseMs = positive(options.responseTimeoutMs, this.#responseMs, 'responseTimeoutMs');
    const deadline = new Deadline(responseMs, options.signal);
    let status: number;
    let responseHeaders: Dispatcher.ResponseData['headers'];
    let rawBody: string;
    try {
      deadline.throwIfAborted();
      const response = await this.#pool.request({
        path,
        method: 'POST',
        headers,
        body: payload,
        signal: deadline.signal,
        headersTimeout: responseMs,
        bodyTimeout: responseMs,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      rawBody = await readText(response.body, this.#maxResponseBytes);
    } catch (err) {
      throw toCallError(err, endpoint, deadline);
    } finally {
      deadline.dispose();
    }

    if (status !== 200) throw new AntomTransportError({ kind: 'http-status', endpoint, httpStatus: status });
    return this.#verify(path, endpoint, responseHeaders, rawBody);
  }

  #verify(path: string, endpoint: string, headers: Dispatcher.ResponseData['headers'], rawBody: string): VerifiedResponse {
    const { clientId } = this.#options;
    const signatureHeader = headerValue(headers, 'signature');
    const responseTime = headerValue(headers, 'response-time');
    if (signatureHeader === undefined || responseTime === undefined) {
      throw unverifiable('missing-signature', endpoint, rawBody);
    }
    const responseClientId = headerValue(headers, 'client-id');
    if (responseClientId !== undefined && responseClientId !== clientId) {
      throw unverifiable('bad-signature', endpoint, rawBody);
    }
    // Refused, not ignored: a response claiming another algorithm or a key we do not hold is not one we can trust.
    const verdict = verifyWithKeys(this.#verificationKeys, signatureHeader, { path, clientId, time: responseTime, body: rawBody });
    if (!verdict.ok) {
      if (verdict.problem === 'malformed-header') throw unverifiable('missing-signature', endpoint, rawBody);
      if (verdict.problem === 'bad-signature') throw unverifiable('bad-signature', endpoint, rawBody);
      throw unverifiable(verdict.problem, endpoint, rawBody, verdict.message);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      throw new AntomUnverifiableResponseError({ reason: 'unparsable-body', endpoint });
    }
    const envelope = validateResponseEnvelope(parsed, endpoint);
    if (!envelope.ok || !isPlainObject(parsed)) {
      const issues = envelope.ok ? [{ field: '(body)', problem: 'must be an object' }] : envelope.issues;
      throw new AntomUnverifiableResponseError({ reason: 'invalid-shape', endpoint, issues });
    }
    return { path, responseTime, body: parsed, result: envelope.value.result };
  }

  /** Closes idle sockets and waits for in-flight requests. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** The public keys responses are checked with: `antomPublicKeys`, else the single key under its version. */
export function verificationKeysOf(options: Pick<TransportOptions, 'antomPublicKey' | 'antomPublicKeyVersion' | 'antomPublicKeys'>): VerificationKeys {
  if (options.antomPublicKeys !== undefined) {
    if (options.antomPublicKeys.size === 0) throw new RangeError('antomPublicKeys must hold at least one key');
    return options.antomPublicKeys;
  }
  if (options.antomPublicKey === undefined) throw new RangeError('antomPublicKey or antomPublicKeys is required');
  return new Map([[options.antomPublicKeyVersion ?? DEFAULT_KEY_VERSION, options.antomPublicKey]]);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Best effort, for diagnostics only: the resultCode of a body we do not trust, if it looks like one. */
function peekResultCode(rawBody: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    const code = isPlainObject(parsed) && isPlainObject(parsed.result) ? parsed.result.resultCode : undefined;
    return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

async function readText(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      body.destroy();
      throw new ResponseTooLarge(maxBytes);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

class ResponseTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`response body exceeds ${maxBytes} bytes`);
  }
}

/** Our overall response deadline merged with the caller's signal, remembering which of the two fired. */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => this.#controller.abort();
  #timedOut = false;

  constructor(readonly ms: number, callerSignal: AbortSignal | undefined) {
    this.#callerSignal = callerSignal;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort();
    }, ms);
    if (callerSignal?.aborted) this.#controller.abort();
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  get callerAborted(): boolean {
    return this.#callerSignal?.aborted === true && !this.#timedOut;
  }

  throwIfAborted(): void {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}

function errorCode(err: unknown): string | undefined {
  for (let current: unknown = err, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function toCallError(err: unknown, endpoint: string, deadline: Deadline): Error {
  if (err instanceof ResponseTooLarge) {
    return new AntomUnverifiableResponseError({ reason: 'unparsable-body', endpoint, cause: err });
  }
  if (deadline.callerAborted) return transportFailure('aborted', endpoint, err, 'aborted by the caller');
  if (deadline.timedOut) {
    return transportFailure('response-timeout', endpoint, err, `no complete response within ${deadline.ms} ms`);
  }
  const code = errorCode(err);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return transportFailure('connect-timeout', endpoint, err, 'connect timed out');
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return transportFailure('response-timeout', endpoint, err, `no complete response within ${deadline.ms} ms`);
    case 'ECONNREFUSED':
      return transportFailure('connection-refused', endpoint, err, 'connection refused');
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return transportFailure('connection-reset', endpoint, err, 'connection closed before the response was complete');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return transportFailure('dns', endpoint, err, 'host name does not resolve');
    default:
      return transportFailure('network', endpoint, err, `network error${code ? ` (${code})` : ''}`);
  }
}

function unverifiable(
  reason: 'missing-signature' | 'bad-signature' | 'unsupported-algorithm' | 'unknown-key-version',
  endpoint: string,
  rawBody: string,
  detail?: string,
): AntomUnverifiableResponseError {
  const claimedResultCode = peekResultCode(rawBody);
  return new AntomUnverifiableResponseError({
    reason,
    endpoint,
    ...(claimedResultCode === undefined ? {} : { claimedResultCode }),
    ...(detail === undefined ? {} : { detail }),
  });
}

type TransportDetail =
  | 'connect-timeout' | 'response-timeout' | 'connection-refused' | 'connection-reset' | 'dns' | 'network' | 'aborted';

/** The cause is what was observed (never request data); the error's kind is the coarse class callers act on. */
function transportFailure(detail: TransportDetail, endpoint: string, cause: unknown, message: string): AntomTransportError {
  const kind = detail === 'aborted' ? 'aborted' : detail.endsWith('-timeout') ? 'timeout' : 'connection';
  return new AntomTransportError({ kind, endpoint, cause: new TransportFailureCause(detail, message, cause) });
}

/** Carries the fine-grained reason (`detail`) and the original error's `code` for logs and tests. */
export class TransportFailureCause extends Error {
  override readonly name = 'TransportFailureCause';
  readonly code: string | undefined;

  constructor(readonly detail: TransportDetail, message: string, cause: unknown) {
    super(message, { cause });
    this.code = errorCode(cause);
  }
}
