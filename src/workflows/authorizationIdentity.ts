/**
 * One identity rule for an authorization, shared by the HTTP API (its zod schemas), the library (client.ts) and the
 * workflow id: what a wallet code and a customer id may be, and the one encoding of the pair into the workflow id.
 * Pure (no zod, no Temporal): the workflow bundle and every caller import it.
 *
 * The workflow id is `authorization:{wallet}:{customerId}` for the default merchant (the single-merchant ANTOM_*
 * variables; every id issued before merchants existed) and `authorization:{merchant}:{wallet}:{customerId}` for a
 * merchant named in MERCHANTS_FILE, so two merchants' customers never meet in one id. No part may contain ':', so the
 * encoding is unambiguous: ('GCASH', 'a:b') and ('GCASH:a', 'b') are both refused instead of meeting in one id, and
 * the part count tells the two forms apart (a merchant id is lower case, a wallet code upper case, besides). A
 * customer id is also part of URLs, so its alphabet is URL-safe, and '.' / '..' alone are refused (they would
 * normalise a path away).
 */

/** Wallet codes as Antom spells them (customerBelongsTo): upper case, digits, underscores; ≤ 64. */
export const WALLET_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
export const WALLET_RULE = 'must be a wallet code like GCASH (A-Z, 0-9, _; ≤ 64)';

/** 1–128 of A-Z a-z 0-9 . _ @ + -, not '.' or '..'. */
export const CUSTOMER_ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._@+-]{1,128}$/;
export const CUSTOMER_ID_RULE = "must be 1-128 characters of A-Z a-z 0-9 . _ @ + - (not '.' or '..')";

/** A merchant's id in MERCHANTS_FILE: lower case, digits, '-' and '_'; ≤ 32. */
export const MERCHANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const MERCHANT_ID_RULE = 'must be a merchant id like shop-ph (a-z, 0-9, -, _; ≤ 32, starting with a letter or digit)';
/** The merchant of the single-merchant ANTOM_* variables; its workflow ids carry no merchant part. */
export const DEFAULT_MERCHANT_ID = 'default';

const WORKFLOW_ID_PREFIX = 'authorization:';

export class InvalidAuthorizationIdentityError extends Error {
  override readonly name = 'InvalidAuthorizationIdentityError';
  constructor(readonly field: 'wallet' | 'customerId' | 'merchant', rule: string) {
    super(`${field} ${rule}`);
  }
}

/** Throws InvalidAuthorizationIdentityError for a merchant id the rule refuses (never echoing the value). */
export function assertMerchantId(merchant: string): void {
  if (typeof merchant !== 'string' || !MERCHANT_ID_PATTERN.test(merchant)) throw new InvalidAuthorizationIdentityError('merchant', MERCHANT_ID_RULE);
}

/** undefined and 'default' both mean the default merchant. */
export const isDefaultMerchant = (merchant: string | undefined): boolean => merchant === undefined || merchant === DEFAULT_MERCHANT_ID;

/** Throws InvalidAuthorizationIdentityError naming the field (never echoing the value). */
export function assertAuthorizationIdentity(wallet: string, customerId: string): void {
  if (typeof wallet !== 'string' || !WALLET_PATTERN.test(wallet)) throw new InvalidAuthorizationIdentityError('wallet', WALLET_RULE);
  if (typeof customerId !== 'string' || !CUSTOMER_ID_PATTERN.test(customerId)) {
    throw new InvalidAuthorizationIdentityError('customerId', CUSTOMER_ID_RULE);
  }
}

/**
 * The workflow id of (merchant, wallet, customer): the idempotency key of linking. Refuses what the rule refuses.
 * The default merchant (undefined or 'default') keeps the id without a merchant part.
 */
export function authorizationWorkflowId(wallet: string, customerId: string, merchant?: string): string {
  assertAuthorizationIdentity(wallet, customerId);
  if (isDefaultMerchant(merchant)) return `${WORKFLOW_ID_PREFIX}${wallet}:${customerId}`;
  assertMerchantId(merchant!);
  return `${WORKFLOW_ID_PREFIX}${merchant}:${wallet}:${customerId}`;
}

/** The inverse of authorizationWorkflowId (merchant 'default' for an id without one); undefined for anything it would not have produced. */
export function parseAuthorizationWorkflowId(workflowId: string): { merchant: string; wallet: string; customerId: string } | undefined {
  if (!workflowId.startsWith(WORKFLOW_ID_PREFIX)) return undefined;
  const parts = workflowId.slice(WORKFLOW_ID_PREFIX.length).split(':');
  const [merchant, wallet, customerId] = parts.length === 2 ? [DEFAULT_MERCHANT_ID, ...parts] : parts;
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  if (parts.length === 3 && (!MERCHANT_ID_PATTERN.test(merchant!) || merchant === DEFAULT_MERCHANT_ID)) return undefined;
  return WALLET_PATTERN.test(wallet!) && CUSTOMER_ID_PATTERN.test(customerId!) ? { merchant: merchant!, wallet: wallet!, customerId: customerId! } : undefined;
}
