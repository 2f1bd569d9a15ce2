/**
 * How a failed workflow operation reaches the client: not found → 404, refused by the workflow → 409 with the
 * workflow's reason, our own ApiError as is, anything else (Temporal unreachable, timeout) → 503 so callers retry.
 * The cause is logged by type and message only.
 */
import type { Logger } from 'pino';
import { AuthorizationNotFoundError, AuthorizationRejectedError } from './authorizationOperations';
import { ApiError } from './httpErrors';

export function operationErrorToApiError(error: unknown, logger: Logger): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof AuthorizationNotFoundError) return new ApiError(404, 'not-found', 'no such authorization');
  if (error instanceof AuthorizationRejectedError) return new ApiError(409, 'rejected', error.message);
  logger.warn({ err: error }, 'authorization operation failed');
  return new ApiError(503, 'unavailable', 'the authorization service could not complete the request; retry later', { 'retry-after': '1' });
}
