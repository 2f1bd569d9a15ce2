/**
 * The production worker (src/worker.ts createWorker, configured from the environment exactly as `npm run worker`)
 * with one test-only pause point, so a crash test can SIGKILL it *after* the applyToken journal write and *before*
 * the activity completes — a window of microseconds in production, held open here:
 *
 *   CRASH_TEST_PAUSE_AFTER_JOURNAL_WRITE=<n>   after the n-th applyToken journal write of this process has reached
 *                                              Redis, print `crash-hook: journal written <n> <workflowId>` on
 *                                              stdout and never let the write's promise resolve (the activity hangs
 *                                              there until the process is killed).
 *
 * The hook lives in the Redis client handed to createWorker (its `set` on journal keys), not in product code: nothing
 * in src/ knows about it. The worker that recovers after the kill is `src/worker.ts` itself.
 *
 *   node --import tsx test/e2e/crash/crashableWorker.ts
 */
import { Context } from '@temporalio/activity';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { redisKeys } from '../../../src/store/redisKeys';
import { createWorker } from '../../../src/worker';

export const PAUSE_AFTER_JOURNAL_WRITE_ENV = 'CRASH_TEST_PAUSE_AFTER_JOURNAL_WRITE';
export const JOURNAL_WRITTEN_MARKER = 'crash-hook: journal written';

function workflowIdOfCurrentActivity(): string {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? '?';
  } catch {
    return '?';
  }
}

/** A Redis client whose n-th journal SET completes in Redis and then never answers its caller. */
function pausingRedis(url: string, keyPrefix: string, pauseAt: number): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  const journalPrefix = redisKeys(keyPrefix).applyTokenJournal('');
  const set = redis.set.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  let journalWrites = 0;
  (redis as unknown as { set: (...args: unknown[]) => Promise<unknown> }).set = async (...args: unknown[]) => {
    const result = await set(...args);
    if (typeof args[0] === 'string' && args[0].startsWith(journalPrefix)) {
      journalWrites += 1;
      if (journalWrites === pauseAt) {
        process.stdout.write(`${JOURNAL_WRITTEN_MARKER} ${journalWrites} ${workflowIdOfCurrentActivity()}\n`);
        return new Promise<never>(() => undefined);
      }
    }
    return result;
  };
  return redis;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  const pauseAt = Number(process.env[PAUSE_AFTER_JOURNAL_WRITE_ENV] ?? '0');
  const redis = pauseAt > 0 ? pausingRedis(config.redis.url, config.redis.keyPrefix, pauseAt) : undefined;
  // A generous start-up timeout: this worker starts alongside others on a loaded test machine (production: 5 s).
  const worker = await createWorker(config, { logger, startupTimeoutMs: 30_000, ...(redis ? { redis } : {}) });
  await worker.run();
}

if (require.main === module) main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`crashable worker: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    process.exit(1);
  },
);
