// Runs a Lua script by SHA (EVALSHA) and loads it on NOSCRIPT, so each call ships a hash, not the script.
import { createHash } from 'node:crypto';
import type { RedisClient } from './redisClient';

export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // After a Redis restart or SCRIPT FLUSH the cache is empty: EVAL loads it again.
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
