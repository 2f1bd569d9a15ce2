// Encryption at rest for Redis values: AES-256-GCM with the shared key ring (src/codec), as one self-describing
// string `v1.<keyId>.<base64 sealed>`. The context (e.g. "token:<workflowId>") is authenticated, so a value copied
// under another key fails to open instead of handing out someone else's token.
import { openBytes, sealBytes } from '../codec/aesGcm';
import type { KeyRing } from '../codec/keyRing';

const FORMAT = 'v1';

/** A stored value that is not in the SecretBox format. Never includes the value. */
export class SealedValueFormatError extends Error {
  override readonly name = 'SealedValueFormatError';
}

export class SecretBox {
  constructor(readonly keyRing: KeyRing) {}

  seal(plaintext: string, context: string): string {
    const { keyId, sealed } = sealBytes(this.keyRing, Buffer.from(plaintext, 'utf8'), associatedData(context));
    return `${FORMAT}.${keyId}.${sealed.toString('base64')}`;
  }

  open(sealedValue: string, context: string): string {
    const [format, keyId, body, ...rest] = sealedValue.split('.');
    if (format !== FORMAT || !keyId || body === undefined || rest.length > 0) {
      throw new SealedValueFormatError(`stored value for ${context} is not a ${FORMAT} sealed value`);
    }
    return openBytes(this.keyRing, keyId, Buffer.from(body, 'base64'), associatedData(context), `the stored value for ${context}`).toString('utf8');
  }
}

function associatedData(context: string): Buffer {
  return Buffer.from(`antom-auth/redis/${FORMAT}\0${context}`, 'utf8');
}
