/**
 * The `signature` header: `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
 * Antom's docs put a space after the commas and the SDKs don't, so parsing is lenient; the signature value is
 * everything after `signature=` (a URL-encoded base64 value contains no comma, but we do not rely on that).
 */

export interface SignatureHeader {
  readonly algorithm: string;
  readonly keyVersion: string;
  /** URL-encoded base64, exactly as it appears in the header. */
  readonly signature: string;
}

export const DEFAULT_ALGORITHM = 'RSA256';
export const DEFAULT_KEY_VERSION = '1';

export function formatSignatureHeader(header: Pick<SignatureHeader, 'signature'> & Partial<SignatureHeader>): string {
  return `algorithm=${header.algorithm ?? DEFAULT_ALGORITHM},keyVersion=${header.keyVersion ?? DEFAULT_KEY_VERSION},signature=${header.signature}`;
}

/** Returns undefined when the header has no usable `signature=` value. */
export function parseSignatureHeader(value: string | undefined | null): SignatureHeader | undefined {
  if (!value) return undefined;
  const marker = value.search(/(^|[,\s])signature=/);
  if (marker < 0) return undefined;
  const start = value.indexOf('signature=', marker) + 'signature='.length;
  const signature = value.slice(start).trim();
  if (signature.length === 0) return undefined;
  const attributes = value.slice(0, marker);
  const read = (name: string): string | undefined => {
    const match = new RegExp(`(?:^|[,\\s])${name}=([^,\\s]*)`).exec(attributes);
    return match?.[1] || undefined;
  };
  return {
    algorithm: read('algorithm') ?? DEFAULT_ALGORITHM,
    keyVersion: read('keyVersion') ?? DEFAULT_KEY_VERSION,
    signature,
  };
}
