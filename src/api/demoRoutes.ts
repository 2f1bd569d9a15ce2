/**
 * The development demo (only registered when DEMO_ENABLED): /demo, /demo/result and a few key-less JSON routes under
 * /demo/api that the pages call — link, state, QR, cancel — backed by the same operations as the backend routes.
 * Key-less is why it is dev only, and why it is fenced in even there:
 *   - it touches only the customers it linked itself (demoCustomers.ts): a customer that exists and was not linked
 *     here is refused (409) on link, and is "not found" on state, QR and cancel, so the demo hands out no authState,
 *     state or cancel for the merchant's real customers;
 *   - links per client address are rate-limited (@fastify/rate-limit): each starts a workflow and calls Antom;
 *   - wallet links from the consult are checked for an allowed scheme (walletLinks.ts);
 *   - the pages carry a CSP that allows only their own script and style (demoPages.ts, set by @fastify/helmet).
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthorizationOperations } from './authorizationOperations';
import { authorizationPath, linkAnswer, linkCommand, sendQr } from './authorizationRoutes';
import { DemoCustomers } from './demoCustomers';
import { DEMO_PAGE_CSP_DIRECTIVES, demoLinkPage, demoResultPage } from './demoPages';
import { ApiError } from './httpErrors';
import { operationErrorToApiError } from './operationErrors';
import { authorizationParamsSchema, linkBodySchema, parseOrThrow, walletSchema } from './requestSchemas';
import { withAllowedWalletLinks } from './walletLinks';

/** 30 links a minute from one address: plenty for a person clicking through the demo, little for a script. */
export const DEMO_LINKS_PER_MINUTE = 30;

export interface DemoRoutesOptions {
  readonly operations: AuthorizationOperations;
  readonly publicBaseUrl: string;
  /** Wallets offered in the picker (e.g. the sandbox's wallet policies). */
  readonly wallets: readonly string[];
  readonly logger: Logger;
  /** The customers the demo linked (default: a new, empty registry). */
  readonly customers?: DemoCustomers;
}

const PAGE_HELMET = { contentSecurityPolicy: { useDefaults: false, directives: DEMO_PAGE_CSP_DIRECTIVES } };

export async function demoRoutes(app: FastifyInstance, options: DemoRoutesOptions): Promise<void> {
  const { operations, publicBaseUrl, logger } = options;
  const customers = options.customers ?? new DemoCustomers();
  const wallets = options.wallets.filter((wallet) => walletSchema.safeParse(wallet).success);
  const linkHtml = demoLinkPage(wallets);
  const resultHtml = demoResultPage();
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw operationErrorToApiError(error, logger);
    }
  };
  const html = 'text/html; charset=utf-8';
  /** The path's customer, if the demo linked it; otherwise the same 404 as an unknown one (no existence oracle). */
  const demoCustomer = (raw: unknown) => {
    const { wallet, customerId } = parseOrThrow(authorizationParamsSchema, raw, 'path');
    if (!customers.has(wallet, customerId)) throw new ApiError(404, 'not-found', 'no such authorization');
    return { wallet, customerId };
  };

  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new ApiError(429, 'rate-limited', `at most ${context.max} demo links a minute from one address; try again in ${context.after}`),
  });

  app.get('/demo', { helmet: PAGE_HELMET }, async (_request, reply) => reply.header('content-type', html).send(linkHtml));
  app.get('/demo/result', { helmet: PAGE_HELMET }, async (_request, reply) => reply.header('content-type', html).send(resultHtml));

  app.post('/demo/api/authorizations', { config: { rateLimit: { max: DEMO_LINKS_PER_MINUTE, timeWindow: 60_000 } } }, async (request) => {
    const body = parseOrThrow(linkBodySchema, request.body, 'body');
    if (!customers.has(body.wallet, body.customerId) && (await call(() => operations.getState(body.wallet, body.customerId)))) {
      throw new ApiError(409, 'not-a-demo-customer', 'this customer was not linked by the demo; pick another customer id');
    }
    const response = await call(() => operations.link(linkCommand(body, publicBaseUrl)));
    customers.add(body.wallet, body.customerId);
    return withAllowedWalletLinks(linkAnswer(response, authorizationPath(`${publicBaseUrl}/demo/api`, body.wallet, body.customerId)));
  });
  app.get('/demo/api/authorizations/:wallet/:customerId', async (request) => {
    const { wallet, customerId } = demoCustomer(request.params);
    const view = await call(() => operations.getState(wallet, customerId));
    if (!view) throw new ApiError(404, 'not-found', 'no such authorization');
    return view;
  });
  app.get('/demo/api/authorizations/:wallet/:customerId/qr.svg', async (request, reply) => {
    const { wallet, customerId } = demoCustomer(request.params);
    return sendQr(reply, await call(() => operations.getState(wallet, customerId)), 'svg');
  });
  app.delete('/demo/api/authorizations/:wallet/:customerId', async (request) => {
    const { wallet, customerId } = demoCustomer(request.params);
    return call(() => operations.cancel(wallet, customerId, 'demo cancel'));
  });
}
