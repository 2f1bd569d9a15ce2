/**
 * The real AntomClient (src/antom/client.ts) against the sandbox over loopback: every endpoint's happy path on both
 * platforms and both grant types, the wallet token policies, and each error code the sandbox produces, checked for
 * the class the client assigns to it (DESIGN.md error taxonomy).
 */
import test from 'ava';
import { AntomBusinessError, type FinalOutcome, AntomTransportError, AntomUnknownResultError, AntomUnverifiableResponseError } from '../../src/antom/errors';
import type { AntomClient } from '../../src/antom/client';
import { merchantKeys, unrelatedKeys } from '../support/fixtureKeys';
import type { RunningSandbox } from '../../src/sandbox';
import { parseSignatureHeader } from '../../src/antom/signatureHeader';
import { verifyParts } from '../../src/antom/signing';
import { ALIPAY_PLUS_APPLY_TOKEN_CODES, ANTOM_APPLY_TOKEN_CODES } from '../fixtures/referenceResultCodes';
import { rawExchange, signedHeaders, type RawExchange } from './rawSocket';
import { DAY_MS, MERCHANT, REDIRECT_URL, YEAR_MS, clientFor, linkAlipayPlus, linkAntom, startTestSandbox, uniqueAuthState } from './harness';

const MINUTE_MS = 60_000;

/** The same instant `years` whole calendar years later (UTC), spelled out independently of walletPolicies.ts. */
function calendarYearsLater(epochMs: number, years: number): number {
  const date = new Date(epochMs);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.getTime();
}

async function businessError(t: import('ava').ExecutionContext, promise: Promise<unknown>): Promise<AntomBusinessError> {
  const error = await t.throwsAsync(promise, { instanceOf: AntomBusinessError });
  return error as AntomBusinessError;
}

// ---------------------------------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------------------------------

for (const sandboxPath of [true, false]) {
  test(`Antom ${sandboxPath ? '/ams/sandbox' : '/ams'}: consult → approve → applyToken → refresh → revoke`, async (t) => {
    const sandbox = await startTestSandbox(t);
    const client = clientFor(t, sandbox, { sandbox: sandboxPath });
    const authState = uniqueAuthState();
    const consult = await client.consult({
      customerBelongsTo: 'GCASH',
      authRedirectUrl: REDIRECT_URL,
      scopes: ['AGREEMENT_PAY'],
      authState,
      terminalType: 'WEB',
    });
    t.truthy(consult.normalUrl?.startsWith(`${sandbox.url}/wallet/authorize/`));
    t.is(consult.authCodeForm?.codeDetails[0]?.codeValue, consult.normalUrl);
    t.is(sandbox.admin.requests().at(-1)?.path, `/ams/${sandboxPath ? 'sandbox/' : ''}api/v1/authorizations/consult`);

    const approved = sandbox.admin.approve({ authState });
    t.is(new URL(approved.redirectUrl).searchParams.get('authState'), authState);
    t.is(new URL(approved.redirectUrl).searchParams.get('authCode'), approved.authCode);

    const issuedAt = sandbox.clock.now();
    const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: approved.authCode });
    t.regex(tokens.accessTokenExpiryTime.iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    t.true(Math.abs(tokens.accessTokenExpiryTime.epochMs - calendarYearsLater(issuedAt, 2)) < 5_000);
    t.truthy(tokens.refreshToken);
    t.truthy(tokens.userLoginId);

    const refreshed = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: tokens.refreshToken ?? '' });
    t.not(refreshed.accessToken, tokens.accessToken);
    t.not(refreshed.refreshToken, tokens.refreshToken, 'GCASH rotates the refresh token');

    t.deepEqual((await client.revoke({ accessToken: refreshed.accessToken })).removal, 'revoked');
    t.false(sandbox.admin.isAccessTokenUsable(refreshed.accessToken));
    const afterRevoke = await businessError(t, client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: refreshed.refreshToken ?? '' }));
    t.is(afterRevoke.resultCode, 'INVALID_REFRESH_TOKEN');
    t.is(afterRevoke.outcome, 'customer-final');
    // A second revoke: Antom says INVALID_ACCESS_TOKEN, which the client reports as already gone.
    const again = await client.revoke({ accessToken: refreshed.accessToken });
    t.is(again.removal, 'already-gone');
    t.is(again.result.resultCode, 'INVALID_ACCESS_TOKEN');
  });
}

test('Alipay+: prepare → approve → applyToken → refresh → cancelToken, repeated cancelToken gives the same result', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox, { platform: 'alipayplus' });
  const { authCode } = await linkAlipayPlus(sandbox, client, 'GCASH');
  const tokens = await client.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'AUTHORIZATION_CODE', authCode });
  t.truthy(tokens.customerId);
  t.truthy(tokens.pspId);
  t.truthy(tokens.acquirerId);
  t.truthy(tokens.refreshToken);
  const refreshed = await client.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'REFRESH_TOKEN', refreshToken: tokens.refreshToken ?? '' });
  t.not(refreshed.accessToken, tokens.accessToken);
  const first = await client.cancelToken({ accessToken: refreshed.accessToken, authClientId: 'SUB_MERCHANT_1' });
  const second = await client.cancelToken({ accessToken: refreshed.accessToken, authClientId: 'SUB_MERCHANT_1' });
  t.is(first.removal, 'revoked');
  t.is(second.removal, 'revoked', 'cancelToken is idempotent per accessToken');
  t.deepEqual(second.result, first.result);
  t.false(sandbox.admin.isAccessTokenUsable(refreshed.accessToken));
  // Alipay+ requests carry request-time in ISO 8601 by default; the sandbox accepted them.
  t.regex(sandbox.admin.requests().at(-1)?.requestTime ?? '', /T\d\d:\d\d/);
});

