/**
 * The service's structured logger (pino JSON). Secrets are redacted by path wherever they could appear in a logged
 * object — tokens, refresh tokens, authCodes, keys, bearer headers — so a careless `log.info({ body })` still cannot
 * leak them. Free-text messages must never interpolate secrets; `maskSecret` exists for the rare display need.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

const SECRET_FIELDS = [
  'accessToken',
  'refreshToken',
  'authCode',
  'privateKey',
  'agentToken',
  'agent-token',
  'authorization',
  'signature',
  'apiKey',
  'apiKeys',
  'encryptionKeys',
];

/** Redaction paths: each secret field at the top level and up to three levels deep, plus HTTP headers. */
export const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`].map((p) => (f.includes('-') ? p.replace(f, `["${f}"]`) : p))),
  'req.headers.authorization',
  'req.headers["agent-token"]',
  'req.headers.signature',
];

export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'antom-auth',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Error objects may carry request bodies from libraries; log type and message only.
      serializers: { err: (e: unknown) => (e instanceof Error ? { type: e.name, message: e.message } : e) },
    },
    destination,
  );
}

/** Shows the first 4 and last 2 characters of a secret for correlation in logs, never more than a third of it. */
export function maskSecret(value: string | undefined | null): string {
  if (!value) return '';
  if (value.length < 18) return '*'.repeat(value.length);
  return `${value.slice(0, 4)}…${value.slice(-2)}`;
}

export type { Logger };
