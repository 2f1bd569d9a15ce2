/**
 * Typed errors of the protocol layer, one class per way a call can end badly. Each carries `outcome`, the class
 * from DESIGN.md's error taxonomy, so a caller (the activity) maps errors to retry/no-retry without string matching:
 *
 *   AntomError                        base (abstract in spirit; never thrown directly)
 *   ├ AntomTransportError             kind: 'timeout' | 'connection' | 'http-status' | 'aborted'   → unknown-retry
 *   ├ AntomUnverifiableResponseError  reason: missing/bad signature, unparsable body, wrong shape    → unknown-retry
 *   ├ AntomUnknownResultError         resultStatus U (or a status that contradicts its code)         → unknown-retry
 *   ├ AntomBusinessError              resultStatus F: customer-final | systemic-final | already-done
 *   └ RequestValidationError          our request broke a rule; nothing was sent                     → systemic-final
 *
 *   errorForResult(endpoint, result): AntomBusinessError | AntomUnknownResultError | undefined  (undefined = success)
 *
 * Messages carry only endpoint names, result codes, HTTP statuses and field names — never tokens, authCodes, keys,
 * bodies, or Antom's resultMessage (which could echo request data); resultMessage is a property for operators.
 */
import { classifyResult, type EndpointName, type ResultOutcome } from './resultCodes';
import type { Result } from './models';
import type { ValidationIssue } from './validation';

export type EndpointLabel = string;

export abstract class AntomError extends Error {
  /** What the caller should do, per DESIGN.md's error taxonomy. */
  abstract readonly outcome: ResultOutcome;

  /** Whether repeating the identical request is the right move. */
  get retryable(): boolean {
    return this.outcome === 'unknown-retry';
  }
}

export type TransportFailureKind = 'timeout' | 'connection' | 'http-status' | 'aborted';

/**
 * The request may or may not have reached Antom: a timeout, a refused/reset connection, a non-200 status (5xx
 * included), or an abort. `aborted` means our own caller gave up (e.g. activity cancellation); it is still
 * `unknown-retry` because Antom may have processed the call, but the caller should not retry on its own behalf.
 */
export class AntomTransportError extends AntomError {
  override readonly name = 'AntomTransportError';
  readonly outcome = 'unknown-retry' as const;
  readonly kind: TransportFailureKind;
  readonly endpoint: EndpointLabel;
  /** The HTTP status for `http-status`. */
  readonly httpStatus: number | undefined;

  constructor(options: { kind: TransportFailureKind; endpoint: EndpointLabel; httpStatus?: number; cause?: unknown }) {
    const detail = options.kind === 'http-status' ? `HTTP ${String(options.httpStatus)}` : options.kind;
    super(`${options.endpoint}: transport failure (${detail})`, { cause: options.cause });
    this.kind = options.kind;
    this.endpoint = options.endpoint;
    this.httpStatus = options.httpStatus;
  }
}

export type UnverifiableReason =
  | 'missing-signature'
  | 'bad-signature'
  | 'unsupported-algorithm'
  | 'unknown-key-version'
  | 'unparsable-body'
  | 'invalid-shape';

/**
 * A response we cannot trust or cannot read. Never taken as final: an unsigned INVALID_SIGNATURE, for instance,
 * may be a forgery, and acting on it could destroy an authorization — so it is retried and, after the budget,
 * surfaces for an operator.
 */
export class AntomUnverifiableResponseError extends AntomError {
  override readonly name = 'AntomUnverifiableResponseError';
  readonly outcome = 'unknown-retry' as const;
  readonly reason: UnverifiableReason;
  readonly endpoint: EndpointLabel;
  /** The resultCode the (untrusted) body claimed, when it could be read — for diagnosis only. */
  readonly claimedResultCode: string | undefined;
  /** For `invalid-shape`: which fields were wrong (names and rules only). */
  readonly issues: readonly ValidationIssue[];

