/**
 * The merchant backend's routes (bearer-key authenticated; the scope each needs, any one of those listed, after it):
 *
 *   POST   /authorizations                                  link (idempotent per wallet + customer)       authorizations
 *   GET    /authorizations/:wallet/:customerId              public state                                  authorizations
 *   GET    /authorizations/:wallet/:customerId/qr.svg|.png  the consult's QR text as an image             authorizations
 *   DELETE /authorizations/:wallet/:customerId[?wait=true]  cancel → revoke (202 at once; 200 with the outcome when waited)
 *                                                                                                         authorizations
 *   POST   /authorizations/:wallet/:customerId/refresh      refresh now                                   authorizations
 *   POST   /authorizations/:wallet/:customerId/retry        operator retry of a NEEDS_ATTENTION park      authorizations | operator
 *   POST   /operator/retry {code?, wallet?, phase?, note?}  bulk operator retry of the matching NEEDS_ATTENTION ones
 *                                                                                                         operator
 *   GET    /authorizations/:wallet/:customerId/token        the access token for a payment (audited with the key id, never logged)
 *                                                                                                         tokens:read
 *   GET    /tokens/expiring?before=…&limit=…&state=…        the lifecycle table (metadata only), by state           authorizations
 *   GET    /operator/notifications/unrouted?limit=…         notifications acknowledged without an authorization or of an
 *                                                           unknown type, newest first (no secrets)             operator
 *
 * Several merchants (MERCHANTS_FILE): the link body's `merchant`, and `?merchant=<id>` on every
 * /authorizations/:wallet/:customerId route, name whose customer it is; without it, the default merchant. An unknown
 * merchant is a 404, a malformed one a 400; a profile that is not the merchant's platform is a 400.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceMetrics } from '../metrics';
import type { AuthorizationView, LinkResponse, Profile } from '../workflows/definitions';
import type { ApiScope } from '../apiKeys';
import type { UnroutedNotifications } from '../store/unroutedNotifications';
import type { AuthorizationOperations, LinkCommand } from './authorizationOperations';
import { authenticatedKeyOf, type BearerCheck } from './bearerAuth';
import { ApiError } from './httpErrors';
import { DEFAULT_MERCHANT_ID, isDefaultMerchant, MERCHANT_ID_PATTERN, MERCHANT_ID_RULE } from '../workflows/authorizationIdentity';

/**
 * How long `DELETE …?wait=true` waits for the revoke: 30 s covers Antom's answer plus our retries of a slow one, and
 * stays under common proxy timeouts; a revoke still running then is answered 202 with the current state.
 */
export const CANCEL_WAIT_MAX_MS = 30_000;
import { operationErrorToApiError } from './operationErrors';
import { QR_CONTENT_TYPES, renderQr, type QrFormat } from './qrImage';
import {
  attentionFilterBodySchema,
  authorizationParamsSchema,
  expiringQuerySchema,
  linkBodySchema,
  noteBodySchema,
  parseOrThrow,
  reasonBodySchema,
  unroutedQuerySchema,
  type LinkBody,
} from './requestSchemas';

export interface AuthorizationRoutesOptions {
  readonly operations: AuthorizationOperations;
  readonly authenticate: BearerCheck;
  /** Where Antom and wallets reach this API (authRedirectUrl, authNotifyUrl, QR image URLs). */
  readonly publicBaseUrl: string;
  readonly metrics: Pick<ServiceMetrics, 'recordTokenRead'>;
  readonly logger: Logger;
  /** The operators' record of notifications acknowledged unrouted or of an unknown type. */
  readonly unroutedNotifications?: Pick<UnroutedNotifications, 'recent'>;
  /**
   * The merchants this deployment serves, by id, with their platform (undefined: the default merchant of the ANTOM_*
   * variables or the embedded sandbox, which takes either profile). Absent: only the default merchant.
   */
  readonly merchants?: ReadonlyMap<string, Profile | undefined>;
}

