/**
 * API keys with scopes (API_KEYS). Each comma-separated entry is either
 *
 *   <secret>                          a bare key: every scope, id `key<N>` (N = its position in the list, from 1)
 *   <id>:<scope>[+<scope>…]:<secret>  a scoped key, e.g. `payments:tokens:read:…`, `backend:authorizations:…`,
 *                                     `ops:operator+metrics:…`; the scope `*` means every scope
 *
 * A named entry is split at its FIRST colon (the id) and its LAST colon (the secret), so a scope may itself contain a
 * colon (`tokens:read`) and a secret may not. The id names the key in logs and audit lines (never the secret);
 * ids are 1–64 of `A–Z a–z 0–9 _ -` and unique. Secrets are at least 16 characters, without `,`, `:` or whitespace,
 * and unique. Problems name the entry's position and, for a named entry, its id — never a secret or text that might
 * be part of one (so an unknown scope is named by its position in the entry, not quoted).
 *
 * Scopes (least privilege: give each caller only what it uses):
 *   tokens:read     GET …/token — the payment path
 *   authorizations  link, read state and QR, cancel, refresh, retry, /tokens/expiring — the merchant backend
 *   operator        /codec/* (decode, encode, codec sessions), operator retry, /readyz details, /metrics
 *   metrics         /metrics and /readyz details only — a Prometheus scraper
 */
import { z } from 'zod';

export const API_SCOPES = ['tokens:read', 'authorizations', 'operator', 'metrics'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKey {
  /** Not secret: named in logs, audit lines and errors. */
  readonly id: string;
  readonly scopes: readonly ApiScope[];
  readonly secret: string;
  /** True for a bare key (no id or scopes written): it has every scope. */
  readonly bare: boolean;
}

/** A key with every scope, as a bare entry in API_KEYS (and the key `npm start` generates) means. */
export function allScopesKey(secret: string, id = 'key1'): ApiKey {
  return { id, scopes: [...API_SCOPES], secret, bare: true };
}

export const hasScope = (key: ApiKey, scope: ApiScope): boolean => key.scopes.includes(scope);

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const secretSchema = z
  .string()
  .min(16, 'the secret must be at least 16 characters')
  .regex(/^[^\s,:]+$/, 'the secret must not contain whitespace, "," or ":"');
const scopeSchema = z.union([z.enum(API_SCOPES), z.literal('*')]);

export interface ParsedApiKeys {
  readonly keys: ApiKey[];
  /** Each names an entry by position (and id), never its secret. */
  readonly problems: string[];
}

/** Parses API_KEYS. Empty text is no keys (the caller decides whether that is allowed). */
export function parseApiKeys(text: string): ParsedApiKeys {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const position = index + 1;
    if (entry === '') {
      if (entries.length > 1) problems.push(`entry ${position} is empty (a stray comma?)`);
      return;
    }
    const first = entry.indexOf(':');
    if (first < 0) {
      const secret = secretSchema.safeParse(entry);
      if (!secret.success) problems.push(`entry ${position} (a bare key): ${secret.error.issues[0]!.message}`);
      else keys.push(allScopesKey(entry, `key${position}`));
      return;
    }
    const last = entry.lastIndexOf(':');
    if (last === first) {
      problems.push(`entry ${position}: expected <id>:<scope>[+<scope>…]:<secret> (or a bare key without ":")`);
      return;
    }
    const id = entry.slice(0, first);
    if (!ID.test(id)) {
      problems.push(`entry ${position}: the id must be 1-64 characters of A-Z a-z 0-9 _ - (format <id>:<scope>[+<scope>…]:<secret>)`);
      return;
    }
    const where = `entry ${position} (id "${id}")`;
    const scopes = new Set<ApiScope>();
    entry.slice(first + 1, last).split('+').forEach((text, i) => {
      const scope = scopeSchema.safeParse(text.trim());
      if (!scope.success) {
        problems.push(`${where}: scope ${i + 1} is not one of ${[...API_SCOPES, '*'].join(', ')}`);
      } else if (scope.data === '*') {
        API_SCOPES.forEach((s) => scopes.add(s));
      } else {
        scopes.add(scope.data);
      }
    });
    const secret = secretSchema.safeParse(entry.slice(last + 1));
    if (!secret.success) problems.push(`${where}: ${secret.error.issues[0]!.message}`);
    if (scopes.size > 0 && secret.success) {
      keys.push({ id, scopes: API_SCOPES.filter((s) => scopes.has(s)), secret: secret.data, bare: false });
    }
  });
  const ids = new Set<string>();
  const secrets = new Map<string, string>();
  for (const key of keys) {
    if (ids.has(key.id)) problems.push(`the id "${key.id}" is used by more than one key`);
    ids.add(key.id);
    const twin = secrets.get(key.secret);
    if (twin !== undefined) problems.push(`keys "${twin}" and "${key.id}" have the same secret (each key needs its own)`);
    secrets.set(key.secret, key.id);
  }
  return { keys, problems };
}
