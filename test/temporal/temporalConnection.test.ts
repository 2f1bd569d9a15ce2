/**
 * Connecting to a secured Temporal (issue 13 §5): the options built from TEMPORAL_TLS* / TEMPORAL_API_KEY, their
 * checks, and real connections. The dev server speaks only plaintext, so TLS is put in front of it on loopback
 * (test/support/tlsProxy.ts) with certificates made by openssl at test time: the worker's NativeConnection (a real
 * Worker running a workflow) and the client's Connection go through TLS with a private CA, a server name override and
 * a client certificate the terminator requires (mTLS); a wrong CA, a missing client certificate and a name mismatch
 * are refused with a line naming the settings. The API key is seen arriving as `authorization: Bearer …` through an
 * HTTP/2 proxy that records headers — the dev server itself does not check keys, so acceptance by a server that
 * does (Temporal Cloud) is not tested here.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../../src/config';
import {
  clientConnectionOptions,
  describeTemporalConnection,
  loadTemporalConnection,
  nativeConnectionOptions,
  TemporalConnectionConfigError,
} from '../../src/temporalConnection';
import { connectTemporal, loadTemporalMaterial, WorkerStartupError } from '../../src/worker/startupChecks';
import { startDevServer, type DevServer } from '../support/devServer';
import { makeTestCertificates, type TestCertificates } from '../support/testCertificates';
import { startRecordingH2Proxy, startTlsTerminator, type RecordingH2Proxy, type TlsTerminator } from '../support/tlsProxy';

const SERVER_NAME = 'temporal.test';
const API_KEY = `tk-${randomBytes(12).toString('hex')}`;
let certs: TestCertificates;
let server: DevServer;
let mtls: TlsTerminator;
let recording: RecordingH2Proxy;

test.before(async () => {
  certs = makeTestCertificates(SERVER_NAME);
  server = await startDevServer({ searchAttributes: false });
  mtls = await startTlsTerminator({ target: server.address, cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey), clientCa: certs.read(certs.clientCa) });
  recording = await startRecordingH2Proxy({ target: server.address, cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) });
});
test.after.always(async () => {
  await mtls?.close();
  await recording?.close();
  await server?.teardown();
  certs?.remove();
});

/** The configuration as an operator writes it: environment variables. */
function config(env: Record<string, string>) {
  return loadConfig({ LOG_LEVEL: 'silent', ...env });
}

const mtlsEnv = (overrides: Record<string, string> = {}) => ({
  TEMPORAL_ADDRESS: mtls.address,
  TEMPORAL_TLS_CA_FILE: certs.serverCa,
  TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
  TEMPORAL_TLS_CERT_FILE: certs.clientCert,
  TEMPORAL_TLS_KEY_FILE: certs.clientKey,
  ...overrides,
});

test('plaintext by default: both option sets say tls false and carry no key', (t) => {
  const material = loadTemporalConnection(config({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }).temporal);
  t.deepEqual(clientConnectionOptions(material), { address: '127.0.0.1:7233', tls: false });
  t.deepEqual(nativeConnectionOptions(material), { address: '127.0.0.1:7233', tls: false });
  t.is(describeTemporalConnection(config({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }).temporal), 'plaintext');
});

test('CA, client certificate, server name and API key reach both option sets alike', (t) => {
  const temporal = config(mtlsEnv({ TEMPORAL_API_KEY: API_KEY })).temporal;
  const material = loadTemporalConnection(temporal);
  const expected = {
    address: mtls.address,
    tls: {
      serverNameOverride: SERVER_NAME,
      serverRootCACertificate: certs.read(certs.serverCa),
      clientCertPair: { crt: certs.read(certs.clientCert), key: certs.read(certs.clientKey) },
    },
    apiKey: API_KEY,
  };
  t.deepEqual(clientConnectionOptions(material), expected);
  t.deepEqual(nativeConnectionOptions(material), expected);
  const described = describeTemporalConnection(temporal);
  t.is(described, `TLS (CA from TEMPORAL_TLS_CA_FILE), mTLS client certificate, server name ${SERVER_NAME}, API key`);
  t.false(described.includes(API_KEY));
});

