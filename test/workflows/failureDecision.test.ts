import test from 'ava';
import fc from 'fast-check';
import { classifyCode, decideOnFailure, type FailureFacts, type FailurePhase } from '../../src/workflows/failureDecision';
import type { FailureOutcome } from '../../src/workflows/activityContract';

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
