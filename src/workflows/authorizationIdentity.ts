/**
 * One identity rule for an authorization, shared by the HTTP API (its zod schemas), the library (client.ts) and the
 * workflow id: what a wallet code and a customer id may be, and the one encoding of the pair into the workflow id.
 * Pure (no zod, no Temporal): the workflow bundle and every caller import it.
 *
 * The workflow id is `authorization:{wallet}:{customerId}`. Neither part may contain ':', so the encoding is
 * unambiguous: ('GCASH', 'a:b') and ('GCASH:a', 'b') are both refused instead of meeting in one id. A customer id is
 * also part of URLs, so its alphabet is URL-safe, and '.' / '..' alone are refused (they would normalise a path away).
 */

/** Wallet codes as Antom spells them (customerBelongsTo): upper case, digits, underscores; ≤ 64. */
export const WALLET_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
export const WALLET_RULE = 'must be a wallet code like GCASH (A-Z, 0-9, _; ≤ 64)';

/** 1–128 of A-Z a-z 0-9 . _ @ + -, not '.' or '..'. */
export const CUSTOMER_ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._@+-]{1,128}$/;
export const CUSTOMER_ID_RULE = "must be 1-128 characters of A-Z a-z 0-9 . _ @ + - (not '.' or '..')";

const WORKFLOW_ID_PREFIX = 'authorization:';

export class InvalidAuthorizationIdentityError extends Error {
  override readonly name = 'InvalidAuthorizationIdentityError';
  constructor(readonly field: 'wallet' | 'customerId', rule: string) {
    super(`${field} ${rule}`);
  }
}

/** Throws InvalidAuthorizationIdentityError naming the field (never echoing the value). */
export function assertAuthorizationIdentity(wallet: string, customerId: string): void {
  if (typeof wallet !== 'string' || !WALLET_PATTERN.test(wallet)) throw new InvalidAuthorizationIdentityError('wallet', WALLET_RULE);
  if (typeof customerId !== 'string' || !CUSTOMER_ID_PATTERN.test(customerId)) {
    throw new InvalidAuthorizationIdentityError('customerId', CUSTOMER_ID_RULE);
  }
}

/** The workflow id of (wallet, customer): the idempotency key of linking. Refuses what the rule refuses. */
export function authorizationWorkflowId(wallet: string, customerId: string): string {
  assertAuthorizationIdentity(wallet, customerId);
  return `${WORKFLOW_ID_PREFIX}${wallet}:${customerId}`;
}

/** The inverse of authorizationWorkflowId; undefined for anything it would not have produced. */
export function parseAuthorizationWorkflowId(workflowId: string): { wallet: string; customerId: string } | undefined {
  if (!workflowId.startsWith(WORKFLOW_ID_PREFIX)) return undefined;
  const rest = workflowId.slice(WORKFLOW_ID_PREFIX.length);
  const split = rest.indexOf(':');
  if (split < 0) return undefined;
  const wallet = rest.slice(0, split);
  const customerId = rest.slice(split + 1);
  return WALLET_PATTERN.test(wallet) && CUSTOMER_ID_PATTERN.test(customerId) ? { wallet, customerId } : undefined;
}