test('APP consult returns schemeUrl and applinkUrl besides normalUrl', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const consult = await client.consult({
    customerBelongsTo: 'TNG',
    authRedirectUrl: 'myapp://antom/return',
    scopes: ['AGREEMENT_PAY'],
    authState: uniqueAuthState(),
    env: { terminalType: 'APP', osType: 'ANDROID' },
  });
  t.truthy(consult.schemeUrl);
  t.truthy(consult.applinkUrl?.startsWith(sandbox.url));
  t.truthy(consult.normalUrl);
});

test('an identical repeated consult (timed out, called again) returns the same link; a different one with the same authState fails PARAM_ILLEGAL', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const request = { customerBelongsTo: 'GCASH', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY'] as const, authState: uniqueAuthState(), terminalType: 'WEB' as const };
  const first = await client.consult({ ...request, scopes: [...request.scopes] });
  const second = await client.consult({ ...request, scopes: [...request.scopes] });
  t.is(second.normalUrl, first.normalUrl);
  const clash = await businessError(t, client.consult({ ...request, scopes: [...request.scopes], customerBelongsTo: 'TNG' }));
  t.is(clash.resultCode, 'PARAM_ILLEGAL');
  t.is(clash.outcome, 'systemic-final');
});

test('request-time as ISO 8601 is accepted on Antom too', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox, { requestTimeFormat: 'iso8601' });
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  t.truthy(tokens.accessToken);
});

// ---------------------------------------------------------------------------------------------------------------
// Wallet policies and the clock
// ---------------------------------------------------------------------------------------------------------------

test('wallet policies: TNG keeps its refresh token (2.5 y), KAKAOPAY has none (~100 y), ALIPAY_HK expires in 2038, DANA ≈10 y', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const apply = async (wallet: string) =>
    client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: wallet, authCode: (await linkAntom(sandbox, client, wallet)).authCode });
  const now = sandbox.clock.now();

  const tng = await apply('TNG');
  // 2.5 calendar years: 2 years and 6 months (the exact dates are checked on a fixed clock below).
  t.true(Math.abs((tng.refreshTokenExpiryTime?.epochMs ?? 0) - (now + 2.5 * YEAR_MS)) < 4 * DAY_MS);
  const tngRefreshed = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'TNG', refreshToken: tng.refreshToken ?? '' });
  t.is(tngRefreshed.refreshToken, tng.refreshToken, 'TNG does not rotate');
  t.is(tngRefreshed.refreshTokenExpiryTime?.epochMs, tng.refreshTokenExpiryTime?.epochMs);

  const kakao = await apply('KAKAOPAY');
  t.is(kakao.refreshToken, undefined);
  t.true(kakao.accessTokenExpiryTime.epochMs - now > 99 * YEAR_MS);

  const alipayHk = await apply('ALIPAY_HK');
  t.is(new Date(alipayHk.accessTokenExpiryTime.epochMs).getUTCFullYear(), 2038);

  const dana = await apply('DANA');
  t.true(Math.abs(dana.accessTokenExpiryTime.epochMs - calendarYearsLater(now, 10)) < 10_000);
});

test('Alipay+ leaves the refresh token out for tokens living ≥10 years (DANA)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox, { platform: 'alipayplus' });
  const { authCode } = await linkAlipayPlus(sandbox, client, 'DANA');
  const tokens = await client.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'AUTHORIZATION_CODE', authCode });
  t.is(tokens.refreshToken, undefined);
  t.is(tokens.refreshTokenExpiryTime, undefined);
});

test('years pass on the admin clock: an expired GCASH refresh token fails INVALID_REFRESH_TOKEN (Antom) / EXPIRED_REFRESH_TOKEN (Alipay+)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const antom = clientFor(t, sandbox);
  const aps = clientFor(t, sandbox, { platform: 'alipayplus' });
  const antomTokens = await antom.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: (await linkAntom(sandbox, antom, 'GCASH')).authCode });
  const apsTokens = await aps.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'AUTHORIZATION_CODE', authCode: (await linkAlipayPlus(sandbox, aps, 'GCASH')).authCode });

  await sandbox.admin.advanceClock(2 * YEAR_MS - DAY_MS);
  t.true(sandbox.admin.isAccessTokenUsable(antomTokens.accessToken));
  await sandbox.admin.advanceClock(2 * DAY_MS);
  t.false(sandbox.admin.isAccessTokenUsable(antomTokens.accessToken), 'the access token expired too');

  const antomError = await businessError(t, antom.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: antomTokens.refreshToken ?? '' }));
  t.is(antomError.resultCode, 'INVALID_REFRESH_TOKEN');
  t.is(antomError.outcome, 'customer-final');
  const apsError = await businessError(t, aps.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'REFRESH_TOKEN', refreshToken: apsTokens.refreshToken ?? '' }));
  t.is(apsError.resultCode, 'EXPIRED_REFRESH_TOKEN');
  t.is(apsError.outcome, 'customer-final');
  // An expired token cannot be revoked either: already gone.
  t.is((await antom.revoke({ accessToken: antomTokens.accessToken })).removal, 'already-gone');
});