test('TEMPORAL_TLS: an API key alone turns TLS on (system CAs); true alone too; false keeps plaintext with a key', (t) => {
  const apiKeyOnly = loadTemporalConnection(config({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY }).temporal);
  t.deepEqual(clientConnectionOptions(apiKeyOnly), { address: 'ns.acct.tmprl.cloud:7233', tls: {}, apiKey: API_KEY });
  t.deepEqual(loadTemporalConnection(config({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS: 'true' }).temporal).tls, {});
  const plainWithKey = loadTemporalConnection(config({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY }).temporal);
  t.deepEqual(nativeConnectionOptions(plainWithKey), { address: 'h:1', tls: false, apiKey: API_KEY });
});

test('inconsistent settings are configuration errors naming the variables, never the key', (t) => {
  const problems = (env: Record<string, string>) => {
    const error = t.throws(() => config(env), { instanceOf: ConfigError });
    t.false(error.message.includes(API_KEY));
    return error.problems;
  };
  t.deepEqual(problems({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS_CERT_FILE: '/c.pem' }), [
    'TEMPORAL_TLS_KEY_FILE: required with TEMPORAL_TLS_CERT_FILE (mTLS needs the certificate and its key)',
  ]);
  t.deepEqual(problems({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS_KEY_FILE: '/k.pem' }), [
    'TEMPORAL_TLS_CERT_FILE: required with TEMPORAL_TLS_KEY_FILE (mTLS needs the certificate and its key)',
  ]);
  t.deepEqual(problems({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: '/ca.pem' }), [
    'TEMPORAL_TLS: false, but TEMPORAL_TLS_* is set — remove one of them',
  ]);
  t.deepEqual(problems({ TEMPORAL_API_KEY: API_KEY }), [
    'TEMPORAL_ADDRESS: required with TEMPORAL_TLS* / TEMPORAL_API_KEY (without it `npm start` embeds a plaintext dev server)',
  ]);
  t.deepEqual(problems({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS: 'maybe' }).length, 1);
});

