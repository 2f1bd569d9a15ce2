import test from 'ava';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { decideRetry } from './retryPolicy';

const transient = { message: 'boom', applicationFailureInfo: { type: 'Transient', nonRetryable: false } };
const base = { attempt: 1, failure: transient, nowMs: 0, scheduleToCloseDeadlineMs: undefined };

test('without a policy the server defaults apply: 1 s doubling, capped at 100 s, unlimited attempts', (t) => {
  const delays = [1, 2, 3, 7, 8, 50].map((attempt) => decideRetry({ ...base, policy: undefined, attempt }));
  t.deepEqual(
    delays.map((d) => (d.retry ? d.delayMs : d.retryState)),
    [1000, 2000, 4000, 64_000, 100_000, 100_000],
  );
});

test('backoff follows initialInterval, backoffCoefficient and maximumInterval', (t) => {
  const policy = { initialInterval: '2 seconds', backoffCoefficient: 3, maximumInterval: '30 seconds' };
  const delays = [1, 2, 3, 4].map((attempt) => decideRetry({ ...base, policy, attempt }));
  t.deepEqual(delays.map((d) => (d.retry ? d.delayMs : 0)), [2000, 6000, 18_000, 30_000]);
});

test('maximumAttempts stops after the last attempt', (t) => {
  t.deepEqual(decideRetry({ ...base, policy: { maximumAttempts: 3 }, attempt: 3 }), {
    retry: false,
    retryState: 'MAXIMUM_ATTEMPTS_REACHED',
  });
  t.true(decideRetry({ ...base, policy: { maximumAttempts: 3 }, attempt: 2 }).retry);
});

test('non-retryable failures and listed error types are not retried', (t) => {
  const nonRetryable = { message: 'x', applicationFailureInfo: { type: 'Whatever', nonRetryable: true } };
  t.deepEqual(decideRetry({ ...base, policy: undefined, failure: nonRetryable }), { retry: false, retryState: 'NON_RETRYABLE_FAILURE' });
  t.deepEqual(decideRetry({ ...base, policy: { nonRetryableErrorTypes: ['Transient'] } }), {
    retry: false,
    retryState: 'NON_RETRYABLE_FAILURE',
  });
});

test('nextRetryDelay on the failure overrides the computed backoff', (t) => {
  const failure = { message: 'busy', applicationFailureInfo: { type: 'Busy', nextRetryDelay: { seconds: Long.fromNumber(3600) } } };
  t.deepEqual(decideRetry({ ...base, policy: { maximumInterval: '1 second' }, failure }), { retry: true, delayMs: 3_600_000 });
});

test('a retry that would start after the scheduleToClose deadline ends with TIMEOUT', (t) => {
  t.deepEqual(decideRetry({ ...base, policy: undefined, attempt: 3, nowMs: 10_000, scheduleToCloseDeadlineMs: 13_000 }), {
    retry: false,
    retryState: 'TIMEOUT',
  });
  t.true(decideRetry({ ...base, policy: undefined, attempt: 1, nowMs: 10_000, scheduleToCloseDeadlineMs: 13_000 }).retry);
});

test('startToClose timeouts are retried, scheduleToClose timeouts are final', (t) => {
  const { TimeoutType } = temporal.api.enums.v1;
  const startToClose = { message: 't', timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
  const scheduleToClose = { message: 't', timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE } };
  t.true(decideRetry({ ...base, policy: undefined, failure: startToClose }).retry);
  t.deepEqual(decideRetry({ ...base, policy: undefined, failure: scheduleToClose }), { retry: false, retryState: 'TIMEOUT' });
});
