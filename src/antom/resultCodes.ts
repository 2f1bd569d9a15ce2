/**
 * The result table: every resultCode antom-api.md lists (Antom §3, Alipay+ §4) → its documented resultStatus and
 * the outcome class of DESIGN.md's error taxonomy. One pure module; the workflow's decisions start here.
 *
 *   RESULT_CODES: Readonly<Record<string, { status: ResultStatus; outcome: ResultOutcome }>>
 *   classifyResult(endpoint: EndpointName, result: { resultStatus, resultCode }): ResultClassification
 *
 * Outcomes:
 *   success         S — advance.
 *   unknown-retry   U codes (and anything we cannot trust) — repeat the identical request; budget → NEEDS_ATTENTION.
 *   customer-final  this customer's authorization cannot proceed (bad/expired authCode or refresh token, user gone)
 *                   — new consult / REAUTH_REQUIRED / FAILED.
 *   systemic-final  our integration is broken (keys, client, parameters, Antom-side failure) — park in
 *                   NEEDS_ATTENTION and keep the token: a bad key must not make every customer re-authorize.
 *   already-done    INVALID_ACCESS_TOKEN on revoke/cancelToken: the token is already gone, which is what we wanted.
 */
import type { AlipayPlusEndpointName, AntomEndpointName } from './endpoints';
import type { Result, ResultStatus } from './models';

export type ResultOutcome = 'success' | 'unknown-retry' | 'customer-final' | 'systemic-final' | 'already-done';

export type EndpointName = AntomEndpointName | AlipayPlusEndpointName;

export interface ResultCodeEntry {
  /** The resultStatus the docs give for this code. */
  readonly status: ResultStatus;
  /** The outcome on every endpoint except where `ENDPOINT_OVERRIDES` says otherwise. */
  readonly outcome: ResultOutcome;
}

const success: ResultCodeEntry = { status: 'S', outcome: 'success' };
const U: ResultCodeEntry = { status: 'U', outcome: 'unknown-retry' };
const customerFinal: ResultCodeEntry = { status: 'F', outcome: 'customer-final' };
const systemicFinal: ResultCodeEntry = { status: 'F', outcome: 'systemic-final' };

export const RESULT_CODES: Readonly<Record<string, ResultCodeEntry>> = Object.freeze({
  SUCCESS: success,

  // U — Antom has not decided; the same request may succeed later.
  AUTH_IN_PROCESS: U,
  REQUEST_TRAFFIC_EXCEED_LIMIT: U,
  UNKNOWN_EXCEPTION: U,

  // F, customer-level: only this customer's authorization is affected (DESIGN.md).
  INVALID_AUTHCODE: customerFinal, // used, expired (1 min) or unknown authCode → a new consult
  INVALID_REFRESH_TOKEN: customerFinal,
  EXPIRED_REFRESH_TOKEN: customerFinal, // Alipay+: guide the user to authorize again
  USER_NOT_EXIST: customerFinal,
  USER_STATUS_ABNORMAL: customerFinal,
  // Risk control rejected this customer's consult; another attempt for someone else is unaffected.
  RISK_REJECT: customerFinal,

  // F, systemic: configuration, credentials, contract or an Antom-side failure. Retrying the same request cannot
  // help, and blaming the customer would destroy authorizations that are fine.
  ACCESS_DENIED: systemicFinal,
  CLIENT_FORBIDDEN_ACCESS_API: systemicFinal,
  INVALID_ACCESS_TOKEN: systemicFinal, // on consult/applyToken; already-done on revoke/cancelToken (below)
  INVALID_API: systemicFinal,
  INVALID_CLIENT: systemicFinal,
  INVALID_CLIENT_STATUS: systemicFinal,
  INVALID_SIGNATURE: systemicFinal,
  KEY_NOT_FOUND: systemicFinal,
  MEDIA_TYPE_NOT_ACCEPTABLE: systemicFinal,
  MERCHANT_NOT_REGISTERED: systemicFinal,
  METHOD_NOT_SUPPORTED: systemicFinal,
  NO_INTERFACE_DEF: systemicFinal,
  NO_PAY_OPTIONS: systemicFinal, // the wallet is not enabled for this merchant
  // An OAuth-level failure we cannot attribute to the customer; parking it keeps the token (safe side).
  OAUTH_FAILED: systemicFinal,
  PARAM_ILLEGAL: systemicFinal, // our request is wrong: a bug, not the customer's doing
  PAYMENT_NOT_QUALIFIED: systemicFinal,
  PROCESS_FAIL: systemicFinal, // "do not retry"
  SYSTEM_ERROR: systemicFinal, // "do not retry"
  UNKNOWN_CLIENT: systemicFinal,
});

/** Codes whose meaning depends on the endpoint. */
const ENDPOINT_OVERRIDES: Readonly<Partial<Record<EndpointName, Readonly<Record<string, ResultOutcome>>>>> = {
  // The token is expired, revoked or unknown — for a revoke that means "already gone".
  revoke: { INVALID_ACCESS_TOKEN: 'already-done' },
  cancelToken: { INVALID_ACCESS_TOKEN: 'already-done' },
};

export interface ResultClassification {
  readonly outcome: ResultOutcome;
  /** Whether the code is in the table. */
  readonly known: boolean;
  /**
   * How the outcome was reached: from the table; from the status because the code is unknown; or forced to
   * unknown-retry because the status contradicts the table (e.g. PROCESS_FAIL with status S or U).
   */
  readonly basis: 'table' | 'unknown-code' | 'status-mismatch';
}

/**
 * Classifies a verified result. Pure and total: any (endpoint, status, code) gets an outcome.
 *
 * Unknown codes default by their resultStatus: S → success, U → unknown-retry, and F → systemic-final. An unknown F
 * must not be treated as customer-final: that would silently destroy a customer's working authorization (force a
 * re-authorization) on the strength of a code nobody has reviewed; systemic-final parks it for an operator instead,
 * keeping the token.
 *
 * A known code arriving with a status other than its documented one is contradictory; the only safe reading is
 * "not sure", so it is unknown-retry (bounded, and it ends in NEEDS_ATTENTION, never silently).
 */
export function classifyResult(endpoint: EndpointName, result: Pick<Result, 'resultStatus' | 'resultCode'>): ResultClassification {
  const entry = Object.hasOwn(RESULT_CODES, result.resultCode) ? RESULT_CODES[result.resultCode] : undefined;
  if (entry === undefined) {
    return { outcome: outcomeForUnknownCode(result.resultStatus), known: false, basis: 'unknown-code' };
  }
  if (entry.status !== result.resultStatus) {
    return { outcome: 'unknown-retry', known: true, basis: 'status-mismatch' };
  }
  const override = ENDPOINT_OVERRIDES[endpoint]?.[result.resultCode];
  return { outcome: override ?? entry.outcome, known: true, basis: 'table' };
}

function outcomeForUnknownCode(status: ResultStatus): ResultOutcome {
  switch (status) {
    case 'S':
      return 'success';
    case 'U':
      return 'unknown-retry';
    case 'F':
      return 'systemic-final';
  }
}