test('the short-lived test wallet lets a test run several refresh cycles in minutes of sandbox time', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  let tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'SANDBOX_SHORT', authCode: (await linkAntom(sandbox, client, 'SANDBOX_SHORT')).authCode });
  t.true(tokens.accessTokenExpiryTime.epochMs - sandbox.clock.now() <= 30 * MINUTE_MS);
  for (let cycle = 0; cycle < 5; cycle += 1) {
    await sandbox.admin.advanceClock(20 * MINUTE_MS);
    tokens = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'SANDBOX_SHORT', refreshToken: tokens.refreshToken ?? '' });
  }
  t.is(sandbox.admin.tokens()[0]?.refreshCount, 5);
  // Without refreshing for longer than the refresh token's 2 h life, the authorization is over.
  await sandbox.admin.advanceClock(2 * 60 * MINUTE_MS + 1);
  const error = await businessError(t, client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'SANDBOX_SHORT', refreshToken: tokens.refreshToken ?? '' }));
  t.is(error.resultCode, 'INVALID_REFRESH_TOKEN');
});

test('an injected clock drives expiry (the offline workflow environment shares its virtual time)', async (t) => {
  let virtualNow = Date.UTC(2030, 0, 1);
  const sandbox = await startTestSandbox(t, { clock: { now: () => virtualNow } });
  const client = clientFor(t, sandbox, { clock: () => virtualNow });
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  t.is(tokens.accessTokenExpiryTime.epochMs, Date.UTC(2030, 0, 1) + 2 * YEAR_MS);
  virtualNow += 2 * YEAR_MS + 1;
  t.false(sandbox.admin.isAccessTokenUsable(tokens.accessToken));
});

// ---------------------------------------------------------------------------------------------------------------
// authCode and refresh-token rules
// ---------------------------------------------------------------------------------------------------------------

test('authCode: single use (strict default), 60 s lifetime, unknown → INVALID_AUTHCODE (customer-final)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  const repeated = await businessError(t, client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode }));
  t.is(repeated.resultCode, 'INVALID_AUTHCODE');
  t.is(repeated.outcome, 'customer-final');

  const late = await linkAntom(sandbox, client, 'GCASH');
  await sandbox.admin.advanceClock(60_001);
  t.is((await businessError(t, client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: late.authCode }))).resultCode, 'INVALID_AUTHCODE');

  t.is((await businessError(t, client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'never-issued-code' }))).resultCode, 'INVALID_AUTHCODE');
});

test('repeats "replay": the same authCode and the same rotated refresh token return the first result', async (t) => {
  const sandbox = await startTestSandbox(t, { repeats: { authCode: 'replay', refreshToken: 'replay' } });
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  const first = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  const again = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  t.is(again.accessToken, first.accessToken);
  const refreshed = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' });
  const refreshedAgain = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' });
  t.is(refreshedAgain.refreshToken, refreshed.refreshToken);
  t.is(sandbox.admin.tokens()[0]?.refreshCount, 1, 'the replay did not refresh a second time');
});

test('refresh-token rotation grace window: the previous token works within the window, then INVALID_REFRESH_TOKEN', async (t) => {
  const sandbox = await startTestSandbox(t, { refreshTokenGraceMs: 5 * MINUTE_MS });
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  const first = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  const rotated = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' });
  await sandbox.admin.advanceClock(4 * MINUTE_MS);
  const withinGrace = await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' });
  t.is(withinGrace.refreshToken, rotated.refreshToken);
  await sandbox.admin.advanceClock(2 * MINUTE_MS);
  t.is((await businessError(t, client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' }))).resultCode, 'INVALID_REFRESH_TOKEN');
  // The latest token still works.
  t.truthy((await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: rotated.refreshToken ?? '' })).accessToken);
});

test('strict default: a rotated refresh token fails at once with INVALID_REFRESH_TOKEN', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const first = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: (await linkAntom(sandbox, client, 'GCASH')).authCode });
  await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' });
  const error = await businessError(t, client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: first.refreshToken ?? '' }));
  t.is(error.resultCode, 'INVALID_REFRESH_TOKEN');
  t.is(error.outcome, 'customer-final');
});

test('wallet-side cancel ends the grant: refresh fails, revoke reports already gone', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: (await linkAntom(sandbox, client, 'GCASH')).authCode });
  sandbox.admin.cancelFromWallet({ accessToken: tokens.accessToken });
  t.false(sandbox.admin.isAccessTokenUsable(tokens.accessToken));
  t.is((await businessError(t, client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: tokens.refreshToken ?? '' }))).resultCode, 'INVALID_REFRESH_TOKEN');
  t.is((await client.revoke({ accessToken: tokens.accessToken })).removal, 'already-gone');
});

