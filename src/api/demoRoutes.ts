/**
 * The development demo (only registered when DEMO_ENABLED): /demo, /demo/result and a few key-less JSON routes under
 * /demo/api that the pages call — link, state, QR, cancel — backed by the same operations as the backend routes.
 * Key-less is why it is dev only: anyone who can reach it can link and cancel.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthorizationOperations } from './authorizationOperations';
import { authorizationPath, linkAnswer, linkCommand, sendQr } from './authorizationRoutes';
import { demoLinkPage, demoResultPage } from './demoPages';
import { ApiError } from './httpErrors';
import { operationErrorToApiError } from './operationErrors';
import { authorizationParamsSchema, linkBodySchema, parseOrThrow, walletSchema } from './requestSchemas';

export interface DemoRoutesOptions {
  readonly operations: AuthorizationOperations;
  readonly publicBaseUrl: string;
  /** Wallets offered in the picker (e.g. the sandbox's wallet policies). */
  readonly wallets: readonly string[];
  readonly logger: Logger;
}

export async function demoRoutes(app: FastifyInstance, options: DemoRoutesOptions): Promise<void> {
  const { operations, publicBaseUrl, logger } = options;
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

  app.get('/demo', async (_request, reply) => reply.header('content-type', html).send(linkHtml));
  app.get('/demo/result', async (_request, reply) => reply.header('content-type', html).send(resultHtml));

  app.post('/demo/api/authorizations', async (request) => {
    const body = parseOrThrow(linkBodySchema, request.body, 'body');
    const response = await call(() => operations.link(linkCommand(body, publicBaseUrl)));
    return linkAnswer(response, authorizationPath(`${publicBaseUrl}/demo/api`, body.wallet, body.customerId));
  });
  app.get('/demo/api/authorizations/:wallet/:customerId', async (request) => {
    const { wallet, customerId } = parseOrThrow(authorizationParamsSchema, request.params, 'path');
    const view = await call(() => operations.getState(wallet, customerId));
    if (!view) throw new ApiError(404, 'not-found', 'no such authorization');
    return view;
  });
  app.get('/demo/api/authorizations/:wallet/:customerId/qr.svg', async (request, reply) => {
    const { wallet, customerId } = parseOrThrow(authorizationParamsSchema, request.params, 'path');
    return sendQr(reply, await call(() => operations.getState(wallet, customerId)), 'svg');
  });
  app.delete('/demo/api/authorizations/:wallet/:customerId', async (request) => {
    const { wallet, customerId } = parseOrThrow(authorizationParamsSchema, request.params, 'path');
    return call(() => operations.cancel(wallet, customerId, 'demo cancel'));
  });
}