/** What POST /authorizations answers: the link response flattened, plus where to fetch the QR image. */
export interface LinkAnswer {
  workflowId: string;
  state: string;
  alreadyLinked: boolean;
  /** The consult's authState (not secret: the wallet echoes it in the redirect URL). */
  authState?: string;
  normalUrl?: string;
  schemeUrl?: string;
  applinkUrl?: string;
  qrCodeValue?: string;
  qrImageUrl?: string;
  authorizationDeadline?: string;
  userLoginId?: string;
}

export function authorizationPath(publicBaseUrl: string, wallet: string, customerId: string): string {
  return `${publicBaseUrl}/authorizations/${encodeURIComponent(wallet)}/${encodeURIComponent(customerId)}`;
}

/** `?merchant=<id>` for a named merchant, '' for the default one. */
export const merchantQuery = (merchant: string | undefined): string => (isDefaultMerchant(merchant) ? '' : `?merchant=${encodeURIComponent(merchant!)}`);

/**
 * The consult options every link uses: our redirect and notification URLs, auto-debit scope (+ the login id on
 * Alipay+). `profile` is the one resolved for the merchant (the body's, else the merchant's platform, else antom).
 */
export function linkCommand(body: LinkBody, publicBaseUrl: string, profile: Profile = body.profile ?? 'antom'): LinkCommand {
  return {
    wallet: body.wallet,
    customerId: body.customerId,
    profile,
    ...(isDefaultMerchant(body.merchant) ? {} : { merchantId: body.merchant! }),
    consult: {
      authRedirectUrl: `${publicBaseUrl}/authorizations/return`,
      authNotifyUrl: `${publicBaseUrl}/notifications/${profile}`,
      // Alipay+ returns userLoginId only when prepare asks for USER_LOGIN_ID (alipayplus-applyToken-acqp.txt).
      scopes: profile === 'alipayplus' ? ['AGREEMENT_PAY', 'USER_LOGIN_ID'] : ['AGREEMENT_PAY'],
      terminalType: body.terminalType,
      ...(body.osType ? { osType: body.osType } : {}),
      ...(body.osVersion ? { osVersion: body.osVersion } : {}),
      ...(body.merchantRegion ? { merchantRegion: body.merchantRegion } : {}),
      ...(body.authClientId ? { authClientId: body.authClientId } : {}),
      ...(body.merchantAccountId ? { merchantAccountId: body.merchantAccountId } : {}),
    },
    ...(body.newConsult ? { newConsult: true } : {}),
  };
}

export function linkAnswer(response: LinkResponse, qrImageBaseUrl: string, query = ''): LinkAnswer {
  const link = response.link;
  return {
    workflowId: response.workflowId,
    state: response.state,
    alreadyLinked: response.alreadyLinked,
    ...(link ? { authState: link.authState } : {}),
    ...(link?.normalUrl ? { normalUrl: link.normalUrl } : {}),
    ...(link?.schemeUrl ? { schemeUrl: link.schemeUrl } : {}),
    ...(link?.applinkUrl ? { applinkUrl: link.applinkUrl } : {}),
    ...(link?.qrCodeValue ? { qrCodeValue: link.qrCodeValue } : {}),
    ...(link && qrText(link) ? { qrImageUrl: `${qrImageBaseUrl}/qr.svg${query}` } : {}),
    ...(response.authorizationDeadline ? { authorizationDeadline: response.authorizationDeadline } : {}),
    ...(response.userLoginId ? { userLoginId: response.userLoginId } : {}),
  };
}

/** The QR shows the wallet's own code text when it gave one, else the authorization URL. */
export function qrText(link: NonNullable<AuthorizationView['linkResult']>): string | undefined {
  return link.qrCodeValue ?? link.normalUrl ?? link.applinkUrl ?? link.schemeUrl;
}

/** Sends the QR image for an authorization awaiting consent; 404 when there is nothing to scan. */
export async function sendQr(reply: FastifyReply, view: AuthorizationView | undefined, format: QrFormat): Promise<FastifyReply> {
  if (!view) throw new ApiError(404, 'not-found', 'no such authorization');
  const text = view.state === 'AWAITING_AUTH_CODE' && view.linkResult ? qrText(view.linkResult) : undefined;
  if (!text) throw new ApiError(404, 'no-qr', `nothing to scan: the authorization is ${view.state}`);
  return reply.code(200).header('content-type', QR_CONTENT_TYPES[format]).header('cache-control', 'no-store').send(await renderQr(text, format));
}

