/**
 * ISO 8601 date-times as Antom sends them (`2019-06-06T12:12:12+08:00`), parsed into an instant that keeps the
 * original text, so the offset the wallet used is never lost and a value can be written back byte-identical.
 *
 *   parseIsoInstant(text: string): IsoInstant | undefined
 *
 * Accepted: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm)` (T/Z in either case). Rejected: a missing offset
 * (a local time is ambiguous for a deadline), impossible dates (Feb 30), hours ≥24, leap seconds, offsets beyond
 * ±18:00 — anything we could only guess about. Pure; `IsoInstant` is plain JSON, safe in workflow state.
 */

export interface IsoInstant {
  /** Milliseconds since the Unix epoch (fractions beyond ms are truncated). */
  readonly epochMs: number;
  /** The text exactly as received. */
  readonly iso: string;
  /** The offset east of UTC in minutes (`+08:00` → 480, `Z` → 0). */
  readonly offsetMinutes: number;
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

const MAX_OFFSET_MINUTES = 18 * 60;

export function parseIsoInstant(text: string): IsoInstant | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHour, offsetMinute] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;

  let offsetMinutes = 0;
  if (zulu === undefined) {
    const oh = Number(offsetHour);
    const om = Number(offsetMinute);
    if (om > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return undefined;
  }
  const ms = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const utc = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  utc.setUTCFullYear(y);
  const epochMs = utc.getTime() - offsetMinutes * 60_000;
  return { epochMs, iso: text, offsetMinutes };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
