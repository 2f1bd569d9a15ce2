// Notification deduplication in two phases, so a notification is never lost:
//   claim   — SET NX a short-lived "claimed" mark (only one request delivers at a time);
//   confirm — after the workflow accepted it, replace the mark with "delivered" for the long TTL;
//   release — if delivery failed, drop the claim: the caller answers non-2xx and Antom's resend is processed.
// A process that dies between claim and confirm leaves a claim that expires after claimTtlMs, before Antom's next
// resend (≥ 2 minutes later), so that resend is delivered. Marking "delivered" before delivering would lose it.
// Keys are keyed digests of the identity (it can contain an accessToken or authCode).
import { randomBytes } from 'node:crypto';
import type { RedisClient } from './redisClient';
import type { KeyRing } from '../codec/keyRing';
import { keyedDigestsForLookup } from '../codec/keyedDigest';
import { canonicalJson } from './canonicalJson';
import { LuaScript } from './luaScript';
import { redisKeys, type RedisKeys } from './redisKeys';

/** 48 h: Antom resends for ~24 h (0 s … 15 h intervals); twice that absorbs clock and queueing slack. */
export const DEFAULT_DELIVERED_TTL_MS = 48 * 60 * 60 * 1000;
/**
 * 60 s: longer than one delivery (a signal/update round trip to Temporal, bounded by the API's timeout) and shorter
 * than Antom's first real resend gap (2 min), so a crashed delivery's claim is gone when the resend arrives.
 */
export const DEFAULT_CLAIM_TTL_MS = 60 * 1000;

const DELIVERED = 'delivered';
/**
 * A delivered mark names the ring key its digest was made with (`delivered:<keyId>`), so `antom-auth keys audit` can
 * tell which key the mark depends on; a bare `delivered` (written before) counts the same. The identity itself is
 * not stored, so a mark cannot be re-keyed: it ages out (deliveredTtlMs).
 */
export const DELIVERED_MARK_PREFIX = `${DELIVERED}:`;
const CLAIM_PREFIX = 'claimed:';
const IDENTITY_DIGEST_PURPOSE = 'notification';

export type NotificationClaim =
  /** First seen: deliver it, then confirm(); on failure release() and answer non-2xx. */
  | { status: 'claimed'; confirm(): Promise<void>; release(): Promise<void> }
  /** Delivered before: acknowledge without delivering again. */
  | { status: 'duplicate' }
  /** Another request is delivering it now: do not acknowledge yet (if that delivery fails, the resend must count). */
  | { status: 'in-progress' };

export type DeliverOnceResult<T> = { status: 'delivered'; result: T } | { status: 'duplicate' } | { status: 'in-progress' };

/** The identity of a notification: its semantic fields (e.g. type, authState, authCode, accessToken) or a string. */
export type NotificationIdentity = string | Readonly<Record<string, unknown>>;

export interface NotificationDedupeOptions {
  keyRing: KeyRing;
  keys?: RedisKeys;
  deliveredTtlMs?: number;
  claimTtlMs?: number;
}

// KEYS[1]: the identity's key under the current ring key. One key, so it runs on Redis Cluster: the keys under older
// ring keys (other digests, other slots) are read before it, by claim(). Only processes still on the old ring write
// those, and they never see the current key either, so checking them atomically with the claim would add nothing.
const CLAIM_SCRIPT = new LuaScript(`
local mark = redis.call('GET', KEYS[1])
if mark and (mark == '${DELIVERED}' or string.sub(mark, 1, ${DELIVERED.length + 1}) == '${DELIVERED}:') then return 'duplicate' end
if mark then return 'in-progress' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'claimed'
`);

const RELEASE_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

export class NotificationDedupe {
  private readonly keys: RedisKeys;
  private readonly deliveredTtlMs: number;
  private readonly claimTtlMs: number;

  constructor(private readonly redis: RedisClient, private readonly options: NotificationDedupeOptions) {
    this.keys = options.keys ?? redisKeys();
    this.deliveredTtlMs = options.deliveredTtlMs ?? DEFAULT_DELIVERED_TTL_MS;
    this.claimTtlMs = options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
  }

  async claim(identity: NotificationIdentity): Promise<NotificationClaim> {
    const text = typeof identity === 'string' ? identity : canonicalJson(identity);
    const keys = keyedDigestsForLookup(this.options.keyRing, IDENTITY_DIGEST_PURPOSE, text).map((d) => this.keys.notificationDedupe(d));
    const claimMark = CLAIM_PREFIX + randomBytes(12).toString('base64url');
    // Marks written under an older ring key (before a rotation) still count.
    const olderMarks = await Promise.all(keys.slice(1).map((older) => this.redis.get(older)));
    if (olderMarks.some((mark) => mark === DELIVERED || mark?.startsWith(DELIVERED_MARK_PREFIX))) return { status: 'duplicate' };
    if (olderMarks.some((mark) => mark !== null)) return { status: 'in-progress' };
    const status = await CLAIM_SCRIPT.run(this.redis, [keys[0]!], [claimMark, this.claimTtlMs]);
    if (status === 'duplicate' || status === 'in-progress') return { status };
    const key = keys[0]!;
    return {
      status: 'claimed',
      // Unconditional: the delivery happened even if our claim expired meanwhile.
      confirm: async () => {
        await this.redis.set(key, DELIVERED_MARK_PREFIX + this.options.keyRing.currentKeyId, 'PX', this.deliveredTtlMs);
      },
      // Only our own claim: never erase a "delivered" mark or another request's claim.
      release: async () => {
        await RELEASE_SCRIPT.run(this.redis, [key], [claimMark]);
      },
    };
  }

  /** claim → deliver → confirm, releasing the claim if deliver throws (the error propagates). */
  async deliverOnce<T>(identity: NotificationIdentity, deliver: () => Promise<T>): Promise<DeliverOnceResult<T>> {
    const claim = await this.claim(identity);
    if (claim.status !== 'claimed') return claim;
    let result: T;
    try {
      result = await deliver();
    } catch (error) {
      await claim.release();
      throw error;
    }
    await claim.confirm();
    return { status: 'delivered', result };
  }
}
