// authState → workflowId, so the wallet redirect and AUTHCODE_CREATED notifications find their workflow.
import type { RedisClient } from './redisClient';
import { redisKeys, type RedisKeys } from './redisKeys';

/**
 * 24 h: the authCode itself is only waited for 15 minutes, but Antom resends an unacknowledged AUTHCODE_CREATED
 * for ~24 h; keeping the mapping that long routes late resends to their workflow (a harmless no-op there) instead of
 * counting them as unknown. After that the entry expires on its own: authStates are single-use.
 */
export const DEFAULT_AUTH_STATE_TTL_MS = 24 * 60 * 60 * 1000;

export interface AuthStateIndexOptions {
  keys?: RedisKeys;
  ttlMs?: number;
}

export class AuthStateIndex {
  private readonly keys: RedisKeys;
  private readonly ttlMs: number;

  constructor(private readonly redis: RedisClient, options: AuthStateIndexOptions = {}) {
    this.keys = options.keys ?? redisKeys();
    this.ttlMs = options.ttlMs ?? DEFAULT_AUTH_STATE_TTL_MS;
  }

  /** Idempotent: writing the same mapping again only renews its TTL. */
  async put(authState: string, workflowId: string, ttlMs: number = this.ttlMs): Promise<void> {
    if (!authState) throw new TypeError('authState must not be empty');
    await this.redis.set(this.keys.authState(authState), workflowId, 'PX', ttlMs);
  }

  async get(authState: string): Promise<string | undefined> {
    if (!authState) return undefined;
    return (await this.redis.get(this.keys.authState(authState))) ?? undefined;
  }

  async remove(authState: string): Promise<void> {
    await this.redis.del(this.keys.authState(authState));
  }
}
