// The codec-server body the Temporal UI / CLI exchange: {payloads: [{metadata: {key: base64}, data: base64}]}.
// Pure translation between that JSON and a PayloadCodec; the HTTP route (auth, CORS) lives in src/api.
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

export interface JsonPayloads {
  payloads: JsonPayload[];
}

/** A malformed codec request body; the message says what is wrong and is safe to return to the client (4xx). */
export class CodecRequestError extends Error {
  override readonly name = 'CodecRequestError';
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_PAYLOADS = 10_000; // a UI request carries a handful; this only bounds abuse (the route also limits body size)

function base64Bytes(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64_PATTERN.test(value)) throw new CodecRequestError(`${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

function parseBody(body: unknown): Payload[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { payloads?: unknown }).payloads)) {
    throw new CodecRequestError('body must be {"payloads": [...]}');
  }
  const payloads = (body as { payloads: unknown[] }).payloads;
  if (payloads.length > MAX_PAYLOADS) throw new CodecRequestError(`at most ${MAX_PAYLOADS} payloads per request`);
  return payloads.map((item, index) => {
    if (typeof item !== 'object' || item === null) throw new CodecRequestError(`payloads[${index}] must be an object`);
    const { metadata, data } = item as { metadata?: unknown; data?: unknown };
    if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
      throw new CodecRequestError(`payloads[${index}].metadata must be an object`);
    }
    const decodedMetadata: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
      decodedMetadata[key] = base64Bytes(value, `payloads[${index}].metadata.${key}`);
    }
    return { metadata: decodedMetadata, data: data === undefined ? new Uint8Array() : base64Bytes(data, `payloads[${index}].data`) };
  });
}

// protobufjs decodes an empty bytes field (a null/undefined value's payload: binary/null, no data) as a plain empty
// array, not a Uint8Array: it has no .buffer, so copy anything that is not a view.
const toBase64 = (bytes: Uint8Array | null | undefined): string =>
  !bytes ? '' : ArrayBuffer.isView(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : Buffer.from(bytes).toString('base64');

function toJson(payloads: Payload[]): JsonPayloads {
  return {
    payloads: payloads.map((payload) => ({
      metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, toBase64(value)])),
      data: toBase64(payload.data),
    })),
  };
}

/** Validates the body (CodecRequestError if malformed) and decodes through the codec (decryption errors propagate). */
export async function decodeCodecRequest(codec: PayloadCodec, body: unknown): Promise<JsonPayloads> {
  return toJson(await codec.decode(parseBody(body)));
}

/** Validates the body (CodecRequestError if malformed) and encodes through the codec. */
export async function encodeCodecRequest(codec: PayloadCodec, body: unknown): Promise<JsonPayloads> {
  return toJson(await codec.encode(parseBody(body)));
}
