/**
 * Antom writes times as ISO 8601 with an explicit offset (`2019-04-04T14:08:56+05:30`), never `Z`; the sandbox does
 * the same so clients are tested on offset parsing, and it accepts request-time as epoch ms or ISO 8601 like Antom.
 */

/** Formats epoch ms as ISO 8601 with the given UTC offset in minutes (seconds precision, as in Antom's examples). */
export function formatIsoWithOffset(epochMs: number, offsetMinutes: number): string {
  const shifted = new Date(epochMs + offsetMinutes * 60_000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const year = shifted.getUTCFullYear();
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : String(year);
  return (
    `${yearText}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

const EPOCH_MS = /^\d{10,16}$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Parses a request-time header: epoch milliseconds as digits, or ISO 8601 with a zone. Undefined when neither. */
export function parseRequestTime(value: string): number | undefined {
  const text = value.trim();
  if (EPOCH_MS.test(text)) return Number(text);
  if (ISO_WITH_ZONE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
