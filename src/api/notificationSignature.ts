/**
 * Verifies an inbound Antom / Alipay+ notification against its exact raw body (antom-api.md §2):
 * `POST <path>\n<client-id>.<request-time>.<raw body>` with the platform's public key. Nothing about the body is
 * trusted (or even parsed) before this passes.
 *
 * The signed path is the path the sender posted to. Behind a reverse proxy that strips a prefix, that is the public
 * URL's path prefix + the path we received, so both are tried.
 */
import type { KeyObject } from 'node:crypto';
import { DEFAULT_KEY_VERSION, parseSignatureHeader } from '../antom/signatureHeader';
import { verifyWithKeys, type VerificationKeys } from '../antom/signatureKeys';
import { DEFAULT_MERCHANT_ID } from '../workflows/authorizationIdentity';

export interface NotificationSignatureOptions {
  /** Antom's (or Alipay+'s) public key, parsed once; or `publicKeys`. */
  readonly publicKey?: KeyObject;
  /** `publicKey`'s keyVersion (default "1"): a notification signed under another keyVersion is refused. */
  readonly publicKeyVersion?: string;
  /** Every accepted public key by keyVersion (a rotation's overlap); replaces the two above. */
  readonly publicKeys?: VerificationKeys;
  /** client-ids this deployment receives notifications for; empty accepts any (the signature still must verify). */
  readonly clientIds: readonly string[];
  /**
   * The named merchants (MERCHANTS_FILE) by client-id: a notification naming one is verified with that merchant's
   * platform keys only, and its verdict names the merchant (routing then keeps to that merchant's authorizations).
   * Without default keys (`publicKey(s)`), a client-id not listed here is refused.
   */
  readonly merchants?: ReadonlyMap<string, MerchantNotificationKeys>;
  /** Path prefix of PUBLIC_BASE_URL (e.g. `/antom-auth`), '' when none. */
  readonly publicPathPrefix: string;
}

/** Our client-id and private key at Alipay+ (and its keyVersion), to sign the answers to its notifications. */
export interface AlipayPlusResponseSigner {
  readonly clientId: string;
  readonly privateKey: KeyObject;
  readonly keyVersion?: string;
}

/** One named merchant's side of notifications. */
export interface MerchantNotificationKeys {
  readonly merchantId: string;
  readonly publicKeys: VerificationKeys;
  /** Its client-id and private key at Alipay+, to sign the answers to its notifications. */
  readonly alipayPlusResponseSigner?: AlipayPlusResponseSigner;
}

export type SignatureVerdict =
  | { readonly ok: true; readonly clientId: string; readonly signedPath: string; readonly merchantId: string }
  | { readonly ok: false; readonly problem: string };

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const single = (value: string | string[] | undefined): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** Longest accepted header value; real ones are far shorter and this keeps hostile input cheap to reject. */
const MAX_HEADER_LENGTH = 4096;

export function verifyNotificationSignature(
  options: NotificationSignatureOptions,
  request: { readonly url: string; readonly headers: Headers; readonly rawBody: string },
): SignatureVerdict {
  const clientId = single(request.headers['client-id']);
  if (!clientId) return { ok: false, problem: 'missing client-id header' };
  const time = single(request.headers['request-time']);
  if (!time) return { ok: false, problem: 'missing request-time header' };
  const header = single(request.headers.signature);
  if (!header) return { ok: false, problem: 'missing signature header' };
  if (clientId.length > MAX_HEADER_LENGTH || time.length > MAX_HEADER_LENGTH || header.length > MAX_HEADER_LENGTH) {
    return { ok: false, problem: 'signature headers are too long' };
  }
  const merchant = options.merchants?.get(clientId);
  const hasDefaultKeys = options.publicKey !== undefined || (options.publicKeys !== undefined && options.publicKeys.size > 0);
  if (!merchant && (!hasDefaultKeys || (options.clientIds.length > 0 && !options.clientIds.includes(clientId)))) return { ok: false, problem: 'unknown client-id' };
  if (!parseSignatureHeader(header)) return { ok: false, problem: 'malformed signature header (expected algorithm=RSA256,keyVersion=1,signature=…)' };
  const keys = merchant ? merchant.publicKeys : notificationVerificationKeys(options);
  const merchantId = merchant ? merchant.merchantId : DEFAULT_MERCHANT_ID;
  const paths = options.publicPathPrefix ? [request.url, options.publicPathPrefix + request.url] : [request.url];
  for (const path of paths) {
    // algorithm=NONE or a key we do not hold is refused before the signature is looked at, never ignored.
    const verdict = verifyWithKeys(keys, header, { path, clientId, time, body: request.rawBody });
    if (verdict.ok) return { ok: true, clientId, signedPath: path, merchantId };
    if (verdict.problem !== 'bad-signature') return { ok: false, problem: verdict.message };
  }
  return { ok: false, problem: 'signature does not verify' };
}

/** `publicKeys`, else the single `publicKey` under its keyVersion. */
export function notificationVerificationKeys(options: Pick<NotificationSignatureOptions, 'publicKey' | 'publicKeyVersion' | 'publicKeys'>): VerificationKeys {
  if (options.publicKeys !== undefined && options.publicKeys.size > 0) return options.publicKeys;
  if (options.publicKey === undefined) throw new RangeError('publicKey or publicKeys is required');
  return new Map([[options.publicKeyVersion ?? DEFAULT_KEY_VERSION, options.publicKey]]);
}
