/**
 * Bearer-key authentication for the backend and codec routes. The configured keys are hashed once; a presented key
 * is hashed and compared with every configured digest by crypto.timingSafeEqual (equal lengths by construction), with
 * no early exit, so timing reveals neither which key nor how much of one matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './httpErrors';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export type BearerCheck = (request: FastifyRequest) => void;

/** Returns `presented`'s index among `keys`, or -1; every key is compared, whatever matched. */
export function apiKeyMatcher(keys: readonly string[]): (presented: string) => number {
  const digests = keys.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let index = -1;
    digests.forEach((known, i) => {
      index = timingSafeEqual(candidate, known) ? i : index;
    });
    return index;
  };
}

/** The key of an `Authorization: Bearer <key>` header, or undefined when there is no such header. */
export function bearerKeyIn(header: string | undefined): string | undefined {
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

/** Returns a request check (run it as an onRequest hook, before the body is read) that throws a 401 ApiError unless the request carries one of `keys`. */
export function bearerKeyCheck(keys: readonly string[]): BearerCheck {
  const match = apiKeyMatcher(keys);
  const challenge = { 'www-authenticate': 'Bearer realm="antom-auth"' };
  return (request) => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || header.length === 0) {
      throw new ApiError(401, 'unauthenticated', 'missing Authorization: Bearer <api key>', challenge);
    }
    const presented = bearerKeyIn(header);
    if (presented === undefined) throw new ApiError(401, 'unauthenticated', 'Authorization must be "Bearer <api key>"', challenge);
    if (match(presented) < 0) throw new ApiError(401, 'unauthenticated', 'unknown API key', challenge);
  };
}
