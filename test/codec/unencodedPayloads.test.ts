/**
 * Inbound payloads without the codec's encryption (issue 14 #2), on the real Temporal dev server with a real Worker
 * built from the worker's own payload options (workerPayloadOptions): someone who reaches Temporal directly with a
 * plain client cannot deliver a signal, an update or a start input to workflow code — the signal is dropped, the
 * update rejected, the start failed — while our encrypting client is served as before. The development switch
 * (WORKER_ACCEPT_UNENCODED_PAYLOADS=true) lets plaintext through.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createEncryptingDataConverter, FAILURE_CONVERTER_PATH } from '../../src/codec/dataConverter';
import { EncryptionCodec } from '../../src/codec/encryptionCodec';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { UNENCODED_PAYLOAD_MARKER } from '../../src/codec/unencodedPayloads';
import { loadConfig } from '../../src/config';
import { workerPayloadOptions } from '../../src/worker';
import { startDevServer, type DevServer } from '../support/devServer';

const keyRing = parseKeyRingSpec(`k1:${generateEncryptionKey()}`);
const WORKFLOWS = require.resolve('./fixtures/inboundWorkflow');
let server: DevServer;
let connection: Connection;

test.before(async () => {
  server = await startDevServer({ searchAttributes: false });
  connection = await Connection.connect({ address: server.address });
});
test.after.always(async () => {
  await connection?.close();
  await server?.teardown();
});

async function withWorker(acceptUnencodedPayloads: boolean, run: (taskQueue: string) => Promise<void>): Promise<void> {
  const taskQueue = `unencoded-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    namespace: server.namespace,
    taskQueue,
    workflowsPath: WORKFLOWS,
    ...workerPayloadOptions(keyRing, { acceptUnencodedPayloads }),
  });
  await worker.runUntil(run(taskQueue));
}

const ours = () => new Client({ connection, namespace: server.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
/** Sends plaintext (as a client without our codec does) but can read the worker's encrypted answers, so tests see why. */
const plain = () => {
  const codec = new EncryptionCodec(keyRing);
  return new Client({
    connection,
    namespace: server.namespace,
    dataConverter: { payloadCodecs: [{ encode: async (payloads) => payloads, decode: (payloads) => codec.decode(payloads) }], failureConverterPath: FAILURE_CONVERTER_PATH },
  });
};
const id = (what: string) => `unencoded-${what}-${randomBytes(4).toString('hex')}`;

test('the codec marks a plaintext payload only on the worker side; clients and the codec endpoint still pass it through', async (t) => {
  const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"forged"') };
  const [marked] = await new EncryptionCodec(keyRing, { unencoded: 'mark' }).decode([payload]);
  t.true(Buffer.from(marked!.data!).toString().includes(UNENCODED_PAYLOAD_MARKER));
  t.false(Buffer.from(marked!.data!).toString().includes('forged'), 'the plaintext never reaches workflow code');
  t.deepEqual(await new EncryptionCodec(keyRing).decode([payload]), [payload]);
  t.false(loadConfig({}).worker.acceptUnencodedPayloads, 'refusing is the default');
  t.true(loadConfig({ WORKER_ACCEPT_UNENCODED_PAYLOADS: 'true' }).worker.acceptUnencodedPayloads);
});

test('a plaintext signal is dropped, plaintext updates are rejected, a plaintext start fails; our client is served', async (t) => {
  await withWorker(false, async (taskQueue) => {
    const workflowId = id('refuse');
    const handle = await ours().workflow.start('inboundWorkflow', { taskQueue, workflowId, args: ['started'] });
    const forged = plain().workflow.getHandle(workflowId);

    await forged.signal('note', 'forged-signal');
    await handle.signal('note', 'real-signal');
    await t.throwsAsync(forged.executeUpdate('addChecked', { args: ['forged-checked'] }), { instanceOf: WorkflowUpdateFailedError });
    const unchecked = await t.throwsAsync(forged.executeUpdate('addUnchecked', { args: ['forged-unchecked'] }), { instanceOf: WorkflowUpdateFailedError });
    t.regex(unchecked?.cause?.message ?? '', /not encrypted with antom-auth's codec/);
    t.is(await handle.executeUpdate('addChecked', { args: ['real-update'] }), 3);
    t.deepEqual(await handle.query('notes'), ['started', 'real-signal', 'real-update']);
    await handle.signal('finish');
    t.deepEqual(await handle.result(), ['started', 'real-signal', 'real-update']);

    const plainStart = await plain().workflow.start('inboundWorkflow', { taskQueue, workflowId: id('plain-start'), args: ['forged-start'] });
    const failed = await t.throwsAsync(ours().workflow.getHandle(plainStart.workflowId).result(), { instanceOf: WorkflowFailedError });
    t.regex(failed?.cause?.message ?? '', /workflow input refused/);
  });
});

test('development switch: with WORKER_ACCEPT_UNENCODED_PAYLOADS=true plaintext signals and updates go through', async (t) => {
  await withWorker(true, async (taskQueue) => {
    const workflowId = id('accept');
    const handle = await ours().workflow.start('inboundWorkflow', { taskQueue, workflowId, args: ['started'] });
    const unencoded = plain().workflow.getHandle(workflowId);
    await unencoded.signal('note', 'plain-signal');
    t.is(await unencoded.executeUpdate('addChecked', { args: ['plain-update'] }), 3);
    t.deepEqual(await handle.query('notes'), ['started', 'plain-signal', 'plain-update']);
    await handle.signal('finish');
    await handle.result();
  });
});
