import test from 'ava';
import fc from 'fast-check';
import type { ApplicationFailure } from '@temporalio/common';
import { classifyCode, decideOnFailure, LOCAL_FAILURE_OUTCOMES, type FailureFacts, type FailurePhase } from '../../src/workflows/failureDecision';
import type { ActivityFailureDetails, FailureOutcome } from '../../src/workflows/activityContract';
import { errorForResult } from '../../src/antom/errors';
import { RESULT_CODES, type EndpointName } from '../../src/antom/resultCodes';
import { toActivityFailure } from '../../src/activities/failureMapping';
import { ALIPAY_PLUS_APPLY_TOKEN_CODES, ANTOM_APPLY_TOKEN_CODES } from '../fixtures/referenceResultCodes';

const base = { reconsultsSoFar: 0, maxReconsults: 3 };
const decide = (phase: FailurePhase, code: string, outcome?: FailureOutcome, extra: Partial<FailureFacts> = {}) =>
  decideOnFailure({ ...base, phase, code, ...(outcome ? { outcome } : {}), ...extra }).kind;

const SYSTEMIC = ['INVALID_SIGNATURE', 'KEY_NOT_FOUND', 'ACCESS_DENIED', 'UNKNOWN_CLIENT', 'INVALID_CLIENT', 'INVALID_CLIENT_STATUS', 'CLIENT_FORBIDDEN_ACCESS_API', 'NO_INTERFACE_DEF', 'PARAM_ILLEGAL', 'PROCESS_FAIL', 'SYSTEM_ERROR'];
const UNKNOWN = ['AUTH_IN_PROCESS', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'UNKNOWN_EXCEPTION', 'TRANSPORT_ERROR', 'UNVERIFIABLE_RESPONSE', 'TIMEOUT'];
const PHASES: FailurePhase[] = ['consult', 'authCodeApply', 'refresh', 'revoke'];

test('systemic codes park every phase in NEEDS_ATTENTION (a bad key must not force re-authorization)', (t) => {
  for (const phase of PHASES) for (const code of SYSTEMIC) {
    t.deepEqual(decideOnFailure({ ...base, phase, code }), { kind: 'needs-attention', reason: 'systemic' }, `${phase} ${code}`);
  }
});

test('unknown outcomes that outlived the retry budget park in NEEDS_ATTENTION, never silently', (t) => {
  for (const phase of PHASES) for (const code of UNKNOWN) {
    t.deepEqual(decideOnFailure({ ...base, phase, code }), { kind: 'needs-attention', reason: 'retry-budget-exhausted' }, `${phase} ${code}`);
  }
});

test('INVALID_AUTHCODE re-consults until the bound, then FAILED', (t) => {
  t.is(decide('authCodeApply', 'INVALID_AUTHCODE', 'customer-final'), 'reconsult');
  t.is(decide('authCodeApply', 'INVALID_AUTHCODE', 'customer-final', { reconsultsSoFar: 2 }), 'reconsult');
  t.is(decide('authCodeApply', 'INVALID_AUTHCODE', 'customer-final', { reconsultsSoFar: 3 }), 'failed');
  t.is(decide('authCodeApply', 'USER_NOT_EXIST', 'customer-final'), 'failed');
});

test('refresh rejected for customer reasons → REAUTH_REQUIRED', (t) => {
  for (const code of ['INVALID_REFRESH_TOKEN', 'EXPIRED_REFRESH_TOKEN', 'USER_STATUS_ABNORMAL', 'USER_NOT_EXIST']) {
    t.is(decide('refresh', code, 'customer-final'), 'reauth-required', code);
    t.is(decide('refresh', code), 'reauth-required', `${code} without details`);
  }
});

test('revoke answered INVALID_ACCESS_TOKEN means already revoked', (t) => {
  t.is(decide('revoke', 'INVALID_ACCESS_TOKEN', 'customer-final'), 'already-revoked');
  t.is(decide('revoke', 'INVALID_ACCESS_TOKEN'), 'already-revoked');
  t.is(decide('revoke', 'INVALID_ACCESS_TOKEN', 'already-done'), 'already-revoked');
});

test('consult rejected for customer reasons fails the attempt', (t) => {
  t.is(decide('consult', 'RISK_REJECT', 'customer-final'), 'failed');
});

test('projection failures never stop the lifecycle', (t) => {
  t.is(decide('projection', 'ECONNREFUSED'), 'record-and-continue');
  t.is(decide('projection', 'INVALID_SIGNATURE', 'systemic-final'), 'record-and-continue');
});

test('the outcome attached by the activity wins over the local table', (t) => {
  // An activity that knows better (e.g. a code the local table lacks) decides the class.
  t.is(decide('refresh', 'SOME_NEW_CODE', 'customer-final'), 'reauth-required');
  t.is(decide('refresh', 'INVALID_REFRESH_TOKEN', 'unknown-retry'), 'needs-attention');
});

