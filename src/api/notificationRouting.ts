/**
 * Which authorization a notification belongs to (issue 12 §4): Redis is a cache in front of Temporal visibility.
 *
 *   AUTHCODE_CREATED  authState → the Redis index; on a miss (or a Redis error) the visibility query
 *                     AntomAuthState = '<authState>', and the index is written back.
 *   TOKEN_CANCELED    access token → the Redis lookup by keyed digest; on a miss (or a Redis error) the visibility
 *                     query AntomTokenDigests IN (<routing digests under every routing key>), which also finds the
 *                     token a refresh just replaced (the workflow records the current and the previous digest).
 *
 * A miss everywhere is `undefined`. A visibility query that fails (Temporal unreachable) throws, and so does a Redis
 * failure when there is no visibility to ask: the caller retries and answers non-2xx, never "unknown".
 */
import type { WorkflowClient } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RoutingDigester } from '../codec/routingDigest';
import type { AuthStateIndex } from '../store/authStateIndex';
import type { TokenProjectionStore } from '../store/tokenProjection';
import { authStateRoutingQuery, tokenDigestRoutingQuery } from '../workflows/definitions';

export interface NotificationRoute {
  readonly workflowId: string;
  readonly via: 'redis' | 'visibility';
}

export interface NotificationRouter {
  forAuthState(authState: string): Promise<NotificationRoute | undefined>;
  forAccessToken(accessToken: string): Promise<NotificationRoute | undefined>;
  /** The routing digest of a token (for operator records); never the token. */
  tokenDigest(accessToken: string): string | undefined;
}

export interface NotificationRouterDependencies {
  readonly authStates: Pick<AuthStateIndex, 'get'> & Partial<Pick<AuthStateIndex, 'put'>>;
  readonly tokens: Pick<TokenProjectionStore, 'workflowIdForAccessToken'>;
  /** Temporal visibility; absent: Redis only (a library or test without a Temporal client). */
  readonly visibility?: Pick<WorkflowClient, 'list'>;
  readonly digester?: RoutingDigester;
  readonly logger: Logger;
}

/** Enough to see whether more than one workflow claims the value (it never should: authStates and tokens are unique). */
const VISIBILITY_PAGE = 10;

export function createNotificationRouter(deps: NotificationRouterDependencies): NotificationRouter {
  const fromRedis = async (what: string, read: () => Promise<string | undefined>): Promise<string | undefined> => {
    try {
      return await read();
    } catch (error) {
      // Without visibility nothing else can tell: the failure is not a "no".
      if (!deps.visibility) throw error;
      // Redis down: visibility still answers; the dedupe further on decides whether delivery can go ahead.
      deps.logger.warn({ err: error, lookup: what }, 'notification routing: Redis failed, asking Temporal visibility');
      return undefined;
    }
  };
  const fromVisibility = async (query: string | undefined): Promise<string | undefined> => {
    if (!deps.visibility || !query) return undefined;
    const found = new Set<string>();
    for await (const execution of deps.visibility.list({ query, pageSize: VISIBILITY_PAGE })) {
      found.add(execution.workflowId);
      if (found.size >= VISIBILITY_PAGE) break;
    }
    // Continued runs share the workflow id; a second id would be a collision of unique values.
    if (found.size > 1) deps.logger.error({ workflowIds: [...found] }, 'notification routing: more than one authorization matches; using the first');
    return found.values().next().value;
  };

  return {
    async forAuthState(authState) {
      const cached = await fromRedis('authState', () => deps.authStates.get(authState));
      if (cached) return { workflowId: cached, via: 'redis' };
      const workflowId = await fromVisibility(authStateRoutingQuery(authState));
      if (!workflowId) return undefined;
      // Refill the cache; a failure only means the next lookup asks visibility again.
      await deps.authStates.put?.(authState, workflowId).catch(() => undefined);
      return { workflowId, via: 'visibility' };
    },
    async forAccessToken(accessToken) {
      const cached = await fromRedis('accessToken', () => deps.tokens.workflowIdForAccessToken(accessToken));
      if (cached) return { workflowId: cached, via: 'redis' };
      const workflowId = deps.digester ? await fromVisibility(tokenDigestRoutingQuery(deps.digester.digestsForLookup(accessToken))) : undefined;
      return workflowId ? { workflowId, via: 'visibility' } : undefined;
    },
    tokenDigest(accessToken) {
      return deps.digester?.digest(accessToken);
    },
  };
}
