/**
 * POST /codec/decode and /codec/encode — the Temporal codec-server protocol, so operators can read encrypted payloads
 * in the Temporal UI (codec endpoint setting) or CLI (`--codec-endpoint … --codec-auth "Bearer <key>"`).
 * Authenticated (decoding shows tokens) by an API bearer key, or by an operator session cookie: the UI can send no
 * bearer key of ours, only cookies ("include cross-origin credentials"), so GET /codec/login lets an operator trade an
 * API key for a session (codecSession.ts) with POST /codec/session, and POST /codec/logout drops it.
 *
 * CORS (decode/encode only) admits only the UI's origin, with credentials, and the preflight itself needs no key
 * (browsers send none with it). @fastify/cors does it, registered in the codec scope only (prefix /codec): its
 * preflight route is `OPTIONS /codec/*` there, never the rest of the API, and its delegator answers CORS for
 * decode/encode only, so no other origin may sign in or out cross-origin.
 *
 * POST /codec/session takes the key as `Authorization: Bearer <key>` (scripts; answers JSON {expiresAt}) or as the
 * `apiKey` field of the login page's form (answers 303 back to the login page, which shows the session).
 * It and POST /codec/logout set cookies, so a browser may call them from this API's own pages only (CSRF:
 * sameOriginCheck.ts — Sec-Fetch-Site / Origin; 403 otherwise). The login page's security headers (CSP by hash, no
 * framing) come from @fastify/helmet, registered in app.ts.
 */
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DecryptionFailedError } from '../codec/aesGcm';
import { CodecRequestError, decodeCodecRequest, encodeCodecRequest } from '../codec/codecEndpoint';
import { EncryptedPayloadError } from '../codec/encryptionCodec';
import { UnknownEncryptionKeyError } from '../codec/keyRing';
import type { ApiKey, ApiScope } from '../apiKeys';
import { apiKeyMatcher, bearerKeyCheck, bearerKeyIn, insufficientScope, keyAdmits, requireScopes } from './bearerAuth';
import { CODEC_LOGIN_PAGE_CSP_DIRECTIVES, codecLoginPage } from './codecLoginPage';
import {
  CodecSessions,
  sessionClearCookie,
  sessionCookiePolicy,
  sessionSetCookie,
  sessionTokensIn,
  type CodecSessionOptions,
} from './codecSession';
import { ApiError } from './httpErrors';
import { sameOriginOnly } from './sameOriginCheck';

/** 4 MiB: a UI page decodes one history event's payloads at a time; Temporal caps a payload at 2 MiB by default. */
export const CODEC_BODY_LIMIT = 4 * 1024 * 1024;
/** The sign-in and sign-out forms carry one API key at most. */
const FORM_BODY_LIMIT = 4 * 1024;
/** A browser sends one session cookie per matching path; more than a few is not a browser. */
const MAX_SESSION_COOKIES = 4;

export interface CodecRoutesOptions {
  readonly codec: PayloadCodec;
  /** The API's bearer keys (API_KEYS): those with the operator scope are accepted directly and may sign in. */
  readonly apiKeys: readonly ApiKey[];
  /** PUBLIC_BASE_URL: decides the cookie's path and whether it is cross-site capable (https). */
  readonly publicBaseUrl: string;
  /** The Temporal UI's origin (CODEC_CORS_ORIGIN). */
  readonly corsOrigin: string;
  readonly logger: Logger;
  readonly sessions?: CodecSessionOptions;
}

/** The parsed body of the login page's forms (application/x-www-form-urlencoded). */
class LoginForm {
  constructor(readonly apiKey: string | undefined) {}
}

const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
/** The login page's CSP: its own style by hash, forms to this origin, no script, no framing (helmet sets it). */
const LOGIN_PAGE_HELMET = { contentSecurityPolicy: { useDefaults: false, directives: CODEC_LOGIN_PAGE_CSP_DIRECTIVES } };
/** The two routes the Temporal UI calls cross-origin; nothing else under /codec answers CORS. */
const CORS_PATHS = new Set(['/codec/decode', '/codec/encode']);
const CHALLENGE = { 'www-authenticate': 'Bearer realm="antom-auth"' };
/** Decoding shows tokens and encoding is an encryption oracle: the codec and its sessions are for operators only. */
const OPERATOR: readonly ApiScope[] = ['operator'];

