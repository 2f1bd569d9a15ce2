/**
 * Shared set-up for the sandbox tests: a sandbox on loopback with the fixture merchant registered, real AntomClients
 * for it, and a helper that walks consult → approve so token tests start from an authCode.
 */
import type { ExecutionContext } from 'ava';
import type { KeyObject } from 'node:crypto';
import { AntomClient, type AntomClientOptions } from '../../src/antom/client';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';

export const MERCHANT = 'SANDBOX_MERCHANT_1';
export const REDIRECT_URL = 'https://merchant.example/antom/return';

export async function startTestSandbox(t: ExecutionContext, options: SandboxOptions = {}): Promise<RunningSandbox> {
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: MERCHANT, publicKey: merchantKeys.publicKey }],
    ...options,
  });
  t.teardown(() => sandbox.close());
  return sandbox;
}

export function clientFor(
  t: ExecutionContext,
  sandbox: RunningSandbox,
  overrides: Partial<AntomClientOptions> & { antomPublicKey?: KeyObject } = {},
): AntomClient {
  const client = new AntomClient({
    clientId: MERCHANT,
    privateKey: merchantKeys.privateKey,
    antomPublicKey: sandbox.publicKey,
    baseUrl: sandbox.url,
    ...overrides,
  });
  t.teardown(() => client.close());
  return client;
}

let stateCounter = 0;
export function uniqueAuthState(label = 'state'): string {
  stateCounter += 1;
  return `${label}-${process.pid}-${stateCounter}-${Date.now()}`;
}

/** consult (Antom) for `wallet`, then the customer approves through the admin handle; returns the authCode. */
export async function linkAntom(
  sandbox: RunningSandbox,
  client: AntomClient,
  wallet: string,
  extra: { authNotifyUrl?: string } = {},
): Promise<{ authCode: string; authState: string; normalUrl: string }> {
  const authState = uniqueAuthState(wallet);
  const consult = await client.consult({
    customerBelongsTo: wallet,
    authRedirectUrl: REDIRECT_URL,
    scopes: ['AGREEMENT_PAY'],
    authState,
    terminalType: 'WEB',
    ...(extra.authNotifyUrl === undefined ? {} : { authNotifyUrl: extra.authNotifyUrl }),
  });
  const approved = sandbox.admin.approve({ authState, clientId: MERCHANT });
  return { authCode: approved.authCode, authState, normalUrl: consult.normalUrl ?? '' };
}

/** prepare (Alipay+), then approve; returns the authCode. */
export async function linkAlipayPlus(
  sandbox: RunningSandbox,
  client: AntomClient,
  wallet: string,
  authClientId = 'SUB_MERCHANT_1',
): Promise<{ authCode: string; authState: string }> {
  const authState = uniqueAuthState(wallet);
  await client.prepare({
    customerBelongsTo: wallet,
    authClientId,
    authClientName: 'Sub Merchant One Ltd',
    authRedirectUrl: REDIRECT_URL,
    scopes: ['AGREEMENT_PAY'],
    authState,
    terminalType: 'WEB',
  });
  const approved = sandbox.admin.approve({ authState, clientId: MERCHANT });
  return { authCode: approved.authCode, authState };
}

export const DAY_MS = 24 * 3_600_000;
export const YEAR_MS = 365 * DAY_MS;
