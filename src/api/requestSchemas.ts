/**
 * The shapes the HTTP API accepts, checked with zod, and `parseOrThrow` turning a failed check into a 400 that names
 * each field and rule broken — never the submitted value (it may be an authCode).
 */
import { z } from 'zod';
import { OS_TYPES, TERMINAL_TYPES } from '../antom/models';
import { AUTHORIZATION_STATES } from '../workflows/definitions';
import { CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE, MERCHANT_ID_PATTERN, MERCHANT_ID_RULE, WALLET_PATTERN, WALLET_RULE } from '../workflows/authorizationIdentity';
import { ApiError } from './httpErrors';

/** Wallet codes and customer ids: the one rule the library and the workflow id share (authorizationIdentity). */
export const walletSchema = z.string().regex(WALLET_PATTERN, WALLET_RULE);
export const customerIdSchema = z.string().regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE);

export const authorizationParamsSchema = z.object({ wallet: walletSchema, customerId: customerIdSchema }).strict();

export const linkBodySchema = z
  .object({
    wallet: walletSchema,
    customerId: customerIdSchema,
    /** Whose customer (MERCHANTS_FILE id); absent: the default merchant. */
    merchant: z.string().regex(MERCHANT_ID_PATTERN, MERCHANT_ID_RULE).optional(),
    /** Absent: the merchant's platform (antom for the default merchant). */
    profile: z.enum(['antom', 'alipayplus']).optional(),
    terminalType: z.enum(TERMINAL_TYPES).default('WEB'),
    osType: z.enum(OS_TYPES).optional(),
    osVersion: z.string().min(1).max(16).optional(),
    merchantRegion: z.enum(['US', 'JP', 'PK', 'SG']).optional(),
    authClientId: z.string().min(1).max(64).optional(),
    merchantAccountId: z.string().min(1).max(64).optional(),
    /** A fresh authorization URL even though the current one is still open (the customer says it does not work). */
    newConsult: z.boolean().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.terminalType !== 'WEB' && !body.osType) {
      ctx.addIssue({ code: 'custom', path: ['osType'], message: `required when terminalType is ${body.terminalType}` });
    }
    if (body.profile === 'alipayplus' && !body.authClientId) {
      ctx.addIssue({ code: 'custom', path: ['authClientId'], message: 'required for the alipayplus profile' });
    }
  });
export type LinkBody = z.infer<typeof linkBodySchema>;

export const reasonBodySchema = z.object({ reason: z.string().max(256).optional() }).strict();
export const noteBodySchema = z.object({ note: z.string().max(256).optional() }).strict();

const isoInstant = z.string().refine((value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 time');

export const expiringQuerySchema = z
  .object({
    before: isoInstant,
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Comma-separated states, e.g. NEEDS_ATTENTION,REAUTH_REQUIRED: only those (the projection's state). */
    state: z
      .string()
      .optional()
      .transform((v) => (v === undefined || v === '' ? undefined : v.split(',')))
      .pipe(z.array(z.enum(AUTHORIZATION_STATES)).optional()),
  })
  .strict();

/**
 * The wallet redirect's query. authCode ≤ 128 (newer docs), authState ≤ 256 (consult); both printable ASCII
 * without spaces — what Antom issues and what our consult generates.
 */
export const walletReturnQuerySchema = z.object({
  authCode: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable characters'),
  authState: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must be 1-256 printable characters'),
});

/** Field names come from the client: shown, but bounded and printable so an error stays readable. */
function fieldName(key: string): string {
  const printable = key.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}

export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, where: 'body' | 'query' | 'path'): T {
  if (where === 'body' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new ApiError(400, 'invalid-request', 'body must be a JSON object');
  }
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${where}.${fieldName(key)}: unknown field`).join('; ');
    const field = issue.path.length > 0 ? issue.path.join('.') : '(value)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message;
    return `${where}.${field}: ${message}`;
  });
  throw new ApiError(400, 'invalid-request', problems.join('; '));
}

/** POST /operator/retry: which NEEDS_ATTENTION authorizations to retry; values go into a visibility query. */
export const attentionFilterBodySchema = z
  .object({
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be a result code like UNKNOWN_EXCEPTION').optional(),
    wallet: walletSchema.optional(),
    phase: z.enum(['consult', 'authCodeApply', 'refresh', 'revoke']).optional(),
    note: z.string().max(500).optional(),
  })
  .strict();

/** GET /operator/notifications/unrouted?limit=… */
export const unroutedQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
