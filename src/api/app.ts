/**
 * The Fastify application, built from injected dependencies so the service (src/main.ts, src/api/server.ts) and the
 * tests (offline workflow environment, real Redis, sandbox) wire the same routes:
 *
 *   const app = await buildApi({ settings: config.api, logger, operations, store, notificationKeys, codec, metrics,
 *                                readiness, demo });
 *   await app.listen({ host, port })   // or app.inject(...) in tests
 *
 * Routes: authorizationRoutes.ts (backend, bearer), walletReturnRoute.ts, notificationRoutes.ts, codecRoutes.ts (with
 * the operator's /codec/login session),
 * healthRoutes.ts, demoRoutes.ts (only with settings.demoEnabled).
 */
import type { KeyObject } from 'node:crypto';
import type { VerificationKeys } from '../antom/signatureKeys';
import fastifyHelmet from '@fastify/helmet';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_API_LIMITS, type ApiLimits, type Config } from '../config';
import type { ServiceMetrics } from '../metrics';
import type { AuthStateIndex } from '../store/authStateIndex';
import type { NotificationDedupe } from '../store/notificationDedupe';
import type { TokenProjectionStore } from '../store/tokenProjection';
import type { UnroutedNotifications } from '../store/unroutedNotifications';
import type { NotificationSettings } from '../config';
import type { AuthorizationOperations } from './authorizationOperations';
import type { AlipayPlusResponseSigner, MerchantNotificationKeys } from './notificationSignature';
import type { Profile } from '../workflows/definitions';
import { authorizationRoutes } from './authorizationRoutes';
import { apiKeyMatcher, bearerKeyCheck, bearerKeyIn, keyAdmits } from './bearerAuth';
import { codecRoutes } from './codecRoutes';
import { demoRoutes } from './demoRoutes';
import { HEALTH_DETAIL_SCOPES, healthRoutes, type ReadinessChecks } from './healthRoutes';
import { ApiError, frameworkErrorHandler, installErrorHandling } from './httpErrors';
import { NotificationIngest } from './notificationIngest';
import { createNotificationRouter, type NotificationRouter } from './notificationRouting';
import { notificationRoutes } from './notificationRoutes';
import { unauthenticatedCap } from './unauthenticatedCap';
import { walletReturnRoute } from './walletReturnRoute';

/** 64 KiB: the largest backend request (a link) is a few hundred bytes. Codec and notification routes set their own. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Config['api']; `limits` may be left out (DEFAULT_API_LIMITS, the configuration's defaults). */
export type ApiSettings = Omit<Config['api'], 'limits'> & { readonly limits?: ApiLimits };

export interface ApiStore {
  readonly authStates: Pick<AuthStateIndex, 'get'>;
  readonly tokens: Pick<TokenProjectionStore, 'workflowIdForAccessToken'>;
  readonly dedupe: Pick<NotificationDedupe, 'deliverOnce'>;
  /** First sightings of unroutable notifications and the operators' record of acknowledged ones. */
  readonly unrouted: Pick<UnroutedNotifications, 'firstSeen' | 'record' | 'recent'>;
  /** Notification routing (Redis, then Temporal visibility); default: Redis only, from authStates and tokens. */
  readonly router?: NotificationRouter;
}

export interface NotificationKeys {
  /** Antom's (or Alipay+'s) public key: every notification must verify with it. Or `publicKeys`. */
  readonly publicKey?: KeyObject;
  /** `publicKey`'s keyVersion (default "1"): notifications naming another keyVersion are refused. */
  readonly publicKeyVersion?: string;
  /** Every accepted public key by keyVersion (a rotation's overlap); replaces the two above. */
  readonly publicKeys?: VerificationKeys;
  /** Our client-id(s); notifications for any other client-id are refused. */
  readonly clientIds: readonly string[];
  /** Our client-id and private key at Alipay+, to sign responses to its notifications. */
  readonly alipayPlusResponseSigner?: AlipayPlusResponseSigner;
  /** The named merchants' keys by client-id (MERCHANTS_FILE); the fields above are the default merchant's. */
  readonly merchants?: ReadonlyMap<string, MerchantNotificationKeys>;
}

export interface ApiDependencies {
  readonly settings: ApiSettings;
  readonly logger: Logger;
  readonly operations: AuthorizationOperations;
  readonly store: ApiStore;
  readonly notificationKeys: NotificationKeys;
  /** The payload codec the worker uses, for the Temporal UI's codec endpoint. */
  readonly codec: PayloadCodec;
  readonly metrics: ServiceMetrics;
  readonly readiness: ReadinessChecks;
  /**
   * The merchants served, by id, with their platform (undefined: either, as the default merchant of the ANTOM_*
   * variables or the sandbox). Absent: only the default merchant.
   */
  readonly merchants?: ReadonlyMap<string, Profile | undefined>;
  /** Wallets offered on the demo page (only used when settings.demoEnabled). */
  readonly demoWallets?: readonly string[];
  /** NOTIFICATION_* settings (request-time tolerance, in-request retries, unrouted bound); default the knobs' defaults. */
  readonly notificationSettings?: Omit<NotificationSettings, 'routingKey'>;
  /** Now in ms for notification request-times and first sightings (tests with a virtual clock); default Date.now. */
  readonly clock?: () => number;
}

/**
 * Security headers on every answer (@fastify/helmet): JSON answers need no resources, so the default CSP allows none
 * and no framing; pages set their own CSP on their route (codec login, demo). HSTS only when the public URL is https
 * (over http browsers ignore it, and a dev host must not be pinned to https). `Referrer-Policy: no-referrer` also keeps
 * the wallet redirect's authCode out of the result page's Referer.
 */
