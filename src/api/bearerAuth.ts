/**
 * Bearer-key authentication for the backend and codec routes. The configured keys are hashed once; a presented key
 * is hashed and compared with every configured digest by crypto.timingSafeEqual (equal lengths by construction), with
 * no early exit, so timing reveals neither which key nor how much of one matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './httpErrors';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export type BearerCheck = (request: FastifyRequest) => void;

/** Returns a preHandler-style check that throws a 401 ApiError unless the request carries one of `keys`. */
export function bearerKeyCheck(keys: readonly string[]): BearerCheck {
  const digests = keys.map(digest);
  const challenge = { 'www-authenticate': 'Bearer realm="antom-auth"' };
  return (request) => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || header.length === 0) {
      throw new ApiError(401, 'unauthenticated', 'missing Authorization: Bearer <api key>', challenge);
    }
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError(401, 'unauthenticated', 'Authorization must be "Bearer <api key>"', challenge);
    const presented = digest(match[1]!);
    let matched = false;
    for (const known of digests) matched = timingSafeEqual(presented, known) || matched;
    if (!matched) throw new ApiError(401, 'unauthenticated', 'unknown API key', challenge);
  };
}
