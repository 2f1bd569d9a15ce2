// Real-Redis test plumbing: one connection and one unique key prefix per test, every key of it deleted afterwards.
// `onEveryRedis(test)` registers each test twice: against the single Redis at REDIS_URL and against a 3-master Redis
// Cluster on loopback that the file starts before its tests and stops after them (test/support/redisCluster.ts).
import type { ExecutionContext, TestFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { createRedisClient, type RedisClient, type RedisConnectionConfig } from '../../src/store/redisClient';
import { redisKeys, type RedisKeys } from '../../src/store/redisKeys';
import { startRedisCluster, type RunningRedisCluster } from '../support/redisCluster';

export type RedisBackend = 'single Redis' | 'Redis Cluster';

export interface RedisTestContext {
  backend: RedisBackend;
  redis: RedisClient;
  prefix: string;
  keys: RedisKeys;
  /** Opens another connection (a second "worker"); closed automatically. */
  connect(): RedisClient;
  connections: RedisClient[];
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

type Implementation = (t: ExecutionContext<RedisTestContext>) => unknown;

export interface EveryRedisTest {
  (title: string, implementation: Implementation): void;
  serial(title: string, implementation: Implementation): void;
}

/** Runs every test registered through the returned function on a single Redis and on a Redis Cluster. */
export function onEveryRedis(test: TestFn<RedisTestContext>): EveryRedisTest {
  let cluster: RunningRedisCluster | undefined;
  // Started in before (not lazily): a cluster that cannot start fails the file's cluster runs; they are never skipped.
  let clusterProblem: unknown;
  test.before(async () => {
    cluster = await startRedisCluster().catch((error: unknown) => {
      clusterProblem = error;
      return undefined;
    });
  });
  test.after.always(async () => {
    await cluster?.stop();
  });
  const register = (serial: boolean) => (title: string, implementation: Implementation) => {
    for (const backend of ['single Redis', 'Redis Cluster'] as const) {
      (serial ? test.serial : test)(`${title} [${backend}]`, async (t) => {
        if (backend === 'Redis Cluster' && !cluster) throw new Error(`the test Redis Cluster did not start: ${String(clusterProblem)}`);
        const config: RedisConnectionConfig = backend === 'single Redis' ? { url: REDIS_URL } : { url: 'redis://127.0.0.1', clusterNodes: cluster!.nodes };
        t.context = openContext(backend, config);
        t.teardown(() => closeContext(t.context));
        // Connected (a cluster client: slots discovered) before the test's clock starts.
        await t.context.redis.ping();
        await implementation(t);
      });
    }
  };
  return Object.assign(register(false), { serial: register(true) });
}

function openContext(backend: RedisBackend, config: RedisConnectionConfig): RedisTestContext {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const connections: RedisClient[] = [];
  const connect = () => {
    const connection = createRedisClient(config, { maxRetriesPerRequest: 1 });
    connections.push(connection);
    return connection;
  };
  return { backend, redis: connect(), prefix, keys: redisKeys(prefix), connect, connections };
}

async function closeContext({ redis, prefix, connections }: RedisTestContext): Promise<void> {
  try {
    // One DEL per key: on a cluster they lie in different slots.
    await Promise.all((await allKeys(redis, prefix)).map((key) => redis.del(key)));
  } finally {
    await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
  }
}

/** Every key under the prefix; on a cluster, the union of every master's. */
export async function allKeys(redis: RedisClient, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** Every key name and stored byte under the prefix: DUMP of each key plus its readable contents by type. */
export async function everythingStored(redis: RedisClient, prefix: string): Promise<string> {
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