/** The API key scopes that admit a route (any one of them; checked by `authenticate`, bearerAuth.ts). */
const needs = (...scopes: ApiScope[]) => ({ config: { scopes } });

export async function authorizationRoutes(app: FastifyInstance, options: AuthorizationRoutesOptions): Promise<void> {
  const { operations, publicBaseUrl, logger } = options;
  // onRequest, before the body is read: an unauthenticated caller gets its 401 without us parsing anything it sent.
  app.addHook('onRequest', async (request) => options.authenticate(request));

  const known = options.merchants;
  /** The merchant a request names (`?merchant=` or the link body's `merchant`), checked against the configuration. */
  const merchantOf = (raw: unknown): string => {
    if (raw === undefined || raw === '') {
      if (!known || known.has(DEFAULT_MERCHANT_ID)) return DEFAULT_MERCHANT_ID;
      throw new ApiError(400, 'invalid-request', `merchant: required (this deployment serves ${[...known.keys()].join(', ')})`);
    }
    if (typeof raw !== 'string' || !MERCHANT_ID_PATTERN.test(raw)) throw new ApiError(400, 'invalid-request', `merchant ${MERCHANT_ID_RULE}`);
    if (known ? !known.has(raw) : raw !== DEFAULT_MERCHANT_ID) throw new ApiError(404, 'unknown-merchant', 'this deployment serves no such merchant');
    return raw;
  };
  const operationsFor = (merchant: string): AuthorizationOperations => {
    if (merchant === DEFAULT_MERCHANT_ID) return operations;
    if (!operations.forMerchant) throw new ApiError(404, 'unknown-merchant', 'this deployment serves no such merchant');
    return operations.forMerchant(merchant);
  };
  /** The path's authorization and whose it is: the operations to use on it. */
  const params = (request: { params: unknown; query: unknown }) => {
    const merchant = merchantOf((request.query as { merchant?: unknown } | undefined)?.merchant);
    return { ...parseOrThrow(authorizationParamsSchema, request.params, 'path'), merchant, operations: operationsFor(merchant) };
  };
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw operationErrorToApiError(error, logger);
    }
  };
  const viewOrNotFound = (view: AuthorizationView | undefined): AuthorizationView => {
    if (!view) throw new ApiError(404, 'not-found', 'no such authorization');
    return view;
  };

  app.post('/authorizations', needs('authorizations'), async (request) => {
    const body = parseOrThrow(linkBodySchema, request.body, 'body');
    const merchant = merchantOf(body.merchant);
    const platform = known?.get(merchant);
    if (body.profile && platform && body.profile !== platform) {
      throw new ApiError(400, 'invalid-request', `profile: merchant ${merchant} is on ${platform}, not ${body.profile}`);
    }
    const profile = body.profile ?? platform ?? 'antom';
    if (profile === 'alipayplus' && !body.authClientId) throw new ApiError(400, 'invalid-request', 'authClientId: required for the alipayplus profile');
    const response = await call(() => operationsFor(merchant).link(linkCommand({ ...body, merchant }, publicBaseUrl, profile)));
    return linkAnswer(response, authorizationPath(publicBaseUrl, body.wallet, body.customerId), merchantQuery(merchant));
  });

  app.get('/authorizations/:wallet/:customerId', needs('authorizations'), async (request) => {
    const { wallet, customerId, operations } = params(request);
    return viewOrNotFound(await call(() => operations.getState(wallet, customerId)));
  });

  for (const format of ['svg', 'png'] as const) {
    app.get(`/authorizations/:wallet/:customerId/qr.${format}`, needs('authorizations'), async (request, reply) => {
      const { wallet, customerId, operations } = params(request);
      return sendQr(reply, await call(() => operations.getState(wallet, customerId)), format);
    });
  }

  // Cancel answers 202 at once with the current view (the `cancel` signal; the token is withdrawn before it is sent).
  // ?wait=true waits for the outcome, at most CANCEL_WAIT_MAX_MS: 200 with REVOKED (or the revoke parked), else 202.
  app.delete('/authorizations/:wallet/:customerId', needs('authorizations'), async (request, reply) => {
    const { wallet, customerId, operations } = params(request);
    const { reason } = parseOrThrow(reasonBodySchema, request.body ?? {}, 'body');
    const wait = (request.query as { wait?: unknown } | undefined)?.wait === 'true';
    if (!wait) return reply.code(202).send(await call(() => operations.requestCancel(wallet, customerId, reason)));
    const outcome = call(() => operations.cancel(wallet, customerId, reason));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MAX_MS, undefined)));
    try {
      const settled = await Promise.race([outcome, timedOut]);
      if (settled) return reply.code(200).send(settled);
    } finally {
      clearTimeout(timer);
    }
    outcome.catch(() => undefined); // still running in the workflow; its end is not this request's business
    return reply.code(202).send(await call(() => operations.getState(wallet, customerId)));
  });

  app.post('/authorizations/:wallet/:customerId/refresh', needs('authorizations'), async (request, reply) => {
    const { wallet, customerId, operations } = params(request);
    const { reason } = parseOrThrow(reasonBodySchema, request.body ?? {}, 'body');
    await call(() => operations.refreshNow(wallet, customerId, reason));
    return reply.code(202).send({ accepted: true });
  });

  // The operator's bulk retry, by a visibility query on the search attributes (AntomAttentionCode/Phase, AntomWallet).
  app.post('/operator/retry', needs('operator'), async (request, reply) => {
    const { note, ...filter } = parseOrThrow(attentionFilterBodySchema, request.body ?? {}, 'body');
    const retried = await call(() => operations.operatorRetryWhere(filter, note));
    return reply.code(202).send({ retried, count: retried.length });
  });

  app.post('/authorizations/:wallet/:customerId/retry', needs('authorizations', 'operator'), async (request, reply) => {
    const { wallet, customerId, operations } = params(request);
    const { note } = parseOrThrow(noteBodySchema, request.body ?? {}, 'body');
    await call(() => operations.operatorRetry(wallet, customerId, note));
    return reply.code(202).send({ accepted: true });
  });

  app.get('/authorizations/:wallet/:customerId/token', needs('tokens:read'), async (request, reply) => {
    const { wallet, customerId, merchant, operations } = params(request);
    const token = await call(() => operations.getAccessToken(wallet, customerId));
    options.metrics.recordTokenRead(token ? 'hit' : 'miss');
    // The audit trail says which key read which authorization's token and when; the token and the key are never logged.
    const apiKeyId = authenticatedKeyOf(request)?.id;
    logger.info({ audit: 'token-read', apiKeyId, merchant, wallet, customerId, found: token !== undefined, requestId: request.id }, 'access token read');
    if (!token) throw new ApiError(404, 'no-token', 'no usable access token for this authorization');
    void reply.header('cache-control', 'no-store');
    return {
      workflowId: token.workflowId,
      state: token.state,
      accessToken: token.accessToken,
      accessTokenExpiry: token.accessTokenExpiry,
      ...(token.userLoginId ? { userLoginId: token.userLoginId } : {}),
    };
  });

  app.get('/tokens/expiring', needs('authorizations'), async (request) => {
    const query = parseOrThrow(expiringQuerySchema, request.query, 'query');
    const tokens = await call(() => operations.expiringBefore(new Date(query.before), query.limit, query.state));
    return { before: new Date(query.before).toISOString(), tokens };
  });

  // Notifications acknowledged without reaching an authorization (matched none for the bound, or an unknown type).
  app.get('/operator/notifications/unrouted', needs('operator'), async (request) => {
    const { limit } = parseOrThrow(unroutedQuerySchema, request.query, 'query');
    const store = options.unroutedNotifications;
    if (!store) throw new ApiError(404, 'not-configured', 'this API keeps no record of unrouted notifications');
    let notifications;
    try {
      notifications = await store.recent(limit);
    } catch (error) {
      logger.warn({ err: error }, 'unrouted notifications could not be read (Redis)');
      throw new ApiError(503, 'unavailable', 'the record of unrouted notifications cannot be read now');
    }
    return { notifications, count: notifications.length };
  });
}
