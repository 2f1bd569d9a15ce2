// Inbound payloads that arrive at the worker without the codec's encryption (metadata encoding `binary/encrypted`).
// Our clients encrypt every payload, so a plaintext signal, update or start input was sent by someone who reached
// Temporal directly (the CLI, the UI without the codec endpoint, another SDK) — it could forge an authCode delivery or
// a wallet cancel. By default the worker refuses them:
//
//   1. the worker's codec (EncryptionCodec with unencoded: 'mark') turns each plaintext payload into a JSON marker
//      `{"__antomAuthUnencodedPayload": true}` instead of passing it through — the data itself never reaches workflow
//      code;
//   2. workflow interceptors (unencodedPayloadInterceptors.ts, bundled into the workflow code) drop a signal carrying
//      a marker, reject such an update, and fail such a start.
//
// A marker instead of a decode error: a codec error fails the whole workflow task, and a signal is already in history,
// so one plaintext signal would wedge the authorization until an operator reset it.
//
// WORKER_ACCEPT_UNENCODED_PAYLOADS=true (development only) passes plaintext through as before, e.g. to signal from
// `temporal workflow signal` without a codec, or to drain runs written before encryption.
import { temporal } from '@temporalio/proto';
import type { Payload } from '@temporalio/common';

export const UNENCODED_PAYLOAD_MARKER = '__antomAuthUnencodedPayload';

/** Path of the workflow interceptor module (Worker interceptors.workflowModules / bundleWorkflowCode). */
export const UNENCODED_PAYLOAD_INTERCEPTORS_PATH: string = require.resolve('./unencodedPayloadInterceptors');

/** The payload that replaces a plaintext one when the worker refuses them (json/plain, so decoding never throws). */
export function unencodedPayloadMarker(): Payload {
  return temporal.api.common.v1.Payload.create({
    metadata: { encoding: Buffer.from('json/plain') },
    data: Buffer.from(JSON.stringify({ [UNENCODED_PAYLOAD_MARKER]: true })),
  });
}
