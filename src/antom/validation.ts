/**
 * The shared shape of every check in requests.ts, responses.ts and notifications.ts, and the zod building blocks
 * they use. A validator is a pure function `(input: unknown) => Validation<T>`: either the typed value or the list
 * of issues, each naming the field path inside the body (`authCode`, `env.osType`, `scopes[2]`) and the rule broken.
 * The client throws on issues (`requireValid`); the sandbox answers PARAM_ILLEGAL naming the same field.
 *
 *   type Validation<T> = { ok: true, value: T } | { ok: false, messageName, issues: ValidationIssue[] }
 *   formatIssues(messageName, issues) → "applyToken.authCode: required when grantType is AUTHORIZATION_CODE; …"
 *   requireValid(validation) → value, or throws RequestValidationError
 *
 * Problems never quote the offending value: it may be a token or an authCode.
 */
import { z } from 'zod';
import { RequestValidationError } from './errors';
import { parseIsoInstant, type IsoInstant } from './isoInstant';

export { RequestValidationError } from './errors';

export interface ValidationIssue {
  /** Path inside the message body, e.g. `authCode`, `env.osType`, `scopes[2]`; `(body)` for the body itself. */
  readonly field: string;
  /** The rule broken, e.g. `required`, `must be at most 64 characters`. */
  readonly problem: string;
}

export type Validation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly messageName: string; readonly issues: readonly ValidationIssue[] };

export const BODY_FIELD = '(body)';

/** `consult.scopes[4]: unknown scope; consult.osType: required when terminalType is APP` */
export function formatIssues(messageName: string, issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${messageName}.${issue.field}: ${issue.problem}`).join('; ');
}

/** Unwraps a request validation for sending; a bad request never leaves the process. */
export function requireValid<T>(validation: Validation<T>): T {
  if (validation.ok) return validation.value;
  throw new RequestValidationError(validation.messageName, validation.issues);
}

/** Runs a schema and turns zod's issues into ours, worded by `problemFor` and with unknown keys split per field. */
export function runSchema<T>(messageName: string, schema: z.ZodType<T>, input: unknown): Validation<T> {
  // Every message body is a JSON object; say so plainly rather than "required" for a null body.
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, messageName, issues: [{ field: BODY_FIELD, problem: 'must be a JSON object' }] };
  }
  const parsed = schema.safeParse(input, { error: problemFor });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues: ValidationIssue[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ field: fieldPath([...issue.path, key]), problem: 'unknown field' });
    } else {
      issues.push({ field: fieldPath(issue.path), problem: issue.message });
    }
  }
  return { ok: false, messageName, issues };
}

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? BODY_FIELD : out;
}

/** Our wording for zod's built-in checks (schema-level messages, e.g. from refinements, take precedence). */
function problemFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null) return 'required';
      if (issue.expected === 'string') return 'must be a string';
      if (issue.expected === 'array') return 'must be an array';
      if (issue.expected === 'object' || issue.expected === 'record') return 'must be an object';
      return `must be of type ${issue.expected}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${count(issue.maximum, 'entry', 'entries')}`
        : `must be at most ${count(issue.maximum, 'character', 'characters')}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${count(issue.minimum, 'entry', 'entries')}`;
      return issue.minimum === 1 ? 'must not be empty' : `must be at least ${count(issue.minimum, 'character', 'characters')}`;
    case 'invalid_value': {
      if (issue.input === undefined || issue.input === null) return 'required';
      const allowed = issue.values.map(String).join('|');
      return typeof issue.input === 'string' ? `must be one of ${allowed}` : `must be a string, one of ${allowed}`;
    }
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return undefined;
  }
}

function count(n: number | bigint, one: string, many: string): string {
  return `${String(n)} ${n === 1 || n === 1n ? one : many}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

/** Optional fields may be omitted or null (antom-api.md §1) — both mean absent; the output has them undefined. */
function absentIfNull<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** A required string field; an empty string is as good as missing. */
export function requiredText(maxLength?: number) {
  const base = z.string().min(1);
  return maxLength === undefined ? base : base.max(maxLength);
}

/** An optional string field: omitted or null, never `""` (Antom may reject an empty string). */
export function optionalText(maxLength?: number) {
  const base = z.string().min(1, { error: 'must not be "" (omit the field instead)' });
  return absentIfNull(maxLength === undefined ? base : base.max(maxLength));
}

export function requiredEnum<const V extends readonly [string, ...string[]]>(values: V) {
  return z.enum(values);
}

export function optionalEnum<const V extends readonly [string, ...string[]]>(values: V) {
  return absentIfNull(z.enum(values));
}

export function optionalObject<S extends z.ZodType>(schema: S) {
  return absentIfNull(schema);
}

/** An absolute URL (any scheme: apps may redirect to their own scheme), at most `maxLength` characters. */
export function requiredUrl(maxLength: number, schemes?: readonly string[]) {
  return requiredText(maxLength).refine((value) => isAbsoluteUrl(value, schemes), {
    error: schemes === undefined ? 'must be an absolute URL' : `must be an absolute ${schemes.join('/')} URL`,
  });
}

export function optionalUrl(maxLength: number, schemes?: readonly string[]) {
  return absentIfNull(
    z
      .string()
      .min(1, { error: 'must not be "" (omit the field instead)' })
      .max(maxLength)
      .refine((value) => isAbsoluteUrl(value, schemes), {
        error: schemes === undefined ? 'must be an absolute URL' : `must be an absolute ${schemes.join('/')} URL`,
      }),
  );
}

function isAbsoluteUrl(value: string, schemes: readonly string[] | undefined): boolean {
  if (!URL.canParse(value)) return false;
  const scheme = new URL(value).protocol.slice(0, -1);
  return schemes === undefined || schemes.includes(scheme);
}

const ISO_PROBLEM = 'must be an ISO 8601 date-time with a UTC offset, e.g. 2030-06-06T12:12:12+08:00';

/** An ISO 8601 date-time with offset, parsed into an `IsoInstant` that keeps the original text. */
export function requiredInstant() {
  return z.string().transform((text, ctx): IsoInstant => {
    const instant = parseIsoInstant(text);
    if (instant === undefined) {
      ctx.addIssue({ code: 'custom', message: ISO_PROBLEM });
      return z.NEVER;
    }
    return instant;
  });
}

/**
 * Inbound optional fields (responses, notifications): omitted, null or `""` all mean absent. We must never send
 * `""`, but a gateway that sends `"refreshToken": ""` means "none", and rejecting the whole message for it would
 * turn a usable answer into a retry loop.
 */
function absentIfNullOrEmpty<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => (value === null || value === '' ? undefined : value), schema.optional());
}

export function inboundOptionalText() {
  return absentIfNullOrEmpty(z.string());
}

export function inboundOptionalInstant() {
  return absentIfNullOrEmpty(requiredInstant());
}
