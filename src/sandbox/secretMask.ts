/**
 * Masking for what the sandbox lists through the admin API (received requests, tokens): tokens, refresh tokens and
 * authCodes are bearer secrets, so only the logger's short mask of each is kept.
 */
import { maskSecret } from '../logger';

export { maskSecret } from '../logger';

const SECRET_FIELDS = new Set(['accessToken', 'refreshToken', 'authCode']);

/** A copy of a parsed JSON body with secret fields masked. */
export function maskSecretFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecretFields);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_FIELDS.has(key) && typeof field === 'string' ? maskSecret(field) : maskSecretFields(field);
  }
  return out;
}