export async function codecRoutes(app: FastifyInstance, options: CodecRoutesOptions): Promise<void> {
  const allowed = options.corsOrigin;
  const now = options.sessions?.now ?? Date.now;
  const sessions = new CodecSessions(options.apiKeys, options.sessions ?? {});
  const cookiePolicy = sessionCookiePolicy(options.publicBaseUrl);
  const matchKey = apiKeyMatcher(options.apiKeys);
  const bearerOnly = bearerKeyCheck(options.apiKeys);
  const loginUrl = `${options.publicBaseUrl}/codec/login`;

  // The UI's origin may read the answer (including a 401) and send its cookies; any other origin gets no CORS headers.
  const corsFor = (request: FastifyRequest): FastifyCorsOptions => {
    if (!CORS_PATHS.has(request.url.split('?')[0]!)) return { origin: false };
    return {
      origin: (origin, done) => done(null, origin === allowed ? allowed : false),
      credentials: true,
      methods: ['POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-namespace'],
      maxAge: 600,
      // A bare OPTIONS is answered like any other route, not with the plugin's text/plain 400.
      strictPreflight: false,
    };
  };

  /** A session that verifies, from any of the request's session cookies; `present` tells a bad cookie from none. */
  const sessionOf = async (request: FastifyRequest): Promise<{ present: boolean; expiresAt?: Date }> => {
    const tokens = sessionTokensIn(request.headers.cookie).slice(0, MAX_SESSION_COOKIES);
    for (const token of tokens) {
      const check = await sessions.verify(token);
      if (check.valid) return { present: true, expiresAt: check.expiresAt };
      // An expired session is routine (the UI keeps calling after a shift ends); anything else is worth a look.
      request.log[check.reason === 'expired' ? 'debug' : 'info']({ reason: check.reason }, 'codec session cookie rejected');
    }
    return { present: tokens.length > 0 };
  };

  // An operator's bearer key or session; a UI that also passes its own (OIDC) bearer token still gets in with the
  // cookie. A known key without the operator scope gets 403 (decoding shows tokens; encoding is an encryption oracle).
  const authenticate = async (request: FastifyRequest) => {
    const presented = bearerKeyIn(request.headers.authorization);
    const key = presented === undefined ? undefined : matchKey(presented);
    if (key !== undefined && keyAdmits(key, OPERATOR)) return requireScopes(request, key, OPERATOR);
    const session = await sessionOf(request);
    if (session.expiresAt) return;
    if (session.present) {
      throw new ApiError(401, 'unauthenticated', `the codec session has expired or is invalid: sign in again at ${loginUrl}`, CHALLENGE);
    }
    if (request.headers.authorization === undefined) {
      throw new ApiError(401, 'unauthenticated', `missing Authorization: Bearer <api key> or a codec session (sign in at ${loginUrl})`, CHALLENGE);
    }
    if (key !== undefined) throw insufficientScope(key, OPERATOR);
    bearerOnly(request);
  };

  const run = async (work: () => Promise<unknown>) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CodecRequestError) throw new ApiError(400, 'invalid-codec-request', error.message);
      // These name a key id at most, never data: safe to tell the operator why a payload stays unreadable.
      if (error instanceof UnknownEncryptionKeyError || error instanceof EncryptedPayloadError || error instanceof DecryptionFailedError) {
        throw new ApiError(422, 'undecodable-payload', error.message);
      }
      throw error;
    }
  };
  // Authenticated on request, before up to CODEC_BODY_LIMIT of body is read and parsed; CORS (a plugin hook of this
  // scope) runs first so the UI can read a 401.
  await app.register(async (scope) => {
    await scope.register(fastifyCors, { delegator: (request, done) => done(null, corsFor(request)) });
    const routeOptions = { bodyLimit: CODEC_BODY_LIMIT, onRequest: authenticate, config: { scopes: OPERATOR } };
    scope.post('/decode', routeOptions, async (request) => run(() => decodeCodecRequest(options.codec, request.body)));
    scope.post('/encode', routeOptions, async (request) => run(() => encodeCodecRequest(options.codec, request.body)));
  }, { prefix: '/codec' });

  // Sign-in pages in their own scope, so the form parser exists for them only.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
      const apiKey = new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8')).get('apiKey')?.trim();
      done(null, new LoginForm(apiKey === '' ? undefined : apiKey));
    });
    const page = (reply: FastifyReply, signedInUntil: Date | undefined, error?: string) =>
      reply.headers(PAGE_HEADERS).send(codecLoginPage({
        codecEndpoint: `${options.publicBaseUrl}/codec`,
        uiOrigin: allowed,
        sessionHours: sessions.lifetimeMs / 3_600_000,
        ...(signedInUntil ? { signedInUntil } : {}),
        ...(error ? { error } : {}),
      }));

    scope.get('/codec/login', { helmet: LOGIN_PAGE_HELMET }, async (request, reply) => page(reply, (await sessionOf(request)).expiresAt));

    // Both set cookies: a browser may only post them from this API's own page (CSRF), checked before the body is read.
    const formRoute = { bodyLimit: FORM_BODY_LIMIT, onRequest: sameOriginOnly(options.publicBaseUrl), helmet: LOGIN_PAGE_HELMET };
    scope.post('/codec/session', formRoute, async (request, reply) => {
      const form = request.body instanceof LoginForm ? request.body : undefined;
      const presented = request.headers.authorization !== undefined ? bearerKeyIn(request.headers.authorization) : form?.apiKey;
      const key = presented === undefined ? undefined : matchKey(presented);
      if (key === undefined) {
        const problem = presented === undefined ? 'send an API key (Authorization: Bearer <api key>, or the apiKey form field)' : 'unknown API key';
        request.log.info({ form: form !== undefined }, 'codec sign-in refused');
        if (form) return page(reply.code(401), undefined, problem);
        throw new ApiError(401, 'unauthenticated', problem, CHALLENGE);
      }
      if (!keyAdmits(key, OPERATOR)) {
        const refusal = insufficientScope(key, OPERATOR);
        request.log.info({ apiKeyId: key.id, form: form !== undefined }, 'codec sign-in refused: no operator scope');
        if (form) return page(reply.code(403), undefined, refusal.message);
        throw refusal;
      }
      const session = await sessions.issue(key);
      request.log.info({ apiKeyId: key.id, expiresAt: session.expiresAt.toISOString() }, 'codec session opened');
      void reply.header('set-cookie', sessionSetCookie(cookiePolicy, session, now())).header('cache-control', 'no-store');
      // Relative, so it stays under the public base URL's path prefix.
      if (form) return reply.code(303).header('location', 'login').send();
      return { expiresAt: session.expiresAt.toISOString() };
    });

    scope.post('/codec/logout', formRoute, async (request, reply) => {
      void reply.header('set-cookie', sessionClearCookie(cookiePolicy)).header('cache-control', 'no-store');
      if (request.body instanceof LoginForm) return reply.code(303).header('location', 'login').send();
      return reply.code(204).send();
    });
  });
}
