// A throwaway Redis Cluster on loopback for tests: N masters (redis-server --cluster-enabled yes) on free ports, joined
// with `redis-cli --cluster create`, ready once every node reports cluster_state:ok. No persistence; the nodes' files
// live in a temporary directory removed by stop(). The Debian redis-server and redis-tools come from
// scripts/provision.sh.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { RedisEndpoint } from '../../src/store/redisClient';

const run = promisify(execFile);

export interface RunningRedisCluster {
  readonly nodes: readonly RedisEndpoint[];
  /** REDIS_CLUSTER_NODES's spelling of the nodes. */
  readonly nodesText: string;
  stop(): Promise<void>;
}

/** A port P with P and its cluster bus port P + 10000 both free right now (and not among `taken`). */
async function freeClusterPort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port > 55_000 || taken.some((other) => [other, other + 10_000].includes(port) || [other, other + 10_000].includes(port + 10_000))) continue;
    if ((await listenOnce(port + 10_000).catch(() => undefined)) !== undefined) return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const taken = (server.address() as { port: number }).port;
      server.close(() => resolve(taken));
    });
  });
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await delay(50);
  }
  throw new Error(`Redis Cluster: ${what} within ${timeoutMs} ms`);
}

/** Starts the cluster; a second attempt on fresh ports if the first fails (a port taken between probe and bind). */
export async function startRedisCluster(options: { masters?: number; timeoutMs?: number } = {}): Promise<RunningRedisCluster> {
  try {
    return await startRedisClusterOnce(options);
  } catch {
    return await startRedisClusterOnce(options);
  }
}

async function startRedisClusterOnce(options: { masters?: number; timeoutMs?: number }): Promise<RunningRedisCluster> {
  const masters = options.masters ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'antom-redis-cluster-'));
  const processes: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(processes.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  // A test worker that dies without after.always must not leave servers behind.
  const killOnExit = () => processes.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killOnExit);
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterPort(ports);
      const child = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir,
        '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning',
      ], { stdio: 'ignore' });
      processes.push(child);
      ports.push(port);
    }
    // A node that exits (its port was taken after all) fails the start at once instead of after the timeout.
    const exited = processes.map((child, i) => new Promise<never>((_, reject) => {
      child.once('exit', (code) => reject(new Error(`Redis Cluster: node ${ports[i]} exited (${code})`)));
    }));
    exited.forEach((promise) => promise.catch(() => undefined));
    for (const port of ports) {
      await Promise.race([waitFor(`node ${port} answering PING`, timeoutMs, async () => (await redisCli(port, 'ping')).trim() === 'PONG'), ...exited]);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: timeoutMs });
    for (const port of ports) {
      await waitFor(`node ${port} reporting cluster_state:ok`, timeoutMs, async () => (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'));
    }
  } catch (error) {
    await stop();
    process.removeListener('exit', killOnExit);
    throw error;
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    nodesText: nodes.map((node) => `${node.host}:${node.port}`).join(','),
    async stop() {
      await stop();
      process.removeListener('exit', killOnExit);
    },
  };
}
