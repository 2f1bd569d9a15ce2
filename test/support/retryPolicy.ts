/**
 * Temporal's activity retry decision as a pure function, so the environment applies it in virtual time exactly as the
 * server would: initialInterval, backoffCoefficient, maximumInterval, maximumAttempts, nonRetryableErrorTypes,
 * ApplicationFailure.nonRetryable and nextRetryDelay, and the scheduleToClose deadline.
 */
import type { RetryPolicy } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type Long from 'long';

/** The server's defaults when a retry policy leaves a field unset. */
export const defaultActivityRetry = {
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalFactor: 100,
} as const;

export interface RetryInput {
  policy: RetryPolicy | undefined;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  failure: temporal.api.failure.v1.IFailure;
  /** Virtual time now. */
  nowMs: number;
  /** Absolute scheduleToClose deadline, if any. */
  scheduleToCloseDeadlineMs: number | undefined;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; retryState: 'NON_RETRYABLE_FAILURE' | 'MAXIMUM_ATTEMPTS_REACHED' | 'TIMEOUT' };

function failureType(failure: temporal.api.failure.v1.IFailure): string | undefined {
  return failure.applicationFailureInfo?.type ?? undefined;
}

function durationToMs(duration: { seconds?: Long | number | null; nanos?: number | null } | null | undefined): number | undefined {
  if (duration == null) return undefined;
  const seconds = Number(duration.seconds ?? 0);
  const nanos = duration.nanos ?? 0;
  const ms = seconds * 1000 + Math.floor(nanos / 1_000_000);
  return ms > 0 ? ms : undefined;
}

export function decideRetry(input: RetryInput): RetryDecision {
  const { policy, attempt, failure, nowMs, scheduleToCloseDeadlineMs } = input;
  const appInfo = failure.applicationFailureInfo;
  if (appInfo?.nonRetryable) return { retry: false, retryState: 'NON_RETRYABLE_FAILURE' };
  const type = failureType(failure);
  if (type !== undefined && policy?.nonRetryableErrorTypes?.includes(type)) {
    return { retry: false, retryState: 'NON_RETRYABLE_FAILURE' };
  }
  const timeoutType = failure.timeoutFailureInfo?.timeoutType;
  // A scheduleToClose timeout ends the activity; startToClose and heartbeat timeouts are retried like failures.
  if (timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE) return { retry: false, retryState: 'TIMEOUT' };
  const maximumAttempts = policy?.maximumAttempts ?? 0;
  if (maximumAttempts > 0 && attempt >= maximumAttempts) {
    return { retry: false, retryState: 'MAXIMUM_ATTEMPTS_REACHED' };
  }
  const initialMs = policy?.initialInterval !== undefined ? msToNumber(policy.initialInterval) : defaultActivityRetry.initialIntervalMs;
  const coefficient = policy?.backoffCoefficient ?? defaultActivityRetry.backoffCoefficient;
  const maximumMs =
    policy?.maximumInterval !== undefined
      ? msToNumber(policy.maximumInterval)
      : initialMs * defaultActivityRetry.maximumIntervalFactor;
  const explicitDelay = durationToMs(appInfo?.nextRetryDelay);
  const delayMs = explicitDelay ?? Math.min(initialMs * Math.pow(coefficient, attempt - 1), maximumMs);
  if (scheduleToCloseDeadlineMs !== undefined && nowMs + delayMs >= scheduleToCloseDeadlineMs) {
    return { retry: false, retryState: 'TIMEOUT' };
  }
  return { retry: true, delayMs };
}
