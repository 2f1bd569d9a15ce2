/**
 * POST /codec/decode and /codec/encode — the Temporal codec-server protocol, so operators can read encrypted payloads
 * in the Temporal UI (codec endpoint setting) or CLI (`--codec-endpoint … --codec-auth "Bearer <key>"`).
 * Authenticated with the API's bearer keys (decoding shows tokens); CORS admits only the UI's origin, and the
 * preflight itself needs no key (browsers send none with it). CORS is done here rather than with @fastify/cors,
 * whose preflight route is a global `OPTIONS *` that would answer for every path of the API.
 */
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DecryptionFailedError } from '../codec/aesGcm';
import { CodecRequestError, decodeCodecRequest, encodeCodecRequest } from '../codec/codecEndpoint';
import { EncryptedPayloadError } from '../codec/encryptionCodec';
import { UnknownEncryptionKeyError } from '../codec/keyRing';
import type { BearerCheck } from './bearerAuth';
import { ApiError } from './httpErrors';

/** 4 MiB: a UI page decodes one history event's payloads at a time; Temporal caps a payload at 2 MiB by default. */
export const CODEC_BODY_LIMIT = 4 * 1024 * 1024;

export interface CodecRoutesOptions {
  readonly codec: PayloadCodec;
  readonly authenticate: BearerCheck;
  /** The Temporal UI's origin (CODEC_CORS_ORIGIN). */
  readonly corsOrigin: string;
  readonly logger: Logger;
}

export async function codecRoutes(app: FastifyInstance, options: CodecRoutesOptions): Promise<void> {
  const allowed = options.corsOrigin;
  // Actual requests: the UI's origin may read the answer (including a 401); any other origin gets no CORS headers.
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('vary', 'Origin');
    if (request.headers.origin === allowed) {
      void reply.header('access-control-allow-origin', allowed).header('access-control-allow-credentials', 'true');
    }
  });
  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.origin === allowed && request.headers['access-control-request-method'] === 'POST') {
      void reply
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type, authorization, x-namespace')
        .header('access-control-max-age', '600');
    }
    return reply.code(204).send();
  };
  app.options('/codec/decode', preflight);
  app.options('/codec/encode', preflight);

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
  const routeOptions = { bodyLimit: CODEC_BODY_LIMIT, preHandler: async (request: Parameters<BearerCheck>[0]) => options.authenticate(request) };
  app.post('/codec/decode', routeOptions, async (request) => run(() => decodeCodecRequest(options.codec, request.body)));
  app.post('/codec/encode', routeOptions, async (request) => run(() => encodeCodecRequest(options.codec, request.body)));
}
