// Journal of successful applyToken responses, keyed by a keyed digest of the exact request and encrypted at rest.
// The activity writes it before returning; a retry of the identical request (the response was lost, the worker
// died) reads it instead of calling Antom again — after a rotating refresh, calling again would fail
// INVALID_REFRESH_TOKEN and force the customer to re-authorize.
import type { RedisClient } from './redisClient';
import type { KeyRing } from '../codec/keyRing';
import { keyedDigest, keyedDigestsForLookup } from '../codec/keyedDigest';
import { canonicalJson } from './canonicalJson';
import { redisKeys, type RedisKeys } from './redisKeys';
import { SecretBox } from './secretBox';

/**
 * 7 days: identical retries normally come within the activity's retry budget (minutes), but a workflow parked in
 * NEEDS_ATTENTION may be retried by an operator days later (a weekend) with the very same request; a week covers
 * that while bounding how long token copies live in Redis.
 */
export const DEFAULT_JOURNAL_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const REQUEST_DIGEST_PURPOSE = 'apply-token-request';

/**
 * The exact request: grantType, authCode or refreshToken, customerBelongsTo, … plus whatever else makes it unique
 * (platform, client id). Key order does not matter; any difference in a value is a different request.
 */
export type ApplyTokenRequestKey = Readonly<Record<string, unknown>>;

export interface ApplyTokenJournalOptions {
  keyRing: KeyRing;
  keys?: RedisKeys;
  ttlMs?: number;
}

export class ApplyTokenJournal<TResponse = unknown> {
  private readonly keys: RedisKeys;
  private readonly box: SecretBox;
  private readonly ttlMs: number;

  constructor(private readonly redis: RedisClient, private readonly options: ApplyTokenJournalOptions) {
    this.keys = options.keys ?? redisKeys();
    this.box = new SecretBox(options.keyRing);
    this.ttlMs = options.ttlMs ?? DEFAULT_JOURNAL_TTL_MS;
  }

  /** The journaled response of this exact request, if one was recorded (under any ring key) and has not expired. */
  async get(request: ApplyTokenRequestKey): Promise<TResponse | undefined> {
    const digests = keyedDigestsForLookup(this.options.keyRing, REQUEST_DIGEST_PURPOSE, canonicalJson(request));
    // One GET per ring key, not MGET: under different digests the keys lie in different Redis Cluster slots.
    const values = await Promise.all(digests.map((digest) => this.redis.get(this.keys.applyTokenJournal(digest))));
    const index = values.findIndex((value) => typeof value === 'string');
    if (index < 0) return undefined;
    return JSON.parse(this.box.open(values[index]!, context(digests[index]!))) as TResponse;
  }

  /** Records the response (JSON-serializable); recording the same request again replaces it and renews the TTL. */
  async put(request: ApplyTokenRequestKey, response: TResponse): Promise<void> {
    if (response === undefined) throw new TypeError('the journaled response must be a JSON value');
    const digest = keyedDigest(this.options.keyRing, REQUEST_DIGEST_PURPOSE, canonicalJson(request));
    await this.redis.set(this.keys.applyTokenJournal(digest), this.box.seal(JSON.stringify(response), context(digest)), 'PX', this.ttlMs);
  }
}

const context = (digest: string): string => `apply-token-journal:${digest}`;
