/**
 * The rule above all, in one place: when an access token may be handed to the payment path. Pure (no Temporal runtime, no
 * Redis): the workflow's token query, the Redis read path of the API and the library, and the tests all ask it.
 *
 * Never served:
 *   - once a merchant cancel is accepted or a TOKEN_CANCELED received (the projection is withdrawn before either is
 *     acted on, and the workflow knows it: `withdrawn`);
 *   - in REVOKING or any terminal state;
 *   - at or after the access token's expiry, whatever the state (REAUTH_REQUIRED past expiry included).
 * Served otherwise, including while a refresh is retried (NEEDS_ATTENTION) or a relink is under way: the token is
 * still valid at the wallet until it expires.
 */

import { TERMINAL_STATES } from './definitions';

const NEVER_SERVED_STATES: ReadonlySet<string> = new Set<string>(['REVOKING', ...TERMINAL_STATES]);

export type NotServedReason = 'withdrawn' | 'state' | 'expired' | 'no-token';

export interface ServingFacts {
  /** The authorization's state (an AuthorizationState value). */
  state: string;
  /** ISO 8601 expiry of the access token; undefined when none is held. */
  accessTokenExpiry: string | undefined;
  /** A merchant cancel was accepted or the wallet canceled. */
  withdrawn: boolean;
  /** Now, ms since epoch. */
  nowMs: number;
}

/** Undefined when the token may be served; otherwise why not. */
export function whyNotServable(facts: ServingFacts): NotServedReason | undefined {
  if (facts.accessTokenExpiry === undefined) return 'no-token';
  if (facts.withdrawn) return 'withdrawn';
  if (NEVER_SERVED_STATES.has(facts.state)) return 'state';
  const expiry = Date.parse(facts.accessTokenExpiry);
  // An unparsable expiry is treated as expired: never guess in favour of serving.
  if (!Number.isFinite(expiry) || facts.nowMs >= expiry) return 'expired';
  return undefined;
}

export function isServable(facts: ServingFacts): boolean {
  return whyNotServable(facts) === undefined;
}
