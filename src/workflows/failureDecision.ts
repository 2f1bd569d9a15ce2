/**
 * What the workflow does when an activity finally fails (after Temporal's own retries of the identical request).
 * Pure: the error taxonomy of DESIGN.md as one table, keyed by the phase and the failure's outcome class.
 */
import type { FailureOutcome } from './activityContract';
import type { AttentionPhase } from './definitions';

export type FailurePhase = AttentionPhase | 'projection';

export interface FailureFacts {
  phase: FailurePhase;
  /** The ApplicationFailure type (Antom result code, TRANSPORT_ERROR, UNVERIFIABLE_RESPONSE) or TIMEOUT. */
  code: string;
  /** The outcome the activity attached (details[0].outcome); absent when the failure came from Temporal itself. */
  outcome?: FailureOutcome;
  /** INVALID_AUTHCODE re-consults already spent in this authorization attempt. */
  reconsultsSoFar: number;
  maxReconsults: number;
}

export type FailureAction =
  /** Park: keep the token, show the problem, wait for an operator retry of the same phase. */
  | { kind: 'needs-attention'; reason: 'systemic' | 'retry-budget-exhausted' }
  /** The authCode is dead: run consult again with a new authState. */
  | { kind: 'reconsult' }
  /** The refresh token no longer works: only the customer can fix it (relink). */
  | { kind: 'reauth-required' }
  /** This authorization attempt cannot succeed. */
  | { kind: 'failed' }
  /** Revoke found the token already gone. */
  | { kind: 'already-revoked' }
  /** The Redis projection is rebuildable: record the error and carry on. */
  | { kind: 'record-and-continue' };

/** Codes that mean "we do not know what happened": the request may be repeated as is. */
const UNKNOWN_CODES = new Set([
  'AUTH_IN_PROCESS', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'UNKNOWN_EXCEPTION', 'TRANSPORT_ERROR', 'UNVERIFIABLE_RESPONSE',
  'TIMEOUT',
]);

/** Codes about this customer or this grant, not about the merchant's setup. */
const CUSTOMER_CODES = new Set([
  'INVALID_AUTHCODE', 'INVALID_REFRESH_TOKEN', 'EXPIRED_REFRESH_TOKEN', 'USER_NOT_EXIST', 'USER_STATUS_ABNORMAL',
  'RISK_REJECT', 'OAUTH_FAILED', 'NO_PAY_OPTIONS', 'PAYMENT_NOT_QUALIFIED', 'INVALID_ACCESS_TOKEN',
]);

/**
 * The outcome class of a code when the activity did not say (Temporal timeouts) or said something unusable.
 * Anything unrecognised is systemic: parking it loses nothing, while guessing "customer" could drop a customer.
 */
export function classifyCode(code: string): Exclude<FailureOutcome, 'success' | 'already-done'> {
  if (UNKNOWN_CODES.has(code)) return 'unknown-retry';
  if (CUSTOMER_CODES.has(code)) return 'customer-final';
  return 'systemic-final';
}

export function decideOnFailure(facts: FailureFacts): FailureAction {
  const { phase, code } = facts;
  if (phase === 'projection') return { kind: 'record-and-continue' };

  const outcome = facts.outcome && facts.outcome !== 'success' ? facts.outcome : classifyCode(code);

  if (phase === 'revoke' && (code === 'INVALID_ACCESS_TOKEN' || outcome === 'already-done')) {
    return { kind: 'already-revoked' };
  }
  if (outcome === 'unknown-retry') return { kind: 'needs-attention', reason: 'retry-budget-exhausted' };
  if (outcome === 'systemic-final') return { kind: 'needs-attention', reason: 'systemic' };
  if (outcome === 'already-done') {
    // "Already done" only has a meaning for revoke; elsewhere it is a surprise worth a human look.
    return { kind: 'needs-attention', reason: 'systemic' };
  }

  // customer-final
  switch (phase) {
    case 'consult':
      return { kind: 'failed' };
    case 'authCodeApply':
      if (code === 'INVALID_AUTHCODE' || code === 'OAUTH_FAILED') {
        return facts.reconsultsSoFar < facts.maxReconsults ? { kind: 'reconsult' } : { kind: 'failed' };
      }
      return { kind: 'failed' };
    case 'refresh':
      // Every customer-level refresh failure needs the customer: the old token stays usable until it expires.
      return { kind: 'reauth-required' };
    case 'revoke':
      // A customer-level answer to a revoke (e.g. USER_NOT_EXIST) still means there is nothing left to revoke.
      return { kind: 'already-revoked' };
  }
}
