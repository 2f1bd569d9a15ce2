/**
 * Antom's official Python SDK (PyPI global-alipay-sdk-python, provisioned into .python-sdk/ by
 * scripts/provision-python-sdk.sh) drives the sandbox: consult → approve → applyToken → revoke, each answer verified by
 * the SDK itself. It exercises what issue 15 found broken for SDK users: the absolute-form request target, signing on
 * the path alone, the lowercase response header names and client-id it reads, ISO 8601 request-time, and the optional
 * fields it sends (recurringPayment as a JSON boolean, authMetaData, extendInfo). The shims the driver needs (plain
 * HTTP to the loopback port; a 1.0.1 consult getter bug) are described in test/sandbox/python/drive_official_sdk.py.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { merchantKeys } from '../support/fixtureKeys';
import { MERCHANT, startTestSandbox, uniqueAuthState } from './harness';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const sdkDirectory = join(root, '.python-sdk');
const driver = join(__dirname, 'python', 'drive_official_sdk.py');

test('the official Python SDK links, exchanges and revokes against the sandbox, verifying every answer', async (t) => {
  t.true(existsSync(join(sdkDirectory, 'com', 'alipay', 'ams')), 'the SDK is provisioned: bash scripts/provision-python-sdk.sh');
  const sandbox = await startTestSandbox(t);
  const { hostname, port } = new URL(sandbox.url);
  const config = {
    host: hostname,
    port: Number(port),
    gatewayUrl: 'https://open-sea-global.alipay.com',
    clientId: MERCHANT, // SANDBOX_…: the SDK switches to /ams/sandbox/api/v1/… itself
    merchantPrivateKey: merchantKeys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    sandboxPublicKey: sandbox.publicKeyPem,
  };
  const sdk = async (command: string, argument: string): Promise<{ result: { resultCode: string }; [field: string]: unknown }> => {
    const { stdout } = await run('python3', [driver, command, argument], {
      env: { ...process.env, PYTHONPATH: sdkDirectory, ANTOM_SDK_TEST_CONFIG: JSON.stringify(config) },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as { result: { resultCode: string } };
  };

  const authState = uniqueAuthState('python-sdk');
  const consult = await sdk('consult', authState);
  t.is(consult.result.resultCode, 'SUCCESS');
  t.truthy(consult.normalUrl);
  const consultLog = sandbox.admin.requests().at(-1);
  t.is(consultLog?.path, '/ams/sandbox/api/v1/authorizations/consult', 'routed and logged on the path of the absolute-form target');
  t.is((consultLog?.body as { recurringPayment?: unknown } | undefined)?.recurringPayment, true, 'sent as a JSON boolean');

  const { authCode } = sandbox.admin.approve({ authState, clientId: MERCHANT });
  const tokens = await sdk('apply', authCode);
  t.is(tokens.result.resultCode, 'SUCCESS');
  t.is(typeof tokens.accessToken, 'string');

  const revoked = await sdk('revoke', String(tokens.accessToken));
  t.is(revoked.result.resultCode, 'SUCCESS');
  t.false(sandbox.admin.isAccessTokenUsable(String(tokens.accessToken)));
});
