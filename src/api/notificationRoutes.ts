/**
 * POST /notifications/antom, /notifications/alipayplus and /notifications/alipayplus/consultUnbinding.
 * Own content-type handling in this scope: whatever the media type, the body is kept as the exact raw string, because
 * the signature covers those bytes and a re-serialization would not verify. Small body limit: real notifications
 * are a few hundred bytes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { NotificationAnswer, NotificationIngest } from './notificationIngest';

/** 64 KiB: a notification is well under 4 KiB; this bounds what an unauthenticated sender can make us hash. */
export const NOTIFICATION_BODY_LIMIT = 64 * 1024;

export interface NotificationRoutesOptions {
  readonly ingest: NotificationIngest;
}

function send(reply: FastifyReply, answer: NotificationAnswer): FastifyReply {
  return reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
}

export async function notificationRoutes(app: FastifyInstance, options: NotificationRoutesOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: NOTIFICATION_BODY_LIMIT }, (_request, body, done) => done(null, body));

  const inbound = (request: { url: string; headers: Record<string, string | string[] | undefined>; body: unknown }) => ({
    url: request.url,
    headers: request.headers,
    rawBody: typeof request.body === 'string' ? request.body : '',
  });

  app.post('/notifications/antom', async (request, reply) =>
    send(reply, await options.ingest.authorizationNotification('antom', inbound(request))));
  app.post('/notifications/alipayplus', async (request, reply) =>
    send(reply, await options.ingest.authorizationNotification('alipayplus', inbound(request))));
  app.post('/notifications/alipayplus/consultUnbinding', async (request, reply) =>
    send(reply, await options.ingest.consultUnbinding(inbound(request))));
}
