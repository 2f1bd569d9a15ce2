// One applyToken exchange (workflowId + requestId) in flight at a time, and a memory of whether it was ever sent.
//
// Why: Temporal starts the next attempt when an attempt outlives its startToClose, but the old attempt's HTTP call may
// still be running. Two identical refreshes in flight against a rotating wallet: one wins, the other gets
// INVALID_REFRESH_TOKEN, and a token Antom issued is lost. The lease (SET NX PX, owner token) makes the second attempt
// wait (fail retryably) until the first has journaled its answer or ended; `sent` outlives the lease so a later
// INVALID_* answer can be recognised as "this exchange may already have succeeded" instead of the customer's problem.
// The holder renews the lease while it is alive (`renew`), so the lease can be short: a holder that died (SIGKILL, a
// lost node) frees the exchange soon, instead of blocking every retry until a long lease runs out.
// Keys hold no secret: the exchange is named by its workflow id and the workflow's requestId (a UUID).
import type { RedisClient } from './redisClient';
import { LuaScript } from './luaScript';
import type { RedisKeys } from './redisKeys';

const RELEASE_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

const RENEW_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/** How long `sent` is remembered: as long as the applyToken journal keeps an answer (7 days). */
export const SENT_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;

export interface ExchangeLeaseOptions {
  keys: RedisKeys;
  sentMemoryMs?: number;
}

export type LeaseResult =
  /** `renew` extends the lease by its ttl again and says whether it was still ours (false: it lapsed and may be another's). */
  | { acquired: true; release(): Promise<void>; renew(): Promise<boolean> }
  | { acquired: false; retryAfterMs: number };

export class ExchangeLeases {
  constructor(private readonly redis: RedisClient, private readonly options: ExchangeLeaseOptions) {}

  /** Takes the exchange for `ttlMs` (the holder renews it while alive), or says how long the holder has left. */
  async acquire(workflowId: string, requestId: string, owner: string, ttlMs: number): Promise<LeaseResult> {
    const key = this.options.keys.exchangeLease(workflowId, requestId);
    const taken = await this.redis.set(key, owner, 'PX', ttlMs, 'NX');
    if (taken === 'OK') {
      return {
        acquired: true,
        release: async () => void (await RELEASE_SCRIPT.run(this.redis, [key], [owner])),
        renew: async () => (await RENEW_SCRIPT.run(this.redis, [key], [owner, ttlMs])) === 1,
      };
    }
    const left = await this.redis.pttl(key);
    return { acquired: false, retryAfterMs: Math.max(100, left) };
  }

  /** Records that the exchange's request went out (before sending: a crash right after must still count). */
  async markSent(workflowId: string, requestId: string): Promise<void> {
    await this.redis.set(this.options.keys.exchangeSent(workflowId, requestId), '1', 'PX', this.options.sentMemoryMs ?? SENT_MEMORY_MS);
  }

  async wasSent(workflowId: string, requestId: string): Promise<boolean> {
    return (await this.redis.exists(this.options.keys.exchangeSent(workflowId, requestId))) === 1;
  }
}
