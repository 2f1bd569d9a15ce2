/**
 * A cap on requests in flight that carry no valid API key (API_MAX_UNAUTHENTICATED_REQUESTS). Anyone can open those —
 * notifications, wallet redirects, health, codec sign-in, the demo — and, with slow bodies, hold them open until the
 * request timeout; the cap keeps such a flood from taking the process (sockets, memory, Redis and Temporal calls)
 * from the backend, whose requests carry a key and are never counted. Over the cap: 503 with Retry-After, before the
 * body is read, and the connection is closed.
 *
 * A request counts from its onRequest hook (headers complete) until its response is finished or its connection
 * closes, whichever comes first (a timed-out or aborted request is released too). Slow headers never reach this
 * far: the headers timeout cuts them off first.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './httpErrors';

export interface UnauthenticatedCap {
  /** Requests without a valid key in flight now. */
  readonly inFlight: () => number;
  /** The onRequest hook: admits, or throws a 503 ApiError when the cap is reached. */
  readonly onRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export function unauthenticatedCap(limit: number, hasValidKey: (request: FastifyRequest) => boolean): UnauthenticatedCap {
  let inFlight = 0;
  return {
    inFlight: () => inFlight,
    async onRequest(request, reply) {
      if (hasValidKey(request)) return;
      if (inFlight >= limit) {
        request.log.warn({ limit }, 'unauthenticated request refused: too many in flight');
        throw new ApiError(503, 'busy', 'too many requests in flight; retry shortly', { 'retry-after': '1', connection: 'close' });
      }
      inFlight += 1;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        inFlight -= 1;
      };
      reply.raw.once('finish', release);
      reply.raw.once('close', release);
    },
  };
}
