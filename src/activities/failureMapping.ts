/**
 * Turns whatever an activity's side effect threw into the ApplicationFailure the workflow decides on
 * (activityContract.ts): `type` = the Antom result code or a local type below, nonRetryable for final outcomes,
 * `details[0]` = { outcome, resultCode }. Messages are built here from codes and names only — never from the
 * original error's message or Antom's resultMessage, which could echo request data (a token, an authCode).
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { EndpointConfigurationError } from '../antom/endpoints';
import {
  AntomBusinessError,
  AntomTransportError,
  AntomUnknownResultError,
  AntomUnverifiableResponseError,
  RequestValidationError,
} from '../antom/errors';
import { RateLimitTimeoutError } from '../store/rateLimiter';
import type { ActivityFailureDetails, FailureOutcome, LocalFailureType } from '../workflows/activityContract';
import { LOCAL_FAILURE_OUTCOMES } from '../workflows/failureDecision';

/** Failure types that are not Antom result codes. */
export const ACTIVITY_FAILURE_TYPES = {
  /** Timeout, refused/reset connection, non-200 status: Antom may or may not have acted. Retry the same request. */
  transport: 'TRANSPORT_ERROR',
  /** Unsigned, badly signed, unparsable or mis-shaped response: never trusted, retried. */
  unverifiable: 'UNVERIFIABLE_RESPONSE',
  /** Our own request broke a protocol rule; nothing was sent. A bug or bad input: retrying cannot help. */
  requestInvalid: 'REQUEST_INVALID',
  /** The worker lacks what this call needs (no client for the profile, wrong platform). */
  configuration: 'CONFIGURATION_ERROR',
  /** No rate-limit slot within the wait bound; nothing was sent. */
  rateLimited: 'RATE_LIMITED',
  /** Redis did not answer or failed the command. */
  storeUnavailable: 'STORE_UNAVAILABLE',
  /** Malformed activity input (e.g. a time that is not ISO 8601): deterministic, so not retried. */
  invalidInput: 'INVALID_ACTIVITY_INPUT',
  /** Anything unforeseen: retried (it may be transient), then parked by the workflow. */
  internal: 'INTERNAL_ERROR',
  /** Another attempt of the same applyToken exchange is still in flight (its lease): nothing was sent; retry later. */
  exchangeInFlight: 'EXCHANGE_IN_FLIGHT',
} as const satisfies Record<string, LocalFailureType>;

/** Where the error came from, which decides the type of an unrecognised error. */
export type FailureSource = 'antom' | 'store';

function failure(
  operation: string,
  resultCode: string,
  outcome: FailureOutcome,
  nonRetryable: boolean,
  extra: { detail?: string; nextRetryDelayMs?: number } = {},
): ApplicationFailure {
  const details: ActivityFailureDetails = { outcome, resultCode };
  const detail = extra.detail ? `, ${extra.detail}` : '';
  return ApplicationFailure.create({
    message: `${operation}: ${resultCode} (${outcome}${detail})`,
    type: resultCode,
    nonRetryable,
    details: [details],
    ...(extra.nextRetryDelayMs === undefined ? {} : { nextRetryDelay: extra.nextRetryDelayMs }),
  });
}

/**
 * A failure of one of our own types: its outcome comes from the workflow's table (LOCAL_FAILURE_OUTCOMES), so the
 * workflow classifies it the same with or without these details; only unknown outcomes are retried.
 */
function local(operation: string, type: LocalFailureType, extra: { detail?: string; nextRetryDelayMs?: number } = {}): ApplicationFailure {
  const outcome = LOCAL_FAILURE_OUTCOMES[type];
  return failure(operation, type, outcome, outcome !== 'unknown-retry', extra);
}

/**
 * The failure to throw for `error`, raised while performing `operation` (e.g. 'applyToken'). Cancellation and
 * failures that are already ApplicationFailures pass through unchanged.
 */
export function toActivityFailure(error: unknown, operation: string, source: FailureSource): unknown {
  if (error instanceof CancelledFailure || error instanceof ApplicationFailure) return error;

  if (error instanceof AntomBusinessError) {
    // F: repeating the identical request gives the same answer. 'already-done' outside a removal is a surprise the
    // workflow parks; it is final all the same.
    return failure(operation, error.resultCode, error.outcome, true);
  }
  if (error instanceof AntomUnknownResultError) return failure(operation, error.resultCode, 'unknown-retry', false);
  if (error instanceof AntomTransportError) {
    const kind = error.kind === 'http-status' ? `HTTP ${String(error.httpStatus)}` : error.kind;
    return local(operation, ACTIVITY_FAILURE_TYPES.transport, { detail: kind });
  }
  if (error instanceof AntomUnverifiableResponseError) {
    return local(operation, ACTIVITY_FAILURE_TYPES.unverifiable, { detail: error.reason });
  }
  if (error instanceof RequestValidationError) {
    // Field names and rules only (validation.ts never echoes values).
    const fields = error.issues.map((issue) => `${issue.field} ${issue.problem}`).join('; ');
    return local(operation, ACTIVITY_FAILURE_TYPES.requestInvalid, { detail: fields });
  }
  if (error instanceof EndpointConfigurationError) {
    return local(operation, ACTIVITY_FAILURE_TYPES.configuration, { detail: error.message });
  }
  if (error instanceof RateLimitTimeoutError) {
    // Come back when the slot would have been free instead of hammering the limiter.
    return local(operation, ACTIVITY_FAILURE_TYPES.rateLimited, { nextRetryDelayMs: Math.max(1, error.waitMs) });
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return local(operation, ACTIVITY_FAILURE_TYPES.invalidInput, { detail: error.name });
  }
  const name = error instanceof Error ? error.name : typeof error;
  const type = source === 'store' ? ACTIVITY_FAILURE_TYPES.storeUnavailable : ACTIVITY_FAILURE_TYPES.internal;
  return local(operation, type, { detail: name });
}

/** A configuration failure raised by the activities themselves (e.g. no client for a profile). */
export function configurationFailure(operation: string, reason: string): ApplicationFailure {
  return local(operation, ACTIVITY_FAILURE_TYPES.configuration, { detail: reason });
}

/** applyToken: another attempt of the exchange holds its lease; retried once the lease can have ended. */
export function exchangeInFlightFailure(operation: string, retryAfterMs: number): ApplicationFailure {
  return failure(operation, ACTIVITY_FAILURE_TYPES.exchangeInFlight, 'unknown-retry', false, {
    detail: 'another attempt of this exchange is still in flight',
    nextRetryDelayMs: retryAfterMs,
  });
}

/** Marks a final answer to an exchange that was already sent once with an unknown outcome (details.mayHaveSucceeded). */
export function markMayHaveSucceeded(error: ApplicationFailure): ApplicationFailure {
  const details = (error.details?.[0] ?? {}) as ActivityFailureDetails;
  return ApplicationFailure.create({
    message: `${error.message}; an earlier attempt of this exchange was sent and may have succeeded`,
    type: error.type ?? details.resultCode,
    nonRetryable: error.nonRetryable === true,
    details: [{ ...details, mayHaveSucceeded: true }],
  });
}
