// ISO 8601 expiry times (src/antom/isoInstant.ts): the instant is right, the original text is kept, and anything
// ambiguous or impossible is rejected rather than guessed.
import test from 'ava';
import fc from 'fast-check';
import { parseIsoInstant } from '../../src/antom/isoInstant';

test('offsets are applied and kept: +08:00, -05:30, Z and basic-format +0800', (t) => {
  t.deepEqual(parseIsoInstant('2019-06-06T12:12:12+08:00'), {
    epochMs: Date.UTC(2019, 5, 6, 4, 12, 12),
    iso: '2019-06-06T12:12:12+08:00',
    offsetMinutes: 480,
  });
  t.is(parseIsoInstant('2019-06-06T12:12:12-05:30')?.epochMs, Date.UTC(2019, 5, 6, 17, 42, 12));
  t.is(parseIsoInstant('2019-06-06T12:12:12-05:30')?.offsetMinutes, -330);
  t.is(parseIsoInstant('2019-06-06T04:12:12Z')?.epochMs, Date.UTC(2019, 5, 6, 4, 12, 12));
  t.is(parseIsoInstant('2019-06-06T12:12:12+0800')?.epochMs, Date.UTC(2019, 5, 6, 4, 12, 12));
});

test('fractions of a second are honoured to the millisecond', (t) => {
  t.is(parseIsoInstant('2030-01-01T00:00:00.5Z')?.epochMs, Date.UTC(2030, 0, 1, 0, 0, 0, 500));
  t.is(parseIsoInstant('2030-01-01T00:00:00.123456789+00:00')?.epochMs, Date.UTC(2030, 0, 1, 0, 0, 0, 123));
});

test('the far-future lifetimes wallets use (AlipayHK 2038, KakaoPay ~100 y) parse exactly', (t) => {
  t.is(parseIsoInstant('2038-01-19T03:14:08Z')?.epochMs, 2 ** 31 * 1000);
  t.is(parseIsoInstant('2125-03-01T00:00:00+09:00')?.epochMs, Date.UTC(2125, 2, 1) - 9 * 3_600_000);
});

test('ambiguous or impossible times are rejected', (t) => {
  for (const text of [
    '2019-06-06T12:12:12', // no offset: local to whom?
    '2019-06-06 12:12:12+08:00',
    '2019-06-06',
    '1559794332000', // epoch millis are not ISO 8601
    '2019-02-29T00:00:00Z', // not a leap year
    '2019-04-31T00:00:00Z',
    '2019-13-01T00:00:00Z',
    '2019-06-06T24:00:00Z',
    '2019-06-06T23:60:00Z',
    '2019-06-06T23:59:60Z', // leap seconds are not representable
    '2019-06-06T12:12:12+19:00',
    '2019-06-06T12:12:12+08:60',
    ' 2019-06-06T12:12:12Z',
    '',
  ]) {
    t.is(parseIsoInstant(text), undefined, text);
  }
  t.truthy(parseIsoInstant('2020-02-29T00:00:00Z'));
  t.truthy(parseIsoInstant('2000-02-29T00:00:00Z'));
  t.is(parseIsoInstant('1900-02-29T00:00:00Z'), undefined);
});

test('property: any instant formatted with any whole-minute offset parses back to the same instant and text', (t) => {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
      fc.integer({ min: -18 * 60, max: 18 * 60 }),
      (epochMs, offsetMinutes) => {
        const wholeSeconds = Math.floor(epochMs / 1000) * 1000;
        const local = new Date(wholeSeconds + offsetMinutes * 60_000).toISOString().slice(0, 19);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const text = `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
        const parsed = parseIsoInstant(text);
        return parsed !== undefined && parsed.epochMs === wholeSeconds && parsed.iso === text && parsed.offsetMinutes === offsetMinutes;
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});
