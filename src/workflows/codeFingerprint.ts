/**
 * A short, stable fingerprint of an authCode for deduplicating deliveries inside the workflow (which cannot use node's
 * crypto). Not a secret-protecting hash: it only has to tell two codes for one authState apart, and it keeps the
 * codes themselves out of the long-lived dedupe list.
 */
export function codeFingerprint(code: string): string {
  // Two independent FNV-1a 32-bit passes (different offsets) → 64 bits: collisions between two codes are negligible.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ code.length;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}
