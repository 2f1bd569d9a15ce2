/**
 * The `signature` header: `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
 *
 * Parsed as comma-separated `key=value` parameters in ANY order (antom-api-overview: "key-value pairs separated by
 * comma"; nothing fixes their order, and other implementations put `signature=` first). Antom's docs put a space
 * after the commas and the SDKs don't, so whitespace around parameters is ignored. A URL-encoded base64 value holds
 * no comma and its `=` padding is `%3D`; a raw `=` inside a value is kept (only the first `=` splits name from
 * value). A header naming a parameter twice is ambiguous and rejected rather than guessed.
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

/** Returns undefined when the header has no usable `signature=` value or repeats a parameter. */
export function parseSignatureHeader(value: string | undefined | null): SignatureHeader | undefined {
  if (!value) return undefined;
  const parameters = new Map<string, string>();
  for (const part of value.split(',')) {
    const equals = part.indexOf('=');
    // A fragment without a name (stray text, a trailing comma) names no parameter; the signature check decides.
    if (equals < 0) continue;
    const name = part.slice(0, equals).trim().toLowerCase();
    if (name === '') continue;
    if (parameters.has(name)) return undefined;
    parameters.set(name, part.slice(equals + 1).trim());
  }
  const signature = parameters.get('signature');
  if (!signature) return undefined;
  return {
    algorithm: parameters.get('algorithm') || DEFAULT_ALGORITHM,
    keyVersion: parameters.get('keyversion') || DEFAULT_KEY_VERSION,
    signature,
  };
}
