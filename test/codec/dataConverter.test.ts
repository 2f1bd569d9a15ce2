import test from 'ava';
import { ApplicationFailure } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure, encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { temporal } from '@temporalio/proto';
import { createEncryptingDataConverter, FAILURE_CONVERTER_PATH } from '../../src/codec/dataConverter';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';

const ring = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
const secret = 'TOKEN-in-an-error-9f8e7d';

test('failure messages and stack traces are encrypted in the wire form and restored on decode', async (t) => {
  const converter = loadDataConverter(createEncryptingDataConverter(ring));
  const error = ApplicationFailure.nonRetryable(`applyToken failed for ${secret}`, 'INVALID_AUTHCODE', { detail: secret });
  const failure = await encodeErrorToFailure(converter, error);
  const wire = Buffer.from(temporal.api.failure.v1.Failure.encode(failure).finish());
  t.false(wire.includes(secret), 'no plaintext secret anywhere in the serialized failure');
  t.is(failure.message, 'Encoded failure');
  const decoded = await decodeOptionalFailureToOptionalError(converter, failure);
  t.true(decoded instanceof ApplicationFailure);
  t.is(decoded!.message, `applyToken failed for ${secret}`);
  t.is((decoded as ApplicationFailure).type, 'INVALID_AUTHCODE');
});

test('values encode to encrypted payloads', async (t) => {
  const converter = loadDataConverter(createEncryptingDataConverter(ring));
  const payloads = await encodeToPayloads(converter, { accessToken: secret });
  t.false(Buffer.from(temporal.api.common.v1.Payloads.encode({ payloads }).finish()).includes(secret));
});

test('the failure converter module resolves by path and exports failureConverter', async (t) => {
  const loaded = (await import(FAILURE_CONVERTER_PATH)) as { failureConverter?: { options?: { encodeCommonAttributes?: boolean } } };
  t.true(loaded.failureConverter?.options?.encodeCommonAttributes);
});
