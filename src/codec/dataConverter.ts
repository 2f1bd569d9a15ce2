// The DataConverter worker, client and bundler share: encryption codec + failure attributes encoded (and so encrypted).
// Temporal 1.24 takes the failure converter by module path (it must also run inside the workflow sandbox), hence
// failureConverterPath rather than an instance.
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryptionCodec';
import type { KeyRing } from './keyRing';

/** Absolute path of the module exporting `failureConverter`; pass it to bundleWorkflowCode too when prebundling. */
export const FAILURE_CONVERTER_PATH: string = require.resolve('./failureConverter');

export interface EncryptingDataConverterOptions {
  /** The worker's: replace payloads that arrive unencrypted by a marker its interceptors refuse (unencodedPayloads.ts). */
  readonly refuseUnencoded?: boolean;
}

export function createEncryptingDataConverter(keyRing: KeyRing, options: EncryptingDataConverterOptions = {}): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(keyRing, { unencoded: options.refuseUnencoded ? 'mark' : 'pass' })],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
