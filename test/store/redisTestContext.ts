// Real-Redis test plumbing: one connection and one unique key prefix per test, every key of it deleted afterwards.
import type { ExecutionContext, TestFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../../src/store/redisKeys';

export interface RedisTestContext {
  redis: Redis;
  prefix: string;
  keys: RedisKeys;
  /** Opens another connection (a second "worker"); closed automatically. */
  connect(): Redis;
  connections: Redis[];
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function useRedis(test: TestFn<RedisTestContext>): void {
  test.beforeEach((t) => {
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const connections: Redis[] = [];
    const connect = () => {
      const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      connections.push(connection);
      return connection;
    };
    t.context = { redis: connect(), prefix, keys: redisKeys(prefix), connect, connections };
  });
  test.afterEach.always(async (t) => {
    const { redis, prefix } = t.context;
    const keys = await allKeys(redis, prefix);
    if (keys.length > 0) await redis.del(...keys);
    await Promise.all(t.context.connections.map((connection) => connection.quit()));
  });
}

export async function allKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Every key name and stored byte under the prefix: DUMP of each key plus its readable contents by type. */
export async function everythingStored(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  for (const key of await allKeys(redis, prefix)) {
    parts.push(key);
    const dump = await redis.dumpBuffer(key);
    if (dump) parts.push(dump.toString('latin1'));
    const type = await redis.type(key);
    if (type === 'string') parts.push((await redis.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, '-1', 'WITHSCORES')));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
  }
  return parts.join('\n');
}

/** Fails the test if `secret` (or its base64 form) occurs anywhere in Redis under the prefix. */
export async function assertNotStored(t: ExecutionContext<RedisTestContext>, secret: string): Promise<void> {
  const stored = await everythingStored(t.context.redis, t.context.prefix);
  t.true(stored.length > 0, 'something was stored');
  t.false(stored.includes(secret), 'plaintext secret found in Redis');
  t.false(stored.includes(Buffer.from(secret).toString('base64')), 'base64 of the secret found in Redis');
}
