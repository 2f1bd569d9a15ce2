/**
 * Keys by keyVersion, for key rotation (antom-api-overview: the signature header's `keyVersion` "specifies the key
 * version that is used to generate or validate the signature").
 *
 *   SigningKey        — { keyVersion, privateKey }: the one key that signs, and the keyVersion its header names.
 *   VerificationKeys  — keyVersion → public key: every version the verifier accepts (two during an overlap).
 *   verifyWithKeys(keys, rawHeader, parts) → { ok: true, keyVersion } | { ok: false, problem }
 *       A header naming a keyVersion is checked with that version's key only (an unknown version is refused before
 *       any signature check). A header naming none was signed with "the latest version" — during an overlap the
 *       verifier cannot tell which that is, so every held key is tried.
 *   loadAntomKeySet(sources) — parses every configured key file at start-up, all problems reported at once, each
 *       naming its variable and keyVersion (and the path), never key material.
 */
import type { KeyObject } from 'node:crypto';
import { KeyConfigurationError, loadPrivateKeyFile, loadPublicKeyFile } from './keys';
import { parseSignatureHeader, signatureHeaderProblem, signatureHeaderStatesKeyVersion, type SignatureHeaderProblem } from './signatureHeader';
import { verifyParts, type SignedParts } from './signing';

export interface SigningKey {
  readonly keyVersion: string;
  readonly privateKey: KeyObject;
}

export type VerificationKeys = ReadonlyMap<string, KeyObject>;

/** A keyVersion as Antom's dashboard numbers them ("1", "2", …); a little wider so other schemes fit. */
export const KEY_VERSION_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const KEY_VERSION_RULE = 'must be 1-32 characters of A-Z a-z 0-9 _ . -';

/** The highest keyVersion of key files ("2" after "1", "10" after "9"): Antom's default is the latest version. */
export function newestKeyVersion(sources: readonly Pick<KeyFileSource, 'keyVersion'>[]): string | undefined {
  return sources.map((source) => source.keyVersion).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
}

export type KeyVerdict =
  | { readonly ok: true; readonly keyVersion: string }
  | { readonly ok: false; readonly problem: 'malformed-header' | 'bad-signature' | SignatureHeaderProblem['kind']; readonly message: string };

/** Verifies `parts` against the raw `signature` header with the key its keyVersion names (or each key, see above). */
export function verifyWithKeys(keys: VerificationKeys, rawHeader: string | undefined, parts: SignedParts): KeyVerdict {
  const header = parseSignatureHeader(rawHeader);
  if (header === undefined) return { ok: false, problem: 'malformed-header', message: 'malformed signature header' };
  const versions = [...keys.keys()];
  if (!signatureHeaderStatesKeyVersion(rawHeader)) {
    // Only the algorithm can be wrong here; the version is whichever key verifies.
    const problem = signatureHeaderProblem({ ...header, keyVersion: versions[0] ?? '' }, versions);
    if (problem) return { ok: false, problem: problem.kind, message: problem.message };
    for (const [keyVersion, key] of keys) {
      if (verifyParts(key, parts, header.signature)) return { ok: true, keyVersion };
    }
    return { ok: false, problem: 'bad-signature', message: 'signature does not verify' };
  }
  const problem = signatureHeaderProblem(header, versions);
  if (problem) return { ok: false, problem: problem.kind, message: problem.message };
  const key = keys.get(header.keyVersion)!;
  return verifyParts(key, parts, header.signature)
    ? { ok: true, keyVersion: header.keyVersion }
    : { ok: false, problem: 'bad-signature', message: 'signature does not verify' };
}

/** One configured key file: the variable it came from (for error messages), its keyVersion and path. */
export interface KeyFileSource {
  readonly variable: string;
  readonly keyVersion: string;
  readonly path: string;
  /** From a `version:path` list (errors then name the keyVersion too), not a single-key variable. */
  readonly listed?: boolean;
}

export interface AntomKeySources {
  /** The merchant's private keys, oldest first. */
  readonly privateKeys: readonly KeyFileSource[];
  /** Which of them signs; must be one of `privateKeys`' versions. */
  readonly signingKeyVersion: string;
  /** Antom's (or Alipay+'s) public keys. */
  readonly publicKeys: readonly KeyFileSource[];
}

export interface AntomKeySet {
  readonly signing: SigningKey;
  /** Every configured merchant private key (only `signing` signs; the others are held for the switch back). */
  readonly privateKeys: ReadonlyMap<string, KeyObject>;
  readonly antomPublicKeys: VerificationKeys;
}

export class AntomKeySetError extends Error {
  override readonly name = 'AntomKeySetError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Parses every key (all problems at once), checks the signing version is configured. Never echoes key material. */
/** loadAntomKeySet for several credential sets (one per merchant): every set's problems in one AntomKeySetError. */
export function loadAntomKeySets(sourcesList: readonly AntomKeySources[]): AntomKeySet[] {
  const problems: string[] = [];
  const sets = sourcesList.map((sources) => {
    try {
      return loadAntomKeySet(sources);
    } catch (error) {
      if (!(error instanceof AntomKeySetError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  });
  if (problems.length > 0) throw new AntomKeySetError(problems);
  return sets as AntomKeySet[];
}

export function loadAntomKeySet(sources: AntomKeySources): AntomKeySet {
  const problems: string[] = [];
  const load = (source: KeyFileSource, loader: (path: string) => KeyObject): KeyObject | undefined => {
    try {
      return loader(source.path);
    } catch (error) {
      if (error instanceof KeyConfigurationError) {
        problems.push(`${source.variable}: ${source.listed ? `keyVersion ${source.keyVersion}: ` : ''}${error.message}`);
        return undefined;
      }
      throw error;
    }
  };
  const privateKeys = new Map<string, KeyObject>();
  for (const source of sources.privateKeys) {
    const key = load(source, loadPrivateKeyFile);
    if (key) privateKeys.set(source.keyVersion, key);
  }
  const antomPublicKeys = new Map<string, KeyObject>();
  for (const source of sources.publicKeys) {
    const key = load(source, loadPublicKeyFile);
    if (key) antomPublicKeys.set(source.keyVersion, key);
  }
  if (sources.publicKeys.length === 0) problems.push('ANTOM_PUBLIC_KEYS: no Antom public key configured (or ANTOM_PUBLIC_KEY_FILE)');
  const signingSource = sources.privateKeys.find((source) => source.keyVersion === sources.signingKeyVersion);
  if (signingSource === undefined) {
    const variable = sources.privateKeys[0]?.variable ?? 'ANTOM_PRIVATE_KEYS';
    problems.push(`ANTOM_SIGNING_KEY_VERSION: keyVersion ${sources.signingKeyVersion} is not among the private keys of ${variable}`);
  }
  if (problems.length > 0) throw new AntomKeySetError(problems);
  return { signing: { keyVersion: sources.signingKeyVersion, privateKey: privateKeys.get(sources.signingKeyVersion)! }, privateKeys, antomPublicKeys };
}
