// The request-time header: epoch ms (Antom) or ISO 8601 with offset (Alipay+), judged against a tolerance window.
import test from 'ava';
import fc from 'fast-check';
import { parseRequestTime, requestTimeProblem } from '../../src/antom/requestTime';

const NOW = Date.parse('2026-06-01T12:00:00Z');

test('both documented forms parse to the same instant', (t) => {
  t.is(parseRequestTime('1685599933871'), 1685599933871);
  t.is(parseRequestTime('2019-04-04T14:08:56+05:30'), Date.parse('2019-04-04T08:38:56Z'));
  t.is(parseRequestTime(' 2026-06-01T12:00:00.250Z '), NOW + 250);
});

test('anything else is not a time: 0, seconds, a date without offset, words, negative numbers', (t) => {
  for (const text of ['0', '', '1685599933', '2026-06-01T12:00:00', 'yesterday', '-1685599933871', '1685599933871.5', '99999999999999']) {
    t.is(parseRequestTime(text), undefined, text);
  }
});

test('the window is inclusive and symmetric; the problem says which way and by how much, never the value', (t) => {
  t.is(requestTimeProblem(String(NOW - 300_000), NOW, 300_000), undefined);
  t.is(requestTimeProblem(String(NOW + 300_000), NOW, 300_000), undefined);
  t.is(requestTimeProblem(String(NOW - 300_001), NOW, 300_000), 'request-time is 300 s in the past, beyond the accepted 300 s');
  t.is(requestTimeProblem(String(NOW + 3_600_000), NOW, 300_000), 'request-time is 3600 s in the future, beyond the accepted 300 s');
  t.regex(requestTimeProblem('1999-01-01T00:00:00Z', NOW, 300_000)!, /in the past/);
});

test('property: accepted exactly when |time - now| <= tolerance', (t) => {
  fc.assert(fc.property(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 1_000, max: 5_000_000 }), (offset, tolerance) => {
    return (requestTimeProblem(String(NOW + offset), NOW, tolerance) === undefined) === (Math.abs(offset) <= tolerance);
  }));
  t.pass();
});
