import test from 'ava';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { summarizeActivityFailure } from '../../src/workflows/activityFailure';

const wrap = (cause: Error) => new ActivityFailure('failed', 'applyToken', '1', RetryState.NON_RETRYABLE_FAILURE, 'identity', cause);

test('an F result: code from the failure type, outcome from details', (t) => {
  const failure = ApplicationFailure.create({ type: 'INVALID_REFRESH_TOKEN', nonRetryable: true, details: [{ outcome: 'customer-final', resultCode: 'INVALID_REFRESH_TOKEN' }] });
  t.deepEqual(summarizeActivityFailure(wrap(failure)), { code: 'INVALID_REFRESH_TOKEN', outcome: 'customer-final' });
});

test('a spent time budget is an unknown outcome carrying the last attempt code', (t) => {
  const last = ApplicationFailure.create({ type: 'UNKNOWN_EXCEPTION', details: [{ outcome: 'unknown-retry', resultCode: 'UNKNOWN_EXCEPTION' }] });
  const timeout = new TimeoutFailure('schedule to close', undefined, TimeoutType.SCHEDULE_TO_CLOSE);
  Object.defineProperty(timeout, 'cause', { value: last });
  t.deepEqual(summarizeActivityFailure(wrap(timeout)), { code: 'UNKNOWN_EXCEPTION', outcome: 'unknown-retry' });
  t.deepEqual(summarizeActivityFailure(wrap(new TimeoutFailure('t', undefined, TimeoutType.START_TO_CLOSE))), { code: 'TIMEOUT', outcome: 'unknown-retry' });
});

test('garbage details are ignored, not trusted', (t) => {
  const failure = ApplicationFailure.create({ type: 'X', details: [{ outcome: 'whatever' }] });
  t.deepEqual(summarizeActivityFailure(wrap(failure)), { code: 'X' });
  t.deepEqual(summarizeActivityFailure(new Error('plain')), { code: 'UNKNOWN_FAILURE' });
});
