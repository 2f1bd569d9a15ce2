/**
 * Every error the API returns: `{"error": {"code": "<machine-readable>", "message": "<names the problem>"}}`.
 * 4xx messages are ours (they never quote a submitted value, which may be an authCode or a token); anything
 * unexpected becomes a bare 500 — details go to the log (type and message only), never a stack to the client.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Fastify's own request errors, reworded so no parser message (which can quote the body) reaches the client. */
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body-too-large', message: 'request body is larger than this route accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported-media-type', message: 'content-type must be application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'empty-body', message: 'a JSON body is required' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid-json', message: 'body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid-content-length', message: 'content-length does not match the body' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad-url', message: 'the URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad-request', message: 'the request cannot be routed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, code: 'bad-url', message: 'a path segment is too long' },
};

/**
 * Fastify's `frameworkErrors` option: errors raised while routing (malformed percent-encoding, over-long segments),
 * before any route or error handler runs. Same body shape; the URL is not echoed.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = FASTIFY_ERRORS[error.code] ?? { status: 400, code: 'bad-request', message: 'the request was rejected' };
  void reply.code(known.status).send(errorBody(known.code, known.message));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      void reply.code(error.statusCode).headers(error.headers).send(errorBody(error.code, error.message));
      return;
    }
    const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) {
      void reply.code(known.status).send(errorBody(known.code, known.message));
      return;
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // An unlisted client error from Fastify or a plugin: keep the status, use a generic message.
      void reply.code(status).send(errorBody('bad-request', 'the request was rejected'));
      return;
    }
    request.log.error({ err: error }, 'unhandled error');
    void reply.code(500).send(errorBody('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('not-found', `no route ${request.method} ${request.routeOptions.url ?? 'for this path'}`));
  });
}
