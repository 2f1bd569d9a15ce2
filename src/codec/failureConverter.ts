// Loaded by path (DataConverter.failureConverterPath) in the worker, the client and the workflow bundle.
// encodeCommonAttributes moves failure messages and stack traces into a payload, so the codec encrypts them too
// (an error message quoting a token must not sit in plaintext in history).
// This file is bundled into workflow code: it imports @temporalio/common only.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
