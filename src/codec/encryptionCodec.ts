// The Temporal PayloadCodec: every payload (workflow inputs, state, activity results with tokens, encoded failure
// messages) is serialized whole and sealed with AES-256-GCM, so history holds no plaintext token.
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { openBytes, sealBytes } from './aesGcm';
import type { KeyRing } from './keyRing';
import { unencodedPayloadMarker } from './unencodedPayloads';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID_METADATA = 'encryption-key-id';

const METADATA_ENCODING = 'encoding';
// Binds ciphertexts to this use: a sealed Redis value pasted into a payload fails authentication.
const PAYLOAD_ASSOCIATED_DATA = Buffer.from('antom-auth/temporal-payload/v1');

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : undefined;

/** Thrown for an encrypted payload that cannot be read (missing key id metadata). Never includes payload data. */
export class EncryptedPayloadError extends Error {
  override readonly name = 'EncryptedPayloadError';
}

export interface EncryptionCodecOptions {
  /**
   * What decode does with a payload that is not `binary/encrypted`: 'pass' it through (default: clients, the codec
   * endpoint, history written before encryption) or 'mark' it (the worker: unencodedPayloads.ts).
   */
  readonly unencoded?: 'pass' | 'mark';
}

export class EncryptionCodec implements PayloadCodec {
  private readonly markUnencoded: boolean;

  constructor(
    private readonly keyRing: KeyRing,
    options: EncryptionCodecOptions = {},
  ) {
    this.markUnencoded = options.unencoded === 'mark';
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const { keyId, sealed } = sealBytes(this.keyRing, plaintext, PAYLOAD_ASSOCIATED_DATA);
      return {
        metadata: {
          [METADATA_ENCODING]: utf8(ENCRYPTED_ENCODING),
          [ENCRYPTION_KEY_ID_METADATA]: utf8(keyId),
        },
        data: sealed,
      };
    });
  }

  /**
   * Payloads that are not `binary/encrypted` pass through (history written before encryption stays readable), or,
   * with `unencoded: 'mark'`, are replaced by the unencoded-payload marker.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING]) !== ENCRYPTED_ENCODING) return this.markUnencoded ? unencodedPayloadMarker() : payload;
      const keyId = text(payload.metadata?.[ENCRYPTION_KEY_ID_METADATA]);
      if (!keyId) throw new EncryptedPayloadError(`encrypted payload has no "${ENCRYPTION_KEY_ID_METADATA}" metadata`);
      const plaintext = openBytes(this.keyRing, keyId, payload.data ?? new Uint8Array(), PAYLOAD_ASSOCIATED_DATA, 'payload');
      return temporal.api.common.v1.Payload.decode(plaintext);
    });
  }
}
