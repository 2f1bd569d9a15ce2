// The one place a Redis client is made: a single Redis from REDIS_URL, or ioredis's Cluster client when
// REDIS_CLUSTER_NODES lists seed nodes. The store works on either (its multi-key scripts keep to one hash slot:
// redisKeys.ts). With a cluster, REDIS_URL still supplies what every node shares — user, password and TLS (rediss://)
// — while its host and port are not used.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A single Redis or a Redis Cluster: every store class takes either. */
export type RedisClient = Redis | Cluster;

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface RedisConnectionConfig {
  readonly url: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); absent for a single Redis. */
  readonly clusterNodes?: readonly RedisEndpoint[];
}

/** Options of one connection, for either kind (what a single Redis takes; a cluster applies them to every node). */
export interface RedisClientOptions {
  maxRetriesPerRequest?: number | null;
  lazyConnect?: boolean;
  connectTimeout?: number;
  enableOfflineQueue?: boolean;
  /** false: no reconnection (a probe that must fail fast). */
  reconnect?: boolean;
}

/** Parses REDIS_CLUSTER_NODES: comma-separated host:port (IPv6 as [addr]:port). Throws TypeError naming the bad entry. */
export function parseClusterNodes(text: string): RedisEndpoint[] {
  const nodes = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (nodes.length === 0) throw new TypeError('lists no node (comma-separated host:port)');
  return nodes.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) throw new TypeError(`${entry} is not host:port`);
    return { host: match[1] ?? match[2]!, port };
  });
}

/** What every node shares, taken from REDIS_URL: credentials, database-independent TLS. */
function sharedNodeOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export function createRedisClient(config: RedisConnectionConfig, options: RedisClientOptions = {}): RedisClient {
  const { reconnect = true, enableOfflineQueue, ...connection } = options;
  if (!config.clusterNodes || config.clusterNodes.length === 0) {
    return new Redis(config.url, {
      ...connection,
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(reconnect ? {} : { retryStrategy: () => null }),
    });
  }
  const { lazyConnect, ...perNode } = connection;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...sharedNodeOptions(config.url), ...perNode },
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(reconnect ? {} : { clusterRetryStrategy: () => null }),
  };
  return new Cluster(config.clusterNodes.map((node) => ({ host: node.host, port: node.port })), clusterOptions);
}

/** The endpoints a problem line may name: never the URL itself (it may carry a password). */
export function describeRedisEndpoint(config: RedisConnectionConfig): string {
  if (config.clusterNodes && config.clusterNodes.length > 0) {
    return `Redis Cluster at ${config.clusterNodes.map((node) => (node.host.includes(':') ? `[${node.host}]:${node.port}` : `${node.host}:${node.port}`)).join(',')}`;
  }
  try {
    const parsed = new URL(config.url);
    return `Redis at ${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'Redis at the configured address';
  }
}

/** The variable to name in a problem line about reaching Redis. */
export function redisVariable(config: RedisConnectionConfig): 'REDIS_CLUSTER_NODES' | 'REDIS_URL' {
  return config.clusterNodes && config.clusterNodes.length > 0 ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
}