test('unknown wallet → NO_PAY_OPTIONS (systemic-final)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const error = await businessError(
    t,
    client.consult({ customerBelongsTo: 'NOT_A_WALLET', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY'], authState: uniqueAuthState(), terminalType: 'WEB' }),
  );
  t.is(error.resultCode, 'NO_PAY_OPTIONS');
  t.is(error.outcome, 'systemic-final');
});

// ---------------------------------------------------------------------------------------------------------------
// Gateway checks
// ---------------------------------------------------------------------------------------------------------------

const revokeSomething = (client: AntomClient) => client.revoke({ accessToken: 'some-access-token-that-does-not-matter' });

test('unregistered client-id → UNKNOWN_CLIENT; wrong private key → INVALID_SIGNATURE; unknown keyVersion → KEY_NOT_FOUND', async (t) => {
  const sandbox = await startTestSandbox(t, {
    merchants: [
      { clientId: MERCHANT, publicKey: merchantKeys.publicKey },
      { clientId: 'ROTATED_KEYS', publicKeys: { '2': merchantKeys.publicKey } },
    ],
  });
  const unknown = await businessError(t, revokeSomething(clientFor(t, sandbox, { clientId: 'NOBODY' })));
  t.is(unknown.resultCode, 'UNKNOWN_CLIENT');
  t.is(unknown.outcome, 'systemic-final');
  const badKey = await businessError(t, revokeSomething(clientFor(t, sandbox, { privateKey: unrelatedKeys.privateKey })));
  t.is(badKey.resultCode, 'INVALID_SIGNATURE');
  t.is(badKey.outcome, 'systemic-final');
  const noKey = await businessError(t, revokeSomething(clientFor(t, sandbox, { clientId: 'ROTATED_KEYS' })));
  t.is(noKey.resultCode, 'KEY_NOT_FOUND');
  t.is(noKey.outcome, 'systemic-final');
});

test('suspended merchant → INVALID_CLIENT_STATUS; endpoint not allowed → CLIENT_FORBIDDEN_ACCESS_API', async (t) => {
  const sandbox = await startTestSandbox(t, {
    merchants: [
      { clientId: 'SUSPENDED_ONE', publicKey: merchantKeys.publicKey, status: 'SUSPENDED' },
      { clientId: 'CONSULT_ONLY', publicKey: merchantKeys.publicKey, allowedEndpoints: ['consult'] },
    ],
  });
  const suspended = await businessError(t, revokeSomething(clientFor(t, sandbox, { clientId: 'SUSPENDED_ONE' })));
  t.is(suspended.resultCode, 'INVALID_CLIENT_STATUS');
  t.is(suspended.outcome, 'systemic-final');
  const forbidden = await businessError(t, revokeSomething(clientFor(t, sandbox, { clientId: 'CONSULT_ONLY' })));
  t.is(forbidden.resultCode, 'CLIENT_FORBIDDEN_ACCESS_API');
  t.is(forbidden.outcome, 'systemic-final');
});

test('a stale request-time is refused (PARAM_ILLEGAL) and the window is configurable', async (t) => {
  const sandbox = await startTestSandbox(t, { requestTimeWindowMs: 5 * MINUTE_MS });
  const stale = clientFor(t, sandbox, { clock: () => Date.now() - 10 * MINUTE_MS });
  t.is((await businessError(t, revokeSomething(stale))).resultCode, 'PARAM_ILLEGAL');
  sandbox.admin.configure({ requestTimeWindowMs: null });
  t.is((await stale.revoke({ accessToken: 'some-access-token-that-does-not-matter' })).removal, 'already-gone');
});

test('the admin clock offset does not make honest request-times stale', async (t) => {
  const sandbox = await startTestSandbox(t);
  await sandbox.admin.advanceClock(3 * YEAR_MS);
  const client = clientFor(t, sandbox);
  t.is((await revokeSomething(client)).removal, 'already-gone');
});

// ---------------------------------------------------------------------------------------------------------------
// Faults, as the client sees them
// ---------------------------------------------------------------------------------------------------------------

test('scripted U codes (AUTH_IN_PROCESS, UNKNOWN_EXCEPTION) → AntomUnknownResultError; the next call goes through', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  sandbox.admin.addFault({ endpoint: 'applyToken', effect: { type: 'result', resultStatus: 'U', resultCode: 'AUTH_IN_PROCESS' } });
  sandbox.admin.addFault({ endpoint: 'applyToken', effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
  const request = { grantType: 'AUTHORIZATION_CODE' as const, customerBelongsTo: 'GCASH', authCode };
  const first = await t.throwsAsync(client.applyToken(request), { instanceOf: AntomUnknownResultError });
  t.is(first.resultCode, 'AUTH_IN_PROCESS');
  const second = await t.throwsAsync(client.applyToken(request), { instanceOf: AntomUnknownResultError });
  t.is(second.resultCode, 'UNKNOWN_EXCEPTION');
  t.truthy((await client.applyToken(request)).accessToken, 'not processed while faulted: the authCode is still fresh');
});

test('scripted F codes reach the client with their documented class', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const expectations: Array<[string, FinalOutcome]> = [
    ['USER_NOT_EXIST', 'customer-final'],
    ['USER_STATUS_ABNORMAL', 'customer-final'],
    ['PROCESS_FAIL', 'systemic-final'],
    ['SYSTEM_ERROR', 'systemic-final'],
    ['ACCESS_DENIED', 'systemic-final'],
    ['OAUTH_FAILED', 'systemic-final'],
  ];
  for (const [code, outcome] of expectations) {
    sandbox.admin.addFault({ endpoint: 'applyToken', effect: { type: 'result', resultStatus: 'F', resultCode: code } });
    const error = await businessError(t, client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'whatever-refresh-token' }));
    t.is(error.resultCode, code);
    t.is(error.outcome, outcome, code);
  }
});