test('unreadable, wrong-kind, mismatched and expired files: every problem at once, paths named, contents never', (t) => {
  const notPem = join(certs.dir, 'not-a-cert.pem');
  writeFileSync(notPem, 'hello');
  const load = (env: Record<string, string>) => t.throws(() => loadTemporalConnection(config(env).temporal), { instanceOf: TemporalConnectionConfigError });
  const missing = load(mtlsEnv({ TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem', TEMPORAL_TLS_CERT_FILE: notPem, TEMPORAL_TLS_KEY_FILE: certs.serverCa }));
  t.deepEqual(missing.problems, [
    'TEMPORAL_TLS_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)',
    `TEMPORAL_TLS_CERT_FILE: ${notPem} is not a PEM certificate`,
    `TEMPORAL_TLS_KEY_FILE: ${certs.serverCa} is not a PEM private key (or is encrypted)`,
  ]);
  const mismatched = load(mtlsEnv({ TEMPORAL_TLS_KEY_FILE: certs.serverKey }));
  t.deepEqual(mismatched.problems, [`TEMPORAL_TLS_CERT_FILE / TEMPORAL_TLS_KEY_FILE: the certificate ${certs.clientCert} is not for the key ${certs.serverKey}`]);
  const expired = load(mtlsEnv({ TEMPORAL_TLS_CERT_FILE: certs.expiredClientCert }));
  t.is(expired.problems.length, 1);
  t.regex(expired.problems[0]!, /^TEMPORAL_TLS_CERT_FILE: .*client-expired\.crt expired on \d{4}-/);
  const keyText = certs.read(certs.clientKey).toString('utf8');
  for (const error of [missing, mismatched, expired]) t.false(error.message.includes(keyText.split('\n')[1]!));
  // The worker reports them as configuration (exit 2), before connecting anything.
  const startup = t.throws(() => loadTemporalMaterial(config(mtlsEnv({ TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem' }))), { instanceOf: WorkerStartupError });
  t.is(startup.kind, 'configuration');
  t.deepEqual(startup.problems, ['TEMPORAL_TLS_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)']);
});

test('the worker (NativeConnection) and the client (Connection) run a workflow through mTLS with CA and server name override', async (t) => {
  const cfg = config(mtlsEnv());
  const native = await connectTemporal(loadTemporalMaterial(cfg), 30_000);
  if ('problem' in native) return t.fail(native.problem);
  const clientConnection = await Connection.connect(clientConnectionOptions(loadTemporalConnection(cfg.temporal)));
  t.teardown(() => clientConnection.close());
  const taskQueue = `tls-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: native.connection,
    namespace: server.namespace,
    taskQueue,
    workflowsPath: require.resolve('./fixtures/echoWorkflow'),
  });
  const client = new Client({ connection: clientConnection, namespace: server.namespace });
  const result = await worker.runUntil(client.workflow.execute('echo', { taskQueue, workflowId: `tls-echo-${taskQueue}`, args: ['over TLS'] }));
  await native.connection.close();
  t.is(result, 'over TLS');
  t.true(mtls.accepted.length >= 2, 'both connections came through the terminator');
  t.true(mtls.accepted.every((c) => c.clientCertificateCn === 'antom-auth-worker'), 'each presented the client certificate');
});

test('a wrong CA is refused with a line naming TEMPORAL_TLS_CA_FILE; the client fails too', async (t) => {
  const cfg = config(mtlsEnv({ TEMPORAL_TLS_CA_FILE: certs.otherCa }));
  const native = await connectTemporal(loadTemporalMaterial(cfg), 30_000);
  if ('connection' in native) {
    await native.connection.close();
    return t.fail('connected with a CA that signed nothing');
  }
  t.log(native.problem);
  t.regex(native.problem, new RegExp(`^TEMPORAL_ADDRESS: Temporal at ${mtls.address} is unreachable \\(TLS: the server's certificate was refused \\(\\w+\\) — check TEMPORAL_TLS_CA_FILE and TEMPORAL_TLS_SERVER_NAME\\)$`));
  await t.throwsAsync(Connection.connect({ ...clientConnectionOptions(loadTemporalConnection(cfg.temporal)), connectTimeout: 10_000 }));
});

test('without the server name override the certificate does not match the address; without a client certificate mTLS refuses', async (t) => {
  const { TEMPORAL_TLS_SERVER_NAME: _name, ...withoutName } = mtlsEnv();
  const noName = await connectTemporal(loadTemporalMaterial(config(withoutName)), 30_000);
  if ('connection' in noName) {
    await noName.connection.close();
    return t.fail('connected although the certificate names another host');
  }
  t.log(noName.problem);
  t.regex(noName.problem, /TLS: the server's certificate was refused \(\w+\)/);

  const { TEMPORAL_TLS_CERT_FILE: _c, TEMPORAL_TLS_KEY_FILE: _k, ...withoutClientCert } = mtlsEnv();
  const rejectedBefore = mtls.rejected.length;
  const noCert = await connectTemporal(loadTemporalMaterial(config(withoutClientCert)), 30_000);
  if ('connection' in noCert) {
    // Some TLS stacks report the missing certificate only at the first call.
    const call = noCert.connection.workflowService.getSystemInfo({});
    await t.throwsAsync(call);
    await noCert.connection.close();
  } else {
    t.log(noCert.problem);
    t.regex(noCert.problem, /^TEMPORAL_ADDRESS: Temporal at .* is unreachable \(TLS: the server refused the handshake \(CertificateRequired\) — check TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE\)$/);
  }
  t.true(mtls.rejected.length > rejectedBefore, `the terminator refused a handshake without a client certificate (${mtls.rejected.slice(rejectedBefore).join('; ')})`);
});

test('the API key arrives as `authorization: Bearer <key>` from the client and the worker connection, over TLS', async (t) => {
  const cfg = config({ TEMPORAL_ADDRESS: recording.address, TEMPORAL_TLS_CA_FILE: certs.serverCa, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: API_KEY });
  const material = loadTemporalConnection(cfg.temporal);
  const before = recording.calls.length;
  const clientConnection = await Connection.connect(clientConnectionOptions(material));
  await clientConnection.workflowService.getSystemInfo({});
  await clientConnection.close();
  const native = await NativeConnection.connect(nativeConnectionOptions(material));
  await native.workflowService.getSystemInfo({});
  await native.close();
  const calls = recording.calls.slice(before).filter((headers) => String(headers[':path']).endsWith('/GetSystemInfo'));
  t.true(calls.length >= 2, `both connections called through the proxy (${calls.length})`);
  for (const headers of calls) t.is(headers.authorization, `Bearer ${API_KEY}`);
  const userAgents = new Set(calls.map((headers) => String(headers['user-agent'] ?? headers['client-name'] ?? '')));
  t.true(userAgents.size >= 2, 'from two different clients (grpc-js and the native core)');
});
