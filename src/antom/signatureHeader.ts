/**
 * The `signature` header: `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
 *
 * Parsed as comma-separated `key=value` parameters in ANY order (antom-api-overview: "key-value pairs separated by
 * comma"; nothing fixes their order, and other implementations put `signature=` first). Antom's docs put a space
 * after the commas and the SDKs don't, so whitespace around parameters is ignored. A URL-encoded base64 value holds
 * no comma and its `=` padding is `%3D`; a raw `=` inside a value is kept (only the first `=` splits name from
 * value). A header naming a parameter twice is ambiguous and rejected rather than guessed.
 *
 * What the parameters mean (antom-api-overview.txt): `algorithm` — "RSA256 is supported", the only one; `keyVersion`
 * — which of the client-id's keys signed, "by default … the latest version". Parsing keeps whatever the header says;
 * every verifier then runs `signatureHeaderProblem` before it looks at the signature: an algorithm other than RSA256
 * (compared case-insensitively: `rsa256` names the same algorithm) or a keyVersion the verifier holds no key for is
 * refused, never ignored. An absent parameter takes the documented default (RSA256, and keyVersion "1", the version
 * of the single key this service is configured with unless configured otherwise).
 */

export interface SignatureHeader {
  readonly algorithm: string;
  readonly keyVersion: string;
  /** URL-encoded base64, exactly as it appears in the header. */
  readonly signature: string;
}

export const DEFAULT_ALGORITHM = 'RSA256';
export const DEFAULT_KEY_VERSION = '1';

export type SignatureHeaderProblemKind = 'unsupported-algorithm' | 'unknown-key-version';

export interface SignatureHeaderProblem {
  readonly kind: SignatureHeaderProblemKind;
  /** Names what is accepted, never the header's own values (they are unverified input). */
  readonly message: string;
}

/**
 * Why a parsed header must be refused before any signature check, or undefined when its algorithm is RSA256 and its
 * keyVersion is one of `knownKeyVersions` (the versions the verifier holds a public key for).
 */
export function signatureHeaderProblem(header: SignatureHeader, knownKeyVersions: readonly string[]): SignatureHeaderProblem | undefined {
  if (header.algorithm.toUpperCase() !== DEFAULT_ALGORITHM) {
    return { kind: 'unsupported-algorithm', message: `unsupported signature algorithm: only ${DEFAULT_ALGORITHM} is accepted` };
  }
  if (!knownKeyVersions.includes(header.keyVersion)) {
    const known = knownKeyVersions.length === 0 ? 'none' : knownKeyVersions.map((version) => `"${version}"`).join(', ');
    return { kind: 'unknown-key-version', message: `unknown signature keyVersion: the key versions known here are ${known}` };
  }
  return undefined;
}

export function formatSignatureHeader(header: Pick<SignatureHeader, 'signature'> & Partial<SignatureHeader>): string {
  return `algorithm=${header.algorithm ?? DEFAULT_ALGORITHM},keyVersion=${header.keyVersion ?? DEFAULT_KEY_VERSION},signature=${header.signature}`;
}

/** The header's parameters by lower-cased name; undefined when one is repeated (ambiguous). */
function parameterMap(value: string): Map<string, string> | undefined {
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
  return parameters;
}

/**
 * Whether the header names its keyVersion. Without one the signer used "the latest version of the key"
 * (antom-api-overview), which a verifier holding several keys during a rotation cannot know, so it tries each
 * (signatureKeys.ts); parseSignatureHeader still reports the documented default "1" for it.
 */
export function signatureHeaderStatesKeyVersion(value: string | undefined | null): boolean {
  return Boolean(value && parameterMap(value)?.get('keyversion'));
}

/** Returns undefined when the header has no usable `signature=` value or repeats a parameter. */
export function parseSignatureHeader(value: string | undefined | null): SignatureHeader | undefined {
  if (!value) return undefined;
  const parameters = parameterMap(value);
  if (parameters === undefined) return undefined;
  const signature = parameters.get('signature');
  if (!signature) return undefined;
  return {
    algorithm: parameters.get('algorithm') || DEFAULT_ALGORITHM,
    keyVersion: parameters.get('keyversion') || DEFAULT_KEY_VERSION,
    signature,
  };
}