  constructor(options: {
    reason: UnverifiableReason;
    endpoint: EndpointLabel;
    claimedResultCode?: string;
    issues?: readonly ValidationIssue[];
    /** What is accepted instead (e.g. the known key versions); never the response's own values. */
    detail?: string;
    cause?: unknown;
  }) {
    const claimed = options.claimedResultCode === undefined ? '' : ` (claims ${options.claimedResultCode})`;
    const fields =
      options.issues === undefined || options.issues.length === 0
        ? ''
        : `: ${options.issues.map((issue) => `${issue.field} ${issue.problem}`).join('; ')}`;
    const detail = options.detail === undefined ? '' : ` — ${options.detail}`;
    super(`${options.endpoint}: unverifiable response, ${options.reason}${claimed}${fields}${detail}`, { cause: options.cause });
    this.reason = options.reason;
    this.endpoint = options.endpoint;
    this.claimedResultCode = options.claimedResultCode;
    this.issues = options.issues ?? [];
  }
}

/** A verified resultStatus U: Antom does not know yet. Repeat the identical request. */
export class AntomUnknownResultError extends AntomError {
  override readonly name = 'AntomUnknownResultError';
  readonly outcome = 'unknown-retry' as const;
  readonly endpoint: EndpointLabel;
  readonly resultCode: string;
  readonly resultMessage: string | undefined;

  constructor(options: { endpoint: EndpointLabel; resultCode: string; resultMessage?: string }) {
    super(`${options.endpoint}: result unknown (${options.resultCode})`);
    this.endpoint = options.endpoint;
    this.resultCode = options.resultCode;
    this.resultMessage = options.resultMessage;
  }
}

export type FinalOutcome = 'customer-final' | 'systemic-final' | 'already-done';

/** A verified resultStatus F. `outcome` says whether the customer must act, an operator must, or it is moot. */
export class AntomBusinessError extends AntomError {
  override readonly name = 'AntomBusinessError';
  readonly outcome: FinalOutcome;
  readonly endpoint: EndpointLabel;
  readonly resultCode: string;
  readonly resultMessage: string | undefined;

  constructor(options: { endpoint: EndpointLabel; resultCode: string; resultMessage?: string; outcome: FinalOutcome }) {
    super(`${options.endpoint}: failed with ${options.resultCode} (${options.outcome})`);
    this.endpoint = options.endpoint;
    this.resultCode = options.resultCode;
    this.resultMessage = options.resultMessage;
    this.outcome = options.outcome;
  }
}

/**
 * A request we refused to send (or, in the sandbox, a request that arrived malformed). The message names each
 * field and rule: `applyToken.authCode: required when grantType is AUTHORIZATION_CODE`. Systemic: it is a bug or a
 * misconfiguration, and repeating it cannot help.
 */
export class RequestValidationError extends AntomError {
  override readonly name = 'RequestValidationError';
  readonly outcome = 'systemic-final' as const;
  readonly messageName: string;
  readonly issues: readonly ValidationIssue[];

  constructor(messageName: string, issues: readonly ValidationIssue[]) {
    super(issues.map((issue) => `${messageName}.${issue.field}: ${issue.problem}`).join('; '));
    this.messageName = messageName;
    this.issues = issues;
  }
}

/**
 * The error a verified, non-success result stands for, or undefined for success. `already-done` (INVALID_ACCESS_TOKEN
 * on revoke/cancelToken) is returned as an AntomBusinessError with that outcome: the caller decides that it means
 * "revoked".
 */
export function errorForResult(
  endpoint: EndpointName,
  result: Pick<Result, 'resultStatus' | 'resultCode' | 'resultMessage'>,
): AntomBusinessError | AntomUnknownResultError | undefined {
  const { outcome } = classifyResult(endpoint, result);
  const details = { endpoint, resultCode: result.resultCode, ...(result.resultMessage === undefined ? {} : { resultMessage: result.resultMessage }) };
  switch (outcome) {
    case 'success':
      return undefined;
    case 'unknown-retry':
      return new AntomUnknownResultError(details);
    default:
      return new AntomBusinessError({ ...details, outcome });
  }
}
