/**
 * Reads the code and outcome out of a failed activity call, as the workflow sees it: an ActivityFailure whose cause is
 * the activity's last ApplicationFailure (attempts or non-retryable) or a TimeoutFailure (the time budget ran out;
 * its own cause, when present, is the last attempt's failure). Pure apart from @temporalio/common's error classes.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { ActivityFailureDetails, FailureOutcome } from './activityContract';

export interface ActivityFailureSummary {
  code: string;
  outcome?: FailureOutcome;
  /** A final answer to an exchange an earlier attempt of which was sent with an unknown outcome. */
  mayHaveSucceeded?: boolean;
}

const OUTCOMES: readonly FailureOutcome[] = ['success', 'unknown-retry', 'customer-final', 'systemic-final', 'already-done'];

function fromApplicationFailure(failure: ApplicationFailure): ActivityFailureSummary {
  const details = failure.details?.[0] as Partial<ActivityFailureDetails> | undefined;
  const outcome = details && OUTCOMES.includes(details.outcome as FailureOutcome) ? details.outcome : undefined;
  const code = failure.type ?? (typeof details?.resultCode === 'string' ? details.resultCode : 'UNKNOWN_FAILURE');
  return { code, ...(outcome ? { outcome } : {}), ...(details?.mayHaveSucceeded === true ? { mayHaveSucceeded: true } : {}) };
}

export function summarizeActivityFailure(error: unknown): ActivityFailureSummary {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return fromApplicationFailure(cause);
  if (cause instanceof TimeoutFailure) {
    // A spent budget: the last attempt's failure says why (e.g. U codes); without one it was a plain timeout.
    if (cause.cause instanceof ApplicationFailure) {
      const last = fromApplicationFailure(cause.cause);
      return { code: last.code, outcome: 'unknown-retry' };
    }
    return { code: 'TIMEOUT', outcome: 'unknown-retry' };
  }
  return { code: 'UNKNOWN_FAILURE' };
}