test('rate limit: REQUEST_TRAFFIC_EXCEED_LIMIT (U) above N requests per second', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  sandbox.admin.setRateLimit({ endpoint: 'revoke', requestsPerSecond: 1 });
  const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map(() => revokeSomething(client)));
  // The exact split depends on arrival times (the window is unit-tested in faults.test.ts); every refusal must be
  // the U code, classified as retryable.
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  t.true(refused.length >= 1);
  t.true(outcomes.some((o) => o.status === 'fulfilled'));
  for (const { reason } of refused) {
    t.true(reason instanceof AntomUnknownResultError && reason.resultCode === 'REQUEST_TRAFFIC_EXCEED_LIMIT' && reason.retryable);
  }
  sandbox.admin.setRateLimit(undefined);
  t.is((await revokeSomething(client)).removal, 'already-gone');
});

test('drop after processing: the client sees a connection failure, and the revoke did happen', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const tokens = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: (await linkAntom(sandbox, client, 'GCASH')).authCode });
  sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'drop' } });
  const error = await t.throwsAsync(client.revoke({ accessToken: tokens.accessToken }), { instanceOf: AntomTransportError });
  t.is(error.kind, 'connection');
  t.false(sandbox.admin.isAccessTokenUsable(tokens.accessToken));
  // The client's retry of the identical request then learns it is already gone.
  t.is((await client.revoke({ accessToken: tokens.accessToken })).removal, 'already-gone');
  t.true(sandbox.admin.requests().some((r) => r.dropped === true && r.endpoint === 'revoke'));
});

test('drop after processing an authCode: the strict retry fails INVALID_AUTHCODE — the worst case a client must survive', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  sandbox.admin.addFault({ endpoint: 'applyToken', effect: { type: 'drop' } });
  const request = { grantType: 'AUTHORIZATION_CODE' as const, customerBelongsTo: 'GCASH', authCode };
  await t.throwsAsync(client.applyToken(request), { instanceOf: AntomTransportError });
  t.is((await businessError(t, client.applyToken(request))).resultCode, 'INVALID_AUTHCODE');
  t.is(sandbox.admin.tokens().length, 1, 'the first, unanswered call did create the tokens');
});

test('HTTP 503, malformed JSON, unsigned and wrongly signed answers are all retryable unknowns', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'httpError' } });
  const http = await t.throwsAsync(revokeSomething(client), { instanceOf: AntomTransportError });
  t.is(http.kind, 'http-status');
  t.is(http.httpStatus, 503);

  sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'malformedJson' } });
  t.is((await t.throwsAsync(revokeSomething(client), { instanceOf: AntomUnverifiableResponseError })).reason, 'unparsable-body');

  sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'unsigned' } });
  const unsigned = await t.throwsAsync(revokeSomething(client), { instanceOf: AntomUnverifiableResponseError });
  t.is(unsigned.reason, 'missing-signature');

  sandbox.admin.addFault({ endpoint: 'revoke', effect: { type: 'wrongSignature' } });
  t.is((await t.throwsAsync(revokeSomething(client), { instanceOf: AntomUnverifiableResponseError })).reason, 'bad-signature');

  t.true(http.retryable);
  t.is((await revokeSomething(client)).removal, 'already-gone', 'faults were one-shot');
});

test('a delay beyond the client deadline is a timeout; skipCalls and times pick which calls are hit', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  sandbox.admin.addFault({ endpoint: 'revoke', skipCalls: 1, times: 2, delayMs: 2_000 });
  t.is((await revokeSomething(client)).removal, 'already-gone', 'first call skipped');
  // The deadline must outlast the request's arrival, or on a loaded machine the call is aborted before the sandbox
  // sees it and the script hits the next call instead (600 ms, still far below the 2 s delay).
  for (let i = 0; i < 2; i += 1) {
    const error = await t.throwsAsync(client.revoke({ accessToken: 'some-access-token-that-does-not-matter' }, { timeoutMs: 600 }), { instanceOf: AntomTransportError });
    t.is(error.kind, 'timeout');
  }
  // The script is spent: the next call is answered without a delay.
  t.is((await revokeSomething(client)).removal, 'already-gone');
  // The log is in completion order; the delayed calls finish last. In arrival order: none, delay, delay, none.
  const deadline = Date.now() + 10_000;
  while (sandbox.admin.requests().length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const byArrival = [...sandbox.admin.requests()].sort((a, b) => a.at - b.at);
  t.deepEqual(byArrival.map((r) => r.fault ?? 'none'), ['none', 'delay', 'delay', 'none']);
  t.deepEqual(sandbox.admin.faults(), []);
});