test('unrecognised codes are systemic: park rather than drop a customer', (t) => {
  t.is(classifyCode('BRAND_NEW_CODE'), 'systemic-final');
  t.is(decide('refresh', 'BRAND_NEW_CODE'), 'needs-attention');
});

test('property: no failure of a token-holding phase ever discards the customer silently', (t) => {
  const outcomes: (FailureOutcome | undefined)[] = [undefined, 'unknown-retry', 'customer-final', 'systemic-final', 'already-done', 'success'];
  fc.assert(fc.property(fc.constantFrom(...PHASES), fc.oneof(fc.constantFrom(...SYSTEMIC, ...UNKNOWN, 'INVALID_AUTHCODE', 'INVALID_REFRESH_TOKEN', 'INVALID_ACCESS_TOKEN'), fc.string()), fc.constantFrom(...outcomes), fc.nat(5), (phase, code, outcome, reconsults) => {
    const action = decideOnFailure({ phase, code, ...(outcome ? { outcome } : {}), reconsultsSoFar: reconsults, maxReconsults: 3 });
    // A refresh never ends in FAILED: the token is kept and either parked or handed to the customer.
    if (phase === 'refresh') return action.kind === 'needs-attention' || action.kind === 'reauth-required';
    if (phase === 'revoke') return action.kind === 'needs-attention' || action.kind === 'already-revoked';
    return action.kind !== 'record-and-continue' && action.kind !== 'already-revoked';
  }));
  t.pass();
});

// ---------- issue 15 item 8: one result table ----------

const REFERENCE_CODES = [...new Set([...Object.keys(ANTOM_APPLY_TOKEN_CODES), ...Object.keys(ALIPAY_PLUS_APPLY_TOKEN_CODES), ...Object.keys(RESULT_CODES)])]
  .filter((code) => code !== 'SUCCESS');
const ENDPOINT_OF: Record<Exclude<FailurePhase, 'projection'>, { antom: EndpointName; alipayplus: EndpointName }> = {
  consult: { antom: 'consult', alipayplus: 'prepare' },
  authCodeApply: { antom: 'applyToken', alipayplus: 'applyToken' },
  refresh: { antom: 'applyToken', alipayplus: 'applyToken' },
  revoke: { antom: 'revoke', alipayplus: 'cancelToken' },
};

/** The outcome the activity attaches for a verified result with this code (the real error → failure path). */
function attachedOutcome(endpoint: EndpointName, code: string): FailureOutcome | undefined {
  const status = RESULT_CODES[code]?.status ?? 'F';
  const error = errorForResult(endpoint, { resultStatus: status, resultCode: code });
  const failure = toActivityFailure(error, endpoint, 'antom') as ApplicationFailure;
  return (failure.details?.[0] as ActivityFailureDetails | undefined)?.outcome;
}

test('every code of the reference documents\' tables maps to exactly one action per phase, whichever way it arrives', (t) => {
  for (const phase of PHASES) for (const code of REFERENCE_CODES) {
    const actions = new Set<string>();
    for (const platform of ['antom', 'alipayplus'] as const) {
      const outcome = attachedOutcome(ENDPOINT_OF[phase as Exclude<FailurePhase, 'projection'>][platform], code);
      for (const facts of [{ outcome }, {}]) {
        actions.add(JSON.stringify(decideOnFailure({ ...base, phase, code, ...(facts.outcome ? { outcome: facts.outcome } : {}) })));
      }
    }
    t.is(actions.size, 1, `${phase} ${code}: ${[...actions].join(' vs ')}`);
  }
});

test('the four codes the two tables disagreed on: documented actions ("contact support" → parked; revoke: already gone)', (t) => {
  for (const code of ['OAUTH_FAILED', 'NO_PAY_OPTIONS', 'PAYMENT_NOT_QUALIFIED']) {
    for (const phase of PHASES) t.is(decide(phase, code), 'needs-attention', `${phase} ${code}`);
  }
  t.is(decide('authCodeApply', 'OAUTH_FAILED', attachedOutcome('applyToken', 'OAUTH_FAILED')), 'needs-attention', 'no re-consult branch: the activity and the table agree');
  t.is(decide('refresh', 'INVALID_ACCESS_TOKEN'), 'needs-attention');
  t.is(decide('authCodeApply', 'INVALID_ACCESS_TOKEN'), 'needs-attention');
  t.is(decide('revoke', 'INVALID_ACCESS_TOKEN', attachedOutcome('revoke', 'INVALID_ACCESS_TOKEN')), 'already-revoked');
});

test('local failure types classify the same with or without the details the activity attaches', (t) => {
  for (const [code, outcome] of Object.entries(LOCAL_FAILURE_OUTCOMES)) {
    t.is(classifyCode(code), outcome, code);
    for (const phase of PHASES) t.deepEqual(decideOnFailure({ ...base, phase, code }), decideOnFailure({ ...base, phase, code, outcome }), `${phase} ${code}`);
  }
});
