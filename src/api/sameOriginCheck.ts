/**
 * CSRF defence for the cookie-setting forms (POST /codec/session, /codec/logout): a state-changing request from a
 * browser must come from a page of this API itself. Browsers tell us where a request comes from, and a page cannot
 * forge either header:
 *
 *   Sec-Fetch-Site   (all current browsers)  only `same-origin` (our own login page) or `none` (typed by the user) pass;
 *                    `same-site` (e.g. the Temporal UI on another port) and `cross-site` are refused;
 *   Origin           (browsers without Fetch Metadata send it on every POST)  must be PUBLIC_BASE_URL's origin or
 *                    the origin the request's own Host header names; `null` (sandboxed frames, opaque redirects) is
 *                    refused.
 *
 * A request with neither header does not come from a browser (curl, a script with the bearer key): nothing rides on
 * ambient credentials there, so it passes. Stateless, no token in the form and no extra cookie — which is why this
 * is written here instead of @fastify/csrf-protection (see the README's "Libraries and why").
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from './httpErrors';

const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none']);

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Why `request` looks cross-site, or undefined when it may proceed. */
export function crossSiteReason(request: Pick<FastifyRequest, 'headers'>, publicOrigin: string): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    return ALLOWED_FETCH_SITES.has(site.toLowerCase()) ? undefined : `Sec-Fetch-Site: ${site.slice(0, 20)}`;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  const presented = originOf(origin);
  if (presented === undefined) return 'an opaque or malformed Origin';
  if (presented === publicOrigin) return undefined;
  const host = request.headers.host;
  if (typeof host === 'string' && new URL(presented).host === host.toLowerCase()) return undefined;
  return 'a foreign Origin';
}

/** An onRequest hook refusing cross-site requests with 403 `cross-site-request` (no request detail echoed). */
export function sameOriginOnly(publicBaseUrl: string): (request: FastifyRequest) => Promise<void> {
  const publicOrigin = new URL(publicBaseUrl).origin;
  return async (request) => {
    const reason = crossSiteReason(request, publicOrigin);
    if (reason === undefined) return;
    request.log.info({ reason, url: request.routeOptions.url }, 'cross-site request refused');
    throw new ApiError(403, 'cross-site-request', 'this form only accepts requests from its own page (open /codec/login on this API)');
  };
}