test('close() abandons a call held by a delay fault: its timer is cleared and the operation is never performed', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'TNG');
  const { accessToken } = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'TNG', authCode });
  sandbox.admin.addFault({ endpoint: 'revoke', delayMs: 300 });
  const revoking = client.revoke({ accessToken }, { timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await sandbox.close();
  await t.throwsAsync(revoking, { instanceOf: AntomTransportError });
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.true(sandbox.admin.isAccessTokenUsable(accessToken), 'the revoke was not performed after close');
  t.false(sandbox.admin.requests().some((request) => request.endpoint === 'revoke'));
});

test('a fault scoped to one platform leaves the other alone', async (t) => {
  const sandbox = await startTestSandbox(t);
  const antom = clientFor(t, sandbox);
  const aps = clientFor(t, sandbox, { platform: 'alipayplus' });
  sandbox.admin.addFault({ endpoint: 'applyToken', platform: 'alipayplus', effect: { type: 'httpError', status: 502 } });
  const antomError = await businessError(t, antom.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'unknown-refresh-token' }));
  t.is(antomError.resultCode, 'INVALID_REFRESH_TOKEN');
  const apsError = await t.throwsAsync(aps.applyTokenAps({ authClientId: 'X', grantType: 'REFRESH_TOKEN', refreshToken: 'unknown-refresh-token' }), { instanceOf: AntomTransportError });
  t.is(apsError.httpStatus, 502);
});

test('the sandbox response signature is checked by the client with the published key only', async (t) => {
  const sandbox = await startTestSandbox(t);
  const trustingWrongKey = clientFor(t, sandbox, { antomPublicKey: unrelatedKeys.publicKey });
  const error = await t.throwsAsync(revokeSomething(trustingWrongKey), { instanceOf: AntomUnverifiableResponseError });
  t.is(error.reason, 'bad-signature');
  const published = await fetch(`${sandbox.url}/sandbox/public-key.pem`);
  t.is(await published.text(), sandbox.publicKeyPem);
});

test('a consent link expires after 15 minutes of sandbox time', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const authState = uniqueAuthState();
  await client.consult({ customerBelongsTo: 'GCASH', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY'], authState, terminalType: 'WEB' });
  await sandbox.admin.advanceClock(15 * MINUTE_MS);
  t.throws(() => sandbox.admin.approve({ authState }), { message: /expired/ });
  t.is(sandbox.admin.authorizations()[0]?.status, 'EXPIRED');
});

// ---------------------------------------------------------------------------------------------------------------
// Issue 15: conformance to the published documents (../shared/reference/)
// ---------------------------------------------------------------------------------------------------------------

const AMS_APPLY = '/ams/api/v1/authorizations/applyToken';
const APS_APPLY = '/aps/api/v1/authorizations/applyToken';
const refreshBody = JSON.stringify({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: 'r'.repeat(40) });
const apsRefreshBody = JSON.stringify({ authClientId: 'SUB_MERCHANT_1', grantType: 'REFRESH_TOKEN', refreshToken: 'r'.repeat(40) });

function verifiesOver(sandbox: RunningSandbox, path: string, answer: RawExchange): boolean {
  const header = parseSignatureHeader(answer.headers.signature);
  const clientId = answer.headers['client-id'] ?? '';
  return header !== undefined && verifyParts(sandbox.publicKey, { path, clientId, time: answer.headers['response-time'] ?? '', body: answer.body }, header.signature);
}

function resultCode(answer: RawExchange): string | undefined {
  return (JSON.parse(answer.body) as { result?: { resultCode?: string } }).result?.resultCode;
}

test('item 1: no Content-Type is accepted on /ams and /aps; /ams only ever answers codes Antom\'s table lists', async (t) => {
  const sandbox = await startTestSandbox(t);
  const ams = await rawExchange({ origin: sandbox.url, target: AMS_APPLY, headers: signedHeaders(merchantKeys.privateKey, { path: AMS_APPLY, clientId: MERCHANT, body: refreshBody }), body: refreshBody });
  t.is(resultCode(ams), 'INVALID_REFRESH_TOKEN', 'processed: the refresh token is unknown, not the media type');
  const aps = await rawExchange({ origin: sandbox.url, target: APS_APPLY, headers: signedHeaders(merchantKeys.privateKey, { path: APS_APPLY, clientId: MERCHANT, body: apsRefreshBody }), body: apsRefreshBody });
  t.is(resultCode(aps), 'INVALID_REFRESH_TOKEN');
  // Gateway refusals on /ams: each answer's code is in antom-applyToken.txt's table.
  const signed = (body: string) => signedHeaders(merchantKeys.privateKey, { path: AMS_APPLY, clientId: MERCHANT, body });
  const refusals = [
    await rawExchange({ origin: sandbox.url, target: AMS_APPLY, headers: { ...signed(refreshBody), 'content-type': 'text/plain' }, body: refreshBody }),
    await rawExchange({ origin: sandbox.url, target: AMS_APPLY, method: 'GET', headers: signed(''), body: '' }),
    await rawExchange({ origin: sandbox.url, target: AMS_APPLY, headers: { ...signed(refreshBody), 'client-id': 'NOBODY' }, body: refreshBody }),
    await rawExchange({ origin: sandbox.url, target: AMS_APPLY, headers: signed('not json'), body: 'not json' }),
  ];
  for (const answer of refusals) {
    const code = resultCode(answer) ?? '';
    t.true(Object.hasOwn(ANTOM_APPLY_TOKEN_CODES, code), `${code} is in Antom's applyToken table`);
    t.not(code, 'MEDIA_TYPE_NOT_ACCEPTABLE');
  }
});

test('item 2: an Antom authCode over 64 characters → PARAM_ILLEGAL (our client sends up to 128 and lets Antom decide)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const long = await businessError(t, client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'a'.repeat(65) }));
  t.is(long.resultCode, 'PARAM_ILLEGAL');
  t.is((await businessError(t, client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'a'.repeat(128) }))).resultCode, 'PARAM_ILLEGAL');
  t.is((await businessError(t, client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode: 'a'.repeat(64) }))).resultCode, 'INVALID_AUTHCODE', '64 is within the limit: just unknown');
});

