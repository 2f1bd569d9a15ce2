// The Antom rate limit shared by every worker: one token bucket per endpoint in Redis, updated by a Lua script
// (atomic) that reads the clock with Redis TIME (worker clocks do not matter).
//
// The limit holds over every one-second window, as Antom (and the sandbox) count a per-second quota: the default
// burst is 1, so slots are spaced 1/rate apart. A burst of a second's worth on top of the rate would let a refresh
// storm after a quiet period send twice the rate within its first second (measured by `npm run bench:storm`).
//
// acquire() reserves a slot: the script takes a token even when the bucket is empty (it goes negative) and returns
// how long the caller must wait for its slot. One round trip, no polling, first come first served. A caller that
// gives up after reserving wastes its slot, which can only under-issue, never over-issue. A reservation that would
// wait longer than maxWaitMs is not taken at all: the caller fails fast and Temporal's retry policy takes over.
import type { RedisClient } from './redisClient';
import { LuaScript } from './luaScript';
import { redisKeys, type RedisKeys } from './redisKeys';

export interface RateLimit {
  requestsPerSecond: number;
  /**
   * Tokens that may be spent at once after a quiet period. Default 1: anything more lets `burst + requestsPerSecond`
   * requests into one second, above a per-second quota set to requestsPerSecond.
   */
  burst?: number;
}

/** 20/s: matches ANTOM_RATE_LIMIT_RPS in config.ts — Antom's quota is unpublished; 20/s stays below typical limits. */
export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 20 };

/**
 * 30 s: below typical activity start-to-close timeouts (so a starved call fails as a retryable activity error
 * rather than timing out) and long enough to ride out a refresh storm's queue at the configured rate.
 */
export const DEFAULT_MAX_WAIT_MS = 30_000;

export interface RateLimiterOptions {
  keys?: RedisKeys;
  /** Applies to every endpoint not listed in `endpoints`. All workers must use the same limits. */
  defaultLimit?: RateLimit;
  endpoints?: Readonly<Record<string, RateLimit>>;
  maxWaitMs?: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  maxWaitMs?: number;
}

/** No slot within the wait bound. Retryable. */
export class RateLimitTimeoutError extends Error {
  override readonly name = 'RateLimitTimeoutError';
  constructor(readonly endpoint: string, readonly waitMs: number, readonly maxWaitMs: number) {
    super(`rate limit for ${endpoint}: the next slot is ${waitMs} ms away, more than the ${maxWaitMs} ms allowed`);
  }
}

// KEYS[1] bucket; ARGV: rate (tokens/s), burst, max wait (µs). Returns {reserved 1|0, wait ms, slot start µs}.
const RESERVE_SCRIPT = new LuaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local rate, burst, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then tokens, at = burst, now end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000000)
  at = now
end
local wait = 0
if tokens < 1 then wait = (1 - tokens) * 1000000 / rate end
if wait > maxWait then return {0, math.ceil(wait / 1000), math.floor(now + wait)} end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', at))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {1, math.ceil(wait / 1000), math.floor(now + wait)}
`);

export interface RateLimitReservation {
  /** False when the slot is further away than the allowed wait; nothing was taken then. */
  reserved: boolean;
  /** How long the caller must wait before sending (rounded up to whole ms). */
  waitMs: number;
  /** When the slot starts, on the Redis clock (ms since the epoch). */
  slotAtMs: number;
}

export class RateLimiter {
  private readonly keys: RedisKeys;
  private readonly defaultLimit: RateLimit;
  private readonly maxWaitMs: number;

  constructor(private readonly redis: RedisClient, private readonly options: RateLimiterOptions = {}) {
    this.keys = options.keys ?? redisKeys();
    this.defaultLimit = options.defaultLimit ?? DEFAULT_RATE_LIMIT;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    for (const [name, limit] of [['default', this.defaultLimit], ...Object.entries(options.endpoints ?? {})] as const) {
      if (!(limit.requestsPerSecond > 0) || !Number.isFinite(limit.requestsPerSecond)) {
        throw new TypeError(`rate limit ${name}: requestsPerSecond must be a positive number`);
      }
      if (limit.burst !== undefined && !(limit.burst >= 1)) throw new TypeError(`rate limit ${name}: burst must be at least 1`);
    }
  }

  limitFor(endpoint: string): Required<RateLimit> {
    const limit = this.options.endpoints?.[endpoint] ?? this.defaultLimit;
    return { requestsPerSecond: limit.requestsPerSecond, burst: limit.burst ?? 1 };
  }

  /** Takes a token only if one is available now. */
  async tryAcquire(endpoint: string): Promise<boolean> {
    return (await this.reserve(endpoint, { maxWaitMs: 0 })).reserved;
  }

  /**
   * Resolves when the caller may send one request to `endpoint`. Throws RateLimitTimeoutError (at once) when the
   * slot is further away than maxWaitMs, or the signal's reason when aborted while waiting.
   */
  async acquire(endpoint: string, options: AcquireOptions = {}): Promise<void> {
    const maxWaitMs = options.maxWaitMs ?? this.maxWaitMs;
    options.signal?.throwIfAborted();
    const { reserved, waitMs } = await this.reserve(endpoint, { maxWaitMs });
    if (!reserved) throw new RateLimitTimeoutError(endpoint, waitMs, maxWaitMs);
    if (waitMs > 0) await sleep(waitMs, options.signal);
  }

  /** The primitive under acquire(): takes a slot if it starts within maxWaitMs; the caller waits waitMs itself. */
  async reserve(endpoint: string, options: { maxWaitMs?: number } = {}): Promise<RateLimitReservation> {
    const { requestsPerSecond, burst } = this.limitFor(endpoint);
    const maxWaitUs = (options.maxWaitMs ?? this.maxWaitMs) * 1000;
    const reply = (await RESERVE_SCRIPT.run(this.redis, [this.keys.rateLimitBucket(endpoint)], [requestsPerSecond, burst, maxWaitUs])) as [number, number, number];
    return { reserved: reply[0] === 1, waitMs: reply[1], slotAtMs: reply[2] / 1000 };
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
