/**
 * What the workflow does when an activity finally fails (after Temporal's own retries of the identical request).
 * Pure: the error taxonomy of DESIGN.md, keyed by the phase and the failure's outcome class. The class of a result
 * code comes from the one result table, src/antom/resultCodes.ts (issue 15: a second, local list had drifted from it).
 */
import { classifyResult, RESULT_CODES, type EndpointName } from '../antom/resultCodes';
import type { FailureOutcome, LocalFailureType } from './activityContract';
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

/**
 * Failure types that are not Antom result codes — the activities' own (activityContract LOCAL_FAILURE_TYPES) and
 * TIMEOUT (Temporal's) — and their outcome class. src/activities/failureMapping.ts attaches exactly these outcomes, so
 * a failure classifies the same with or without its details.
 */
export const LOCAL_FAILURE_OUTCOMES: Readonly<Record<LocalFailureType | 'TIMEOUT', Exclude<FailureOutcome, 'success' | 'already-done'>>> = {
  TRANSPORT_ERROR: 'unknown-retry',
  UNVERIFIABLE_RESPONSE: 'unknown-retry',
  RATE_LIMITED: 'unknown-retry',
  STORE_UNAVAILABLE: 'unknown-retry',
  INTERNAL_ERROR: 'unknown-retry',
  EXCHANGE_IN_FLIGHT: 'unknown-retry',
  TIMEOUT: 'unknown-retry',
  REQUEST_INVALID: 'systemic-final',
  CONFIGURATION_ERROR: 'systemic-final',
  INVALID_ACTIVITY_INPUT: 'systemic-final',
};

/** The endpoint whose result table applies in each phase (the Alipay+ names share the same codes' classes). */
const PHASE_ENDPOINT: Readonly<Record<AttentionPhase, EndpointName>> = {
  consult: 'consult',
  authCodeApply: 'applyToken',
  refresh: 'applyToken',
  revoke: 'revoke',
};

/**
 * The outcome class of a code in a phase, from THE result table (src/antom/resultCodes.ts, the one the activities
 * classify with) — used when the activity did not say (Temporal timeouts) or said something unusable. The code's
 * documented status is assumed, as the activity only reports codes it received. Anything unrecognised is systemic:
 * parking it loses nothing, while guessing "customer" could drop a customer.
 */
export function classifyCode(code: string, phase: AttentionPhase = 'consult'): Exclude<FailureOutcome, 'success'> {
  if (Object.hasOwn(LOCAL_FAILURE_OUTCOMES, code)) return LOCAL_FAILURE_OUTCOMES[code as keyof typeof LOCAL_FAILURE_OUTCOMES];
  const entry = Object.hasOwn(RESULT_CODES, code) ? RESULT_CODES[code] : undefined;
  if (entry === undefined) return 'systemic-final';
  const { outcome } = classifyResult(PHASE_ENDPOINT[phase], { resultStatus: entry.status, resultCode: code });
  // SUCCESS is never a failure; reaching here with it is a caller bug worth a human look.
  return outcome === 'success' ? 'systemic-final' : outcome;
}

export function decideOnFailure(facts: FailureFacts): FailureAction {
  const { phase, code } = facts;
  if (phase === 'projection') return { kind: 'record-and-continue' };

  const outcome = facts.outcome && facts.outcome !== 'success' ? facts.outcome : classifyCode(code, phase);

  // The result table says INVALID_ACCESS_TOKEN on a revoke is already-done; an activity that attached another class
  // to it (older workers) is overruled so the same code never means two things.
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
      // Only a dead authCode calls for a new consult (antom-applyToken.txt: "Re-initiate the authorization, call the
      // consult interface"). OAUTH_FAILED's documented action is "contact Antom Technical Support": systemic, parked.
      if (code === 'INVALID_AUTHCODE') {
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