test('items 3 and 5: Alipay+ prepare accepts USER_LOGIN_ID and only then returns userLoginId', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox, { platform: 'alipayplus' });
  const prepareAndApply = async (scopes: ('AGREEMENT_PAY' | 'USER_LOGIN_ID')[]) => {
    const authState = uniqueAuthState('aps-scopes');
    await client.prepare({ customerBelongsTo: 'GCASH', authClientId: 'SUB_MERCHANT_1', authClientName: 'Sub Merchant One Ltd', authRedirectUrl: REDIRECT_URL, scopes, authState, terminalType: 'WEB' });
    const { authCode } = sandbox.admin.approve({ authState, clientId: MERCHANT });
    return client.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'AUTHORIZATION_CODE', authCode });
  };
  const withLoginId = await prepareAndApply(['AGREEMENT_PAY', 'USER_LOGIN_ID']);
  t.regex(withLoginId.userLoginId ?? '', /\*\*\*\*/, 'masked login id');
  t.is((await prepareAndApply(['AGREEMENT_PAY'])).userLoginId, undefined);
});

test('item 5: Antom returns userLoginId only when the consult scopes include AGREEMENT_PAY', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const consultAndApply = async (scopes: ('AGREEMENT_PAY' | 'BASE_USER_INFO')[]) => {
    const authState = uniqueAuthState('ams-scopes');
    await client.consult({ customerBelongsTo: 'GCASH', authRedirectUrl: REDIRECT_URL, scopes, authState, terminalType: 'WEB' });
    const { authCode } = sandbox.admin.approve({ authState, clientId: MERCHANT });
    return client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  };
  t.truthy((await consultAndApply(['AGREEMENT_PAY'])).userLoginId);
  const tokens = await consultAndApply(['BASE_USER_INFO']);
  t.is(tokens.userLoginId, undefined);
  // The refresh answer follows the same rule.
  t.is((await client.applyToken({ grantType: 'REFRESH_TOKEN', customerBelongsTo: 'GCASH', refreshToken: tokens.refreshToken ?? '' })).userLoginId, undefined);
});

test('item 4: on /aps an unknown or suspended client-id → INVALID_CLIENT, a forbidden API → ACCESS_DENIED (Alipay+\'s table)', async (t) => {
  const sandbox = await startTestSandbox(t, {
    merchants: [
      { clientId: MERCHANT, publicKey: merchantKeys.publicKey },
      { clientId: 'SUSPENDED_ONE', publicKey: merchantKeys.publicKey, status: 'SUSPENDED' },
      { clientId: 'PREPARE_ONLY', publicKey: merchantKeys.publicKey, allowedEndpoints: ['prepare'] },
    ],
  });
  const cancel = (clientId: string) => clientFor(t, sandbox, { clientId, platform: 'alipayplus' }).cancelToken({ accessToken: 'some-access-token', authClientId: 'SUB_MERCHANT_1' });
  for (const [clientId, code] of [['NOBODY', 'INVALID_CLIENT'], ['SUSPENDED_ONE', 'INVALID_CLIENT'], ['PREPARE_ONLY', 'ACCESS_DENIED']] as const) {
    const error = await businessError(t, cancel(clientId));
    t.is(error.resultCode, code, clientId);
    t.is(error.outcome, 'systemic-final');
    t.true(Object.hasOwn(ALIPAY_PLUS_APPLY_TOKEN_CODES, error.resultCode));
  }
  // /ams keeps Antom's own codes for the same situations.
  t.is((await businessError(t, revokeSomething(clientFor(t, sandbox, { clientId: 'NOBODY' })))).resultCode, 'UNKNOWN_CLIENT');
  t.is((await businessError(t, revokeSomething(clientFor(t, sandbox, { clientId: 'SUSPENDED_ONE' })))).resultCode, 'INVALID_CLIENT_STATUS');
});