function securityHeaders(publicBaseUrl: string) {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"] },
    },
    frameguard: { action: 'deny' as const },
    strictTransportSecurity: new URL(publicBaseUrl).protocol === 'https:' ? { maxAge: 15_552_000 } : false,
    referrerPolicy: { policy: 'no-referrer' as const },
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * One line naming each key's id and scopes (never a secret; the field is not `apiKeys`, which the logger redacts), and
 * a warning when a bare key — every scope — serves an API bound beyond loopback: in production each caller should
 * hold only the scopes it uses (README, API_KEYS).
 */
function logKeyScopes(settings: ApiSettings, logger: Logger): void {
  const keyScopes = settings.keys.map((key) => ({ id: key.id, scopes: key.scopes }));
  logger.info({ keyScopes }, 'API keys configured');
  const bare = settings.keys.filter((key) => key.bare).map((key) => key.id);
  if (bare.length > 0 && !LOOPBACK_HOSTS.has(settings.host)) {
    logger.warn({ keyIds: bare }, 'bare API keys have every scope (tokens, codec, operator actions); give each caller an <id>:<scopes>:<secret> key with only what it uses');
  }
}

function pathPrefixOf(publicBaseUrl: string): string {
  return new URL(publicBaseUrl).pathname.replace(/\/+$/, '');
}

/** How often Node looks for requests past their headers or request timeout (its default, 30 s, would double them). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const { settings, logger, operations, metrics } = deps;
  const limits = settings.limits ?? DEFAULT_API_LIMITS;
  const app = Fastify({
    // Slow clients: headers within headersTimeoutMs, the whole request (body included) within requestTimeoutMs (Node
    // answers 408 and closes), and an idle connection is closed after requestTimeoutMs too.
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, limits.headersTimeoutMs),
    },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
    // pino's Logger is what Fastify expects at run time; its generic type differs only in the custom-level parameter.
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines would carry URLs, and the wallet redirect's URL holds an authCode; routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DEFAULT_BODY_LIMIT,
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  });
  installErrorHandling(app);
  await app.register(fastifyHelmet, securityHeaders(settings.publicBaseUrl));

  // JSON bodies: our own parser so a syntax error never echoes body text; an empty body is "no body".
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ApiError(400, 'invalid-json', 'body is not valid JSON'), undefined);
    }
  });

  const authenticate = bearerKeyCheck(settings.keys);
  const router = deps.store.router ?? createNotificationRouter({ authStates: deps.store.authStates, tokens: deps.store.tokens, logger });
  const ingest = new NotificationIngest({
    signature: {
      ...(deps.notificationKeys.publicKey === undefined ? {} : { publicKey: deps.notificationKeys.publicKey }),
      ...(deps.notificationKeys.publicKeyVersion === undefined ? {} : { publicKeyVersion: deps.notificationKeys.publicKeyVersion }),
      ...(deps.notificationKeys.publicKeys === undefined ? {} : { publicKeys: deps.notificationKeys.publicKeys }),
      clientIds: deps.notificationKeys.clientIds,
      ...(deps.notificationKeys.merchants ? { merchants: deps.notificationKeys.merchants } : {}),
      publicPathPrefix: pathPrefixOf(settings.publicBaseUrl),
    },
    ...(deps.notificationKeys.alipayPlusResponseSigner ? { alipayPlusResponseSigner: deps.notificationKeys.alipayPlusResponseSigner } : {}),
    dedupe: deps.store.dedupe,
    router,
    unrouted: deps.store.unrouted,
    tokens: deps.store.tokens,
    operations,
    metrics,
    logger,
    ...(deps.notificationSettings ? { settings: deps.notificationSettings } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });

  logKeyScopes(settings, logger);
  const matchKey = apiKeyMatcher(settings.keys);
  const keyOf = (request: FastifyRequest) => {
    const presented = bearerKeyIn(request.headers.authorization);
    return presented === undefined ? undefined : matchKey(presented);
  };
  // Any valid key, whatever its scopes: a keyed request is never counted against the unauthenticated cap.
  const hasApiKey = (request: FastifyRequest) => keyOf(request) !== undefined;
  // Readiness details name internal hosts: for operators and monitoring only.
  const mayReadDetails = (request: FastifyRequest) => {
    const key = keyOf(request);
    return key !== undefined && keyAdmits(key, HEALTH_DETAIL_SCOPES);
  };
  // Before every route hook (auth, body parsing): a request over the cap costs nothing more.
  app.addHook('onRequest', unauthenticatedCap(limits.maxUnauthenticatedRequests, hasApiKey).onRequest);
  await app.register(healthRoutes, { readiness: deps.readiness, metrics, isAuthenticated: mayReadDetails, authorizeMetrics: authenticate });
  await app.register(notificationRoutes, { ingest });
  // The redirect routes like AUTHCODE_CREATED: Redis, then Temporal visibility.
  const authStateRoutes = { get: async (authState: string) => (await router.forAuthState(authState))?.workflowId };
  await app.register(walletReturnRoute, { operations, authStates: authStateRoutes, resultPageUrl: settings.resultPageUrl, logger });
  await app.register(authorizationRoutes, {
    operations, authenticate, publicBaseUrl: settings.publicBaseUrl, metrics, logger, unroutedNotifications: deps.store.unrouted,
    ...(deps.merchants ? { merchants: deps.merchants } : {}),
  });
  await app.register(codecRoutes, { codec: deps.codec, apiKeys: settings.keys, publicBaseUrl: settings.publicBaseUrl, corsOrigin: settings.codecCorsOrigin, logger });
  if (settings.demoEnabled) {
    await app.register(demoRoutes, { operations, publicBaseUrl: settings.publicBaseUrl, wallets: deps.demoWallets ?? [], logger });
  }
  return app;
}
