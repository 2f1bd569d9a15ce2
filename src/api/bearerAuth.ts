/**
 * Bearer-key authentication and scopes for the keyed routes. The configured keys (API_KEYS, src/apiKeys.ts) are
 * hashed once; a presented key is hashed and compared with every configured digest by crypto.timingSafeEqual (equal
 * lengths by construction), with no early exit, so timing reveals neither which key nor how much of one matched.
 *
 * Each keyed route declares the scopes that admit it in its route config (`{ config: { scopes: ['authorizations'] } }`,
 * any one of them suffices). `bearerKeyCheck` runs on request, before the body is read: no or an unknown key → 401;
 * a known key without any of the route's scopes → 403 `insufficient-scope` naming the missing scope and the key's id
 * (never the key). A keyed route that declares no scope is refused to every key (deny by default).
 * The key that passed is kept for the request (`authenticatedKeyOf`), e.g. for the token-read audit line.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiKey, ApiScope } from '../apiKeys';
import { ApiError } from './httpErrors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API key scopes that admit this route (any one of them); keyed routes must declare it. */
    scopes?: readonly ApiScope[];
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
const CHALLENGE = 'Bearer realm="antom-auth"';

export type BearerCheck = (request: FastifyRequest) => void;

/** Returns the configured key `presented` is, or undefined; every key is compared, whatever matched. */
export function apiKeyMatcher(keys: readonly ApiKey[]): (presented: string) => ApiKey | undefined {
  const digests = keys.map((key) => digest(key.secret));
  return (presented) => {
    const candidate = digest(presented);
    let found: ApiKey | undefined;
    digests.forEach((known, i) => {
      found = timingSafeEqual(candidate, known) ? keys[i] : found;
    });
    return found;
  };
}

/** The key of an `Authorization: Bearer <key>` header, or undefined when there is no such header. */
export function bearerKeyIn(header: string | undefined): string | undefined {
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

const authenticated = new WeakMap<FastifyRequest, ApiKey>();

/** The API key this request authenticated with (after bearerKeyCheck or scopeCheck passed), if any. */
export function authenticatedKeyOf(request: FastifyRequest): ApiKey | undefined {
  return authenticated.get(request);
}

/** Whether `key` has one of `scopes`. */
export const keyAdmits = (key: ApiKey, scopes: readonly ApiScope[]): boolean => scopes.some((scope) => key.scopes.includes(scope));

/** The 403 for a known key that lacks every one of `scopes`. */
export function insufficientScope(key: ApiKey, scopes: readonly ApiScope[]): ApiError {
  const needed = scopes.length === 0 ? 'none is declared for this route' : scopes.join(' or ');
  return new ApiError(403, 'insufficient-scope', `the API key "${key.id}" lacks the scope this route needs: ${needed}`, {
    'www-authenticate': `${CHALLENGE}, error="insufficient_scope", scope="${scopes.join(' ')}"`,
  });
}

/** Records `key` for the request and throws a 403 unless it has one of `scopes`. */
export function requireScopes(request: FastifyRequest, key: ApiKey, scopes: readonly ApiScope[]): void {
  authenticated.set(request, key);
  if (!keyAdmits(key, scopes)) throw insufficientScope(key, scopes);
}

/**
 * Returns a request check (run it as an onRequest hook, before the body is read) that throws a 401 ApiError unless
 * the request carries one of `keys`, and a 403 unless that key has one of the route's declared scopes.
 */
export function bearerKeyCheck(keys: readonly ApiKey[]): BearerCheck {
  const match = apiKeyMatcher(keys);
  const challenge = { 'www-authenticate': CHALLENGE };
  return (request) => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || header.length === 0) {
      throw new ApiError(401, 'unauthenticated', 'missing Authorization: Bearer <api key>', challenge);
    }
    const presented = bearerKeyIn(header);
    if (presented === undefined) throw new ApiError(401, 'unauthenticated', 'Authorization must be "Bearer <api key>"', challenge);
    const key = match(presented);
    if (key === undefined) throw new ApiError(401, 'unauthenticated', 'unknown API key', challenge);
    requireScopes(request, key, request.routeOptions.config.scopes ?? []);
  };
}