test('item 6: a request without client-id still gets a client-id header, and the answer is signed over it', async (t) => {
  const sandbox = await startTestSandbox(t);
  const headers = signedHeaders(merchantKeys.privateKey, { path: AMS_APPLY, clientId: MERCHANT, body: refreshBody });
  delete headers['client-id'];
  const answer = await rawExchange({ origin: sandbox.url, target: AMS_APPLY, headers, body: refreshBody });
  t.is(resultCode(answer), 'UNKNOWN_CLIENT');
  t.truthy(answer.headers['client-id']);
  t.true(verifiesOver(sandbox, AMS_APPLY, answer));
});

test('item 7: the sandbox parses the request signature header with its parameters in any order', async (t) => {
  const sandbox = await startTestSandbox(t);
  const headers = signedHeaders(merchantKeys.privateKey, { path: AMS_APPLY, clientId: MERCHANT, body: refreshBody, signatureOrder: 'reversed' });
  const answer = await rawExchange({ origin: sandbox.url, target: AMS_APPLY, headers, body: refreshBody });
  t.is(resultCode(answer), 'INVALID_REFRESH_TOKEN', 'the signature verified; the refresh token is what is unknown');
});

test('item 10: an absolute-form request target is routed, verified, logged and signed on its path alone; header names are lowercase', async (t) => {
  const sandbox = await startTestSandbox(t);
  const client = clientFor(t, sandbox);
  const { authCode } = await linkAntom(sandbox, client, 'GCASH');
  const path = '/ams/sandbox/api/v1/authorizations/applyToken';
  const body = JSON.stringify({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'GCASH', authCode });
  const headers = { 'Content-type': 'application/json; charset=UTF-8', ...signedHeaders(merchantKeys.privateKey, { path, clientId: MERCHANT, body }) };
  const answer = await rawExchange({ origin: sandbox.url, target: `https://open-sea-global.alipay.com${path}`, headers, body });
  t.is(answer.status, 200);
  t.is(resultCode(answer), 'SUCCESS');
  t.true(verifiesOver(sandbox, path, answer), 'signed over the path, as the SDK verifies');
  t.is(sandbox.admin.requests().at(-1)?.path, path, 'logged as the path');
  for (const name of ['signature', 'response-time', 'client-id']) t.true(answer.rawHeaders.some(([raw]) => raw === name), `${name} in lowercase`);
});

test('item 10: the optional fields the official SDKs send are accepted (extendInfo, authMetaData, recurringPayment as a boolean)', async (t) => {
  const sandbox = await startTestSandbox(t);
  const path = '/ams/api/v1/authorizations/consult';
  const body = JSON.stringify({
    customerBelongsTo: 'PAYPAY', authRedirectUrl: REDIRECT_URL, scopes: ['AGREEMENT_PAY'], authState: uniqueAuthState('sdk'), terminalType: 'WEB',
    extendInfo: '{"note":"sdk"}', authMetaData: { accountHolderName: 'A. Holder' }, recurringPayment: true,
  });
  const answer = await rawExchange({ origin: sandbox.url, target: path, headers: signedHeaders(merchantKeys.privateKey, { path, clientId: MERCHANT, body }), body });
  t.is(resultCode(answer), 'SUCCESS');
});

test('item 9: wallet lifetimes count calendar years — "10 years" from 2030-01-01 is 2040-01-01 (3,652 days), not 3,650 days', async (t) => {
  let virtualNow = Date.UTC(2030, 0, 1, 4, 0, 0);
  const sandbox = await startTestSandbox(t, { clock: { now: () => virtualNow } });
  const client = clientFor(t, sandbox, { clock: () => virtualNow });
  const apply = async (wallet: string) =>
    client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: wallet, authCode: (await linkAntom(sandbox, client, wallet)).authCode });
  const dana = await apply('DANA');
  t.is(dana.accessTokenExpiryTime.epochMs, Date.UTC(2040, 0, 1, 4, 0, 0));
  t.is(dana.refreshTokenExpiryTime?.epochMs, Date.UTC(2040, 0, 1, 4, 0, 0));
  const tng = await apply('TNG');
  t.is(tng.accessTokenExpiryTime.epochMs, Date.UTC(2032, 0, 1, 4, 0, 0));
  t.is(tng.refreshTokenExpiryTime?.epochMs, Date.UTC(2032, 6, 1, 4, 0, 0), '2.5 years = 2 years and 6 months');
  // A leap day: two years after 29 February 2028 is 28 February 2030 (the month's last day), not 1 March.
  virtualNow = Date.UTC(2028, 1, 29, 12, 0, 0);
  const gcash = await apply('GCASH');
  t.is(gcash.accessTokenExpiryTime.epochMs, Date.UTC(2030, 1, 28, 12, 0, 0));
  // Alipay+ counts "10 years or longer" the same way: DANA's 10 calendar years get no refresh token.
  const aps = clientFor(t, sandbox, { platform: 'alipayplus', clock: () => virtualNow });
  const apsDana = await aps.applyTokenAps({ authClientId: 'SUB_MERCHANT_1', grantType: 'AUTHORIZATION_CODE', authCode: (await linkAlipayPlus(sandbox, aps, 'DANA')).authCode });
  t.is(apsDana.refreshToken, undefined);
});
