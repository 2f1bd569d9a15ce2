/**
 * The `request-time` header of a request or notification (antom-api.md §1): Antom's examples send epoch milliseconds
 * as a string (`1685599933871`), Alipay+'s an ISO 8601 date-time with offset. Both are accepted; anything else is not
 * a time. The header is part of the signed string, so once the signature verifies this is the sender's own clock.
 *
 *   parseRequestTime(text) → epoch ms | undefined
 *   requestTimeProblem(text, nowMs, toleranceMs) → undefined when within ±toleranceMs of now, else what is wrong
 */
import { parseIsoInstant } from './isoInstant';

/** 12 or 13 digits: epoch ms from 1973 to 2286, the "accurate to milliseconds" the overview asks for. */
const EPOCH_MS = /^\d{12,13}$/;

export function parseRequestTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_MS.test(trimmed)) return Number(trimmed);
  return parseIsoInstant(trimmed)?.epochMs;
}

/** Why a request-time is refused (no echo of the value beyond its offset from now), or undefined when accepted. */
export function requestTimeProblem(text: string, nowMs: number, toleranceMs: number): string | undefined {
  const at = parseRequestTime(text);
  if (at === undefined) return 'request-time is not epoch milliseconds or an ISO 8601 date-time with offset';
  const skew = at - nowMs;
  if (Math.abs(skew) <= toleranceMs) return undefined;
  return `request-time is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'in the past' : 'in the future'}, beyond the accepted ${Math.round(toleranceMs / 1000)} s`;
}
