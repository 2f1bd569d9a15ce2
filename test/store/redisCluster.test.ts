// REDIS_CLUSTER_NODES end to end on a real local 3-master cluster: the configuration picks ioredis's Cluster client
// through the one factory, the worker's start-up probe reaches it (or names it when it cannot), and every key group a
// script touches hashes to one slot while projections spread over the masters.
import test from 'ava';
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../src/config';
import { createRedisClient, describeRedisEndpoint, parseClusterNodes, type RedisClient } from '../../src/store/redisClient';
import { PROJECTION_BUCKETS, redisKeys } from '../../src/store/redisKeys';
import { checkRedis } from '../../src/worker/startupChecks';
import { startRedisCluster, type RunningRedisCluster } from '../support/redisCluster';

let cluster: RunningRedisCluster;
let client: RedisClient;

test.before(async () => {
  cluster = await startRedisCluster();
  client = createRedisClient(loadConfig({ REDIS_CLUSTER_NODES: cluster.nodesText }).redis, { maxRetriesPerRequest: 1 });
});
test.after.always(async () => {
  await client?.quit().catch(() => client.disconnect());
  await cluster?.stop();
});

const slot = async (key: string) => Number(await client.call('CLUSTER', 'KEYSLOT', key));

test('REDIS_CLUSTER_NODES selects the Cluster client; REDIS_URL alone a single Redis', async (t) => {
  t.true(client instanceof Cluster);
  const single = createRedisClient(loadConfig({}).redis, { lazyConnect: true });
  t.true(single instanceof Redis);
  single.disconnect();
  t.is(await client.set('antom-auth-test:cluster-probe', '1', 'PX', 10_000), 'OK');
  t.is(await client.get('antom-auth-test:cluster-probe'), '1');
});

test('REDIS_CLUSTER_NODES is parsed and checked; the URL\'s password never appears in a description', (t) => {
  t.deepEqual(parseClusterNodes(' 10.0.0.1:7000, redis-b:7001 ,[::1]:7002'), [
    { host: '10.0.0.1', port: 7000 }, { host: 'redis-b', port: 7001 }, { host: '::1', port: 7002 },
  ]);
  const error = t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1,b' }), { instanceOf: ConfigError });
  t.deepEqual(error.problems, ['REDIS_CLUSTER_NODES: b is not host:port']);
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:70000' }), { message: /a:70000 is not host:port/ });
  t.throws(() => loadConfig({ REDIS_KEY_PREFIX: 'app{1}:' }), { message: /REDIS_KEY_PREFIX: must not contain \{ or \}/ });
  const config = loadConfig({ REDIS_URL: 'rediss://user:s3cret-pass@ignored:1', REDIS_CLUSTER_NODES: 'a:1,[::1]:2' }).redis;
  t.is(describeRedisEndpoint(config), 'Redis Cluster at a:1,[::1]:2');
  t.is(describeRedisEndpoint({ url: 'redis://:s3cret-pass@10.1.1.1:6380' }), 'Redis at 10.1.1.1:6380');
});

test('the worker\'s start-up probe reaches the cluster, and names REDIS_CLUSTER_NODES when it cannot', async (t) => {
  t.is(await checkRedis({ url: 'redis://127.0.0.1', clusterNodes: cluster.nodes }, 10_000), undefined);
  const problem = await checkRedis({ url: 'redis://:pw@127.0.0.1', clusterNodes: [{ host: '127.0.0.1', port: 1 }] }, 5_000);
  t.regex(problem ?? '', /^REDIS_CLUSTER_NODES: Redis Cluster at 127\.0\.0\.1:1 is unreachable \(/);
  t.false((problem ?? '').includes('pw'));
});

const hexDigest = fc.stringMatching(/^[0-9a-f]{8,64}$/);

test('every script\'s keys share one slot, for any workflow id (braces included) and token digest', async (t) => {
  const keys = redisKeys('antom-auth:');
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('{c1}', 'a}{b', '{')), hexDigest, hexDigest, async (customer, digest, oldDigest) => {
      const workflowId = `authorization:GCASH:${customer}`;
      const bucket = keys.projectionBucket(workflowId);
      const group = [
        keys.tokenProjection(workflowId), keys.lifecycleIndex(bucket), keys.accessTokenLookup(bucket, digest),
        keys.accessTokenLookupPrefix(bucket) + oldDigest, // the old lookup key PUT_SCRIPT derives inside the script
      ];
      const slots = new Set(await Promise.all(group.map(slot)));
      t.is(slots.size, 1, `${group.join(' ')} span ${slots.size} slots`);
    }),
    { numRuns: 50 },
  );
});

test('projection buckets spread over every master', async (t) => {
  const keys = redisKeys('antom-auth:');
  const masters = new Set<string>();
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  for (let bucket = 0; bucket < PROJECTION_BUCKETS; bucket++) {
    const at = await slot(keys.lifecycleIndex(bucket));
    const owner = ranges.find(([from, to]) => at >= from && at <= to);
    if (owner) masters.add(`${owner[2][0]}:${owner[2][1]}`);
  }
  t.is(masters.size, 3);
});
