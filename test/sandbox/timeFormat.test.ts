import test from 'ava';
import fc from 'fast-check';
import { parseIsoInstant } from '../../src/antom/isoInstant';
import { formatIsoWithOffset, parseRequestTime } from '../../src/sandbox/timeFormat';

test('formats Antom-style ISO 8601 with an explicit offset', (t) => {
  t.is(formatIsoWithOffset(Date.UTC(2019, 3, 4, 8, 38, 56), 330), '2019-04-04T14:08:56+05:30');
  t.is(formatIsoWithOffset(Date.UTC(2038, 0, 19, 3, 14, 7), 480), '2038-01-19T11:14:07+08:00');
  t.is(formatIsoWithOffset(Date.UTC(2024, 0, 1, 2, 0, 0), -300), '2023-12-31T21:00:00-05:00');
});

test('property: what the sandbox writes, the client parses back to the same second', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), fc.integer({ min: -12 * 60, max: 14 * 60 }), (ms, offset) => {
      const parsed = parseIsoInstant(formatIsoWithOffset(ms, offset));
      return parsed !== undefined && parsed.epochMs === Math.floor(ms / 1000) * 1000 && parsed.offsetMinutes === offset;
    }),
  );
  t.pass();
});

test('request-time: epoch ms or ISO 8601 with a zone; anything else is refused', (t) => {
  t.is(parseRequestTime('1700000000123'), 1700000000123);
  t.is(parseRequestTime('2019-04-04T14:08:56+05:30'), Date.UTC(2019, 3, 4, 8, 38, 56));
  t.is(parseRequestTime('2019-04-04T08:38:56.250Z'), Date.UTC(2019, 3, 4, 8, 38, 56, 250));
  for (const bad of ['', 'yesterday', '2019-04-04T14:08:56', '2019-04-04', '17e11', '-1700000000000']) t.is(parseRequestTime(bad), undefined, bad);
});
