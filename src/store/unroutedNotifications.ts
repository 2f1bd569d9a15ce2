// Notifications that found no authorization, for operators (issue 12 §4):
//   firstSeen  — when a notification (by keyed digest of its identity) was first unroutable: it is answered non-2xx,
//                so Antom resends, until NOTIFICATION_UNROUTED_ACK_AFTER_MS after this; then acknowledged;
//   record     — an acknowledged-but-unrouted or unknown-type notification, kept in a capped list that
//                GET /operator/notifications/unrouted shows. No secret is stored: no authCode, no token — a token
//                appears only as its routing digest, which an operator can look up in Temporal visibility
//                (AntomTokenDigests = '<digest>'), and authStates are not secret (the redirect URL carries them).
import type { RedisClient } from './redisClient';
import type { KeyRing } from '../codec/keyRing';
import { keyedDigest } from '../codec/keyedDigest';
import { canonicalJson } from './canonicalJson';
import { LuaScript } from './luaScript';
import { redisKeys, type RedisKeys } from './redisKeys';

/** 1,000 entries: far more than an operator reads back, small enough (~300 KB) never to matter for Redis. */
export const DEFAULT_UNROUTED_RECORD_LIMIT = 1_000;
/** 48 h: Antom resends for ~24 h; first-seen marks outlive that, so a late resend still counts from the first. */
export const DEFAULT_FIRST_SEEN_TTL_MS = 48 * 60 * 60 * 1000;

const FIRST_SEEN_PURPOSE = 'notification-first-seen';

/** What is kept about one acknowledged-but-unrouted (or unknown-type) notification. */
export interface UnroutedNotificationRecord {
  /** ISO 8601, when it was acknowledged. */
  readonly at: string;
  readonly platform: string;
  /** The authorizationNotifyType as received (at most 64 characters). */
  readonly type: string;
  /** unrouted: no authorization found for the bounded time; unknown-type: a type this service does not handle. */
  readonly reason: 'unrouted' | 'unknown-type';
  /** ISO 8601, when the notification was first seen unroutable (unrouted only). */
  readonly firstSeenAt?: string;
  readonly authState?: string;
  /** The access token's routing digest (never the token): search Temporal visibility with it. */
  readonly accessTokenDigest?: string;
  readonly authClientId?: string;
  /** The body's field names (unknown types: what the platform sent, without values). */
  readonly fields?: readonly string[];
}

export interface UnroutedNotificationsOptions {
  keyRing: KeyRing;
  keys?: RedisKeys;
  limit?: number;
  firstSeenTtlMs?: number;
}

// Sets the first-seen time unless present; returns the stored one.
const FIRST_SEEN_SCRIPT = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if stored then return stored end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`);

export class UnroutedNotifications {
  private readonly keys: RedisKeys;
  private readonly limit: number;
  private readonly firstSeenTtlMs: number;

  constructor(private readonly redis: RedisClient, private readonly options: UnroutedNotificationsOptions) {
    this.keys = options.keys ?? redisKeys();
    this.limit = options.limit ?? DEFAULT_UNROUTED_RECORD_LIMIT;
    this.firstSeenTtlMs = options.firstSeenTtlMs ?? DEFAULT_FIRST_SEEN_TTL_MS;
  }

  /** When this notification was first seen unroutable (ms); `nowMs` the first time. Throws when Redis fails. */
  async firstSeen(identity: Readonly<Record<string, unknown>>, nowMs: number): Promise<number> {
    const digest = keyedDigest(this.options.keyRing, FIRST_SEEN_PURPOSE, canonicalJson(identity));
    const stored = await FIRST_SEEN_SCRIPT.run(this.redis, [this.keys.notificationFirstSeen(digest)], [nowMs, this.firstSeenTtlMs]);
    return Number(stored);
  }

  /** Keeps the record (newest first, capped). */
  async record(entry: UnroutedNotificationRecord): Promise<void> {
    await this.redis.multi().lpush(this.keys.unroutedNotifications(), JSON.stringify(entry)).ltrim(this.keys.unroutedNotifications(), 0, this.limit - 1).exec();
  }

  /** The most recent records, newest first. */
  async recent(limit = 100): Promise<UnroutedNotificationRecord[]> {
    const raw = await this.redis.lrange(this.keys.unroutedNotifications(), 0, Math.max(0, Math.min(limit, this.limit) - 1));
    return raw.map((text) => JSON.parse(text) as UnroutedNotificationRecord);
  }
}
