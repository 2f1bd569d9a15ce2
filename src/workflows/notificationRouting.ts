/**
 * What the workflow records for notification routing that survives Redis loss (issue 12 §4), as a pure function of
 * its state: published as search attributes AntomAuthState and AntomTokenDigests, which the API queries when Redis
 * does not know an authState or a token (src/api/notificationRouting.ts).
 *
 *   authState     the current consult's, or once its code was accepted the last accepted one (a late AUTHCODE_CREATED
 *                 resend then still finds this workflow and is answered as a duplicate);
 *   tokenDigests  routing digests (keyed HMACs, never tokens) of the current token and of the one the last refresh
 *                 replaced: a TOKEN_CANCELED can name either. A new consent's token does not carry its predecessor's
 *                 digest: a cancel of the superseded token must not end the new authorization.
 *
 * Kept after the authorization ends, so late resends reach the ended workflow and are acknowledged.
 */
import type { AuthorizationRecord } from './definitions';

export interface RoutingAttributes {
  readonly authState: string | null;
  readonly tokenDigests: string[] | null;
}

export function routingAttributes(record: Pick<AuthorizationRecord, 'link' | 'acceptedAuthStates' | 'tokens' | 'previousTokenDigest'>): RoutingAttributes {
  const authState = record.link?.authState ?? record.acceptedAuthStates.at(-1) ?? null;
  const digests = [record.tokens?.routingDigest, record.previousTokenDigest].filter((d): d is string => typeof d === 'string' && d !== '');
  const unique = [...new Set(digests)];
  return { authState, tokenDigests: unique.length > 0 ? unique : null };
}
