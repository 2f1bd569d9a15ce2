// Crash safety (issue 10 §4): the worker runs as a child process and is killed with SIGKILL at the worst moments of
// an applyToken (authCode and refresh; before the journal write — the request held in the sandbox — and after it)
// and of a revoke; a new worker process (`src/worker.ts`, as `npm run worker` runs it) takes over. Real Temporal dev
// server, real Redis, the sandbox over HTTP, the merchant library for link / authCode / reads / cancel.
//
// Each scenario checks: the authorization converges (ACTIVE or REVOKED); the sandbox's request log shows no second
// use of the authCode or refresh token (or, for a lost response, exactly the documented one); the sandbox holds no
// live grant the workflow does not know (no token lost or orphaned), or the documented orphan; and the payment path
// (client.getAccessToken, polled throughout the outage) never handed out a token that was withdrawn or expired.
// Scenarios run concurrently, each with its own sandbox, Redis prefix, task queue and worker processes.
import test, { type ExecutionContext } from 'ava';
import type { ReceivedRequest, WalletPolicy } from '../../../src/sandbox';
import { createCrashRig, deadTokensServed, journalWritten, stopSharedServer, waitFor, WALLET, type CrashRig, type TokenWatch } from './crashRig';

test.after.always(stopSharedServer);

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** Rotating; long enough that no scheduled refresh runs during an authCode scenario. */
const AUTH_CODE_POLICY: WalletPolicy = { accessTokenLifetimeMs: 20 * MINUTE, refreshTokenLifetimeMs: 60 * MINUTE, rotateRefreshToken: true };
/**
 * Rotating and short: the first refresh is planned at about half the access token's life (~20 s after issue), and a
 * refresh stuck behind a dead worker (30 s attempt timeout) outlives the token, so the outage covers an expiry.
 */
const REFRESH_POLICY: WalletPolicy = { accessTokenLifetimeMs: 40 * SECOND, refreshTokenLifetimeMs: 30 * MINUTE, rotateRefreshToken: true };

/** A held request: long enough to SIGKILL the worker while the sandbox sits on it, short of every retry. */
const HOLD_MS = 5 * SECOND;

const carrying = (field: 'authCode' | 'refreshToken', masked: string) => (request: ReceivedRequest) =>
  (request.body as Record<string, unknown> | undefined)?.[field] === masked;

/** The sandbox's live grants (not revoked or canceled: whoever holds their refresh token can still use them). */
const liveGrants = (rig: CrashRig) => rig.sandbox.admin.tokens().filter((g) => g.status === 'ACTIVE');

/**
 * The served token; with `expectedMasked`, once it is that one. ACTIVE is visible one activity before the projection
 * holds the adopted token (the previous, still valid token is served meanwhile), so the read is polled, not one-shot.
 */
async function servedToken(rig: CrashRig, expectedMasked?: string) {
  return waitFor('the payment path to serve a token', async () => {
    const token = await rig.client.getAccessToken(WALLET, rig.customerId);
    return token && (expectedMasked === undefined || rig.mask(token.accessToken) === expectedMasked) ? token : undefined;
  }, 30_000, 200);
}

/** The one live grant is the one the workflow serves: nothing was lost, nothing orphaned. */
async function assertOnlyServedGrantLive(t: ExecutionContext, rig: CrashRig): Promise<string> {
  const live = liveGrants(rig);
  const token = await servedToken(rig, live.length === 1 ? live[0]!.accessToken : undefined).catch(() => servedToken(rig));
  t.is(live.length, 1, `one live grant at the sandbox, got ${live.length}`);
  t.is(live[0]?.accessToken, rig.mask(token.accessToken), 'the live grant is the token the payment path serves');
  t.true(rig.sandbox.admin.isAccessTokenUsable(token.accessToken));
  return token.accessToken;
}

function assertNoDeadTokenServed(t: ExecutionContext, watch: TokenWatch, withdrawnAt?: number): void {
  const dead = deadTokensServed(watch.reads, withdrawnAt);
  t.deepEqual(dead.map((r) => ({ at: new Date(r.startedAt).toISOString(), expiry: r.token?.accessTokenExpiry, usable: r.usable })), [], 'the payment path served a dead token');
  t.true(watch.reads.length > 0, 'the payment path was polled');
}

/** The refresh token the sandbox's only grant holds now (masked). */
function currentRefreshToken(rig: CrashRig): string {
  const live = liveGrants(rig);
  if (live.length !== 1 || !live[0]!.refreshToken) throw new Error(`expected one live grant with a refresh token, got ${live.length}`);
  return live[0]!.refreshToken;
}

/** ACTIVE with a refresh token whose first scheduled refresh is still ahead; returns the masked refresh token. */
async function activeBeforeFirstRefresh(rig: CrashRig): Promise<string> {
  await rig.linkAndApprove();
  await rig.waitForState('ACTIVE');
  return currentRefreshToken(rig);
}

test('authCode: SIGKILL while Antom holds the request and never performs it → the new worker sends the identical request once → ACTIVE, the code used once', async (t) => {
  t.timeout(360_000);
  const rig = await createCrashRig(t, { policy: AUTH_CODE_POLICY, customerId: 'crash-code-held' });
  const [first, next] = await Promise.all([rig.startWorker('crashable'), rig.startWorker('standby')]);
  // The sandbox holds the first applyToken, then answers 503 without performing it (to a dead socket by then).
  const held = rig.armFault({ endpoint: 'applyToken', delayMs: HOLD_MS, effect: { type: 'httpError', process: false } });
  const { authCode } = await rig.linkAndApprove();
  const watch = rig.watchTokens();
  await held.consumed();
  await first.kill();
  const killedAt = Date.now();
  await rig.takeOver(next);

  await rig.waitForState('ACTIVE');
  t.log(`ACTIVE ${Date.now() - killedAt} ms after the kill`);
  await assertOnlyServedGrantLive(t, rig);
  const uses = rig.applyTokenRequests().filter(carrying('authCode', rig.mask(authCode)));
  t.deepEqual(uses.map((r) => [r.fault, r.resultStatus]), [['httpError', undefined], [undefined, 'S']], 'the held request was never performed; the retry was its first use');
  await watch.stop();
  assertNoDeadTokenServed(t, watch);
});

test('authCode: SIGKILL after the journal write, before the activity completes → the retry is answered from the journal → ACTIVE, Antom saw the code once', async (t) => {
  t.timeout(360_000);
  const rig = await createCrashRig(t, { policy: AUTH_CODE_POLICY, customerId: 'crash-code-journaled' });
  const [first, next] = await Promise.all([rig.startWorker('crashable', { pauseAfterJournalWrite: 1 }), rig.startWorker('standby')]);
  const { authCode } = await rig.linkAndApprove();
  const watch = rig.watchTokens();
  await first.waitForLine(journalWritten(1));
  await first.kill();
  const killedAt = Date.now();
  const issued = liveGrants(rig);
  t.is(issued.length, 1, 'Antom issued the token before the kill');
  await rig.takeOver(next);

  await rig.waitForState('ACTIVE');
  t.log(`ACTIVE ${Date.now() - killedAt} ms after the kill`);
  const token = await assertOnlyServedGrantLive(t, rig);
  t.is(rig.mask(token), issued[0]!.accessToken, 'the workflow adopted the token issued before the crash');
  const uses = rig.applyTokenRequests().filter(carrying('authCode', rig.mask(authCode)));
  t.is(uses.length, 1, 'no second use of the authCode');
  t.is(rig.applyTokenRequests().length, 1);
  await watch.stop();
  assertNoDeadTokenServed(t, watch);
});

test('authCode, lost response: SIGKILL while Antom holds the request and then performs it → documented: the retry meets INVALID_AUTHCODE, a fresh consult; the token issued in the lost exchange is orphaned at Antom', async (t) => {
  t.timeout(360_000);
  const rig = await createCrashRig(t, { policy: AUTH_CODE_POLICY, customerId: 'crash-code-lost' });
  const [first, next] = await Promise.all([rig.startWorker('crashable'), rig.startWorker('standby')]);
  // Held, then performed normally: the code is spent and a token issued, but the worker is dead by then.
  const held = rig.armFault({ endpoint: 'applyToken', delayMs: HOLD_MS });
  const { authCode, authState } = await rig.linkAndApprove();
  const watch = rig.watchTokens();
  await held.consumed();
  await first.kill();
  const killedAt = Date.now();
  await rig.takeOver(next);
  const lost = await waitFor('the held exchange to be performed', () => (liveGrants(rig).length === 1 ? liveGrants(rig)[0] : undefined), 30_000);

  // The customer approves the fresh consult the workflow started; the authorization converges on the new grant.
  const relinked = await rig.approveCurrentConsult(authState);
  t.log(`fresh consult ${Date.now() - killedAt} ms after the kill`);
  await rig.waitForState('ACTIVE');
  const token = (await servedToken(rig)).accessToken;
  t.not(rig.mask(token), lost.accessToken);
  const uses = rig.applyTokenRequests().filter(carrying('authCode', rig.mask(authCode)));
  t.deepEqual(uses.map((r) => [r.fault, r.resultStatus, r.resultCode]), [['delay', 'S', 'SUCCESS'], [undefined, 'F', 'INVALID_AUTHCODE']],
    'performed once (answer lost), then the retry of the exchange is a second use the sandbox refuses');
  t.is(rig.applyTokenRequests().filter(carrying('authCode', rig.mask(relinked.authCode))).length, 1);

  // Converge to REVOKED and look at what is left at Antom.
  // The token is withdrawn before requestCancel answers: no read starting after that may be handed it.
  await rig.client.requestCancel(WALLET, rig.customerId);
  const canceledAt = Date.now();
  await rig.waitForState('REVOKED');
  const live = liveGrants(rig);
  // Known limit (README "Known limits"): a token Antom issued that the workflow never saw is not revoked. When the
  // product learns to revoke such tokens this becomes 0 — change the expectation then.
  t.deepEqual(live.map((g) => g.grantId), [lost.grantId], 'the lost exchange\'s grant is still live at Antom (orphaned)');
  await watch.stop();
  assertNoDeadTokenServed(t, watch, canceledAt);
  t.is(await rig.client.getAccessToken(WALLET, rig.customerId), undefined);
});

test('refresh: SIGKILL while Antom holds the request and never performs it → the identical request once more → ACTIVE; the expired token is never served meanwhile', async (t) => {
  t.timeout(360_000);
  const rig = await createCrashRig(t, { policy: REFRESH_POLICY, customerId: 'crash-refresh-held' });
  const [first, next] = await Promise.all([rig.startWorker('crashable'), rig.startWorker('standby')]);
  // Armed before the link: the authCode exchange passes, the first refresh is held.
  const held = rig.armFault({ endpoint: 'applyToken', skipCalls: 1, delayMs: HOLD_MS, effect: { type: 'httpError', process: false } });
  const refreshToken = await activeBeforeFirstRefresh(rig);
  const oldExpiry = Date.parse((await servedToken(rig)).accessTokenExpiry);
  const watch = rig.watchTokens();
  await held.consumed(60_000);
  await first.kill();
  const killedAt = Date.now();
  await rig.takeOver(next);

  await waitFor('the refreshed token', async () => ((await rig.state()).refreshCount === 1 ? true : undefined), 120_000, 250);
  const refreshedAt = Date.now();
  t.log(`refreshed ${refreshedAt - killedAt} ms after the kill`);
  t.true(refreshedAt > oldExpiry, 'the old token expired during the outage');
  await assertOnlyServedGrantLive(t, rig);
  const uses = rig.applyTokenRequests().filter(carrying('refreshToken', refreshToken));
  t.deepEqual(uses.map((r) => [r.fault, r.resultStatus]), [['httpError', undefined], [undefined, 'S']], 'the refresh token was used once');
  await watch.stop();
  assertNoDeadTokenServed(t, watch);
  t.true(watch.reads.some((r) => r.startedAt > oldExpiry), 'the payment path was asked after the old token expired (and was not handed it)');
});

test('refresh: SIGKILL after the journal write → the retry is answered from the journal → ACTIVE on the rotated token; Antom saw the refresh token once', async (t) => {
  t.timeout(360_000);
  // A token far from its deadline, the refresh asked for now: the journaled answer is still fresh when adopted.
  const rig = await createCrashRig(t, { policy: AUTH_CODE_POLICY, customerId: 'crash-refresh-journaled' });
  const [first, next] = await Promise.all([rig.startWorker('crashable', { pauseAfterJournalWrite: 2 }), rig.startWorker('standby')]);
  const refreshToken = await activeBeforeFirstRefresh(rig);
  const watch = rig.watchTokens();
  await rig.client.refreshNow(WALLET, rig.customerId, 'crash test');
  await first.waitForLine(journalWritten(2), 90_000);
  await first.kill();
  const killedAt = Date.now();
  const rotated = liveGrants(rig)[0]!;
  t.is(rotated.refreshCount, 1, 'Antom rotated the tokens before the kill');
  await rig.takeOver(next);

  await waitFor('the refreshed token', async () => ((await rig.state()).refreshCount === 1 ? true : undefined), 120_000, 250);
  t.log(`refreshed ${Date.now() - killedAt} ms after the kill`);
  const token = await assertOnlyServedGrantLive(t, rig);
  t.is(rig.mask(token), rotated.accessToken, 'the workflow adopted the token issued before the crash');
  t.is(rig.applyTokenRequests().filter(carrying('refreshToken', refreshToken)).length, 1, 'no second use of the rotated refresh token');
  await watch.stop();
  assertNoDeadTokenServed(t, watch);
});

test('refresh, lost response: SIGKILL while Antom holds the request and then performs it → documented: the retry meets INVALID_REFRESH_TOKEN marked may-have-succeeded, a NEEDS_ATTENTION alert while the old token (still valid) is served; cancel → REVOKED, nothing left live', async (t) => {
  t.timeout(360_000);
  // A token far from its deadline (the usual case): the refresh is asked for now (refreshNow), not waited for.
  const rig = await createCrashRig(t, { policy: AUTH_CODE_POLICY, customerId: 'crash-refresh-lost' });
  const [first, next] = await Promise.all([rig.startWorker('crashable'), rig.startWorker('standby')]);
  const held = rig.armFault({ endpoint: 'applyToken', skipCalls: 1, delayMs: HOLD_MS });
  const refreshToken = await activeBeforeFirstRefresh(rig);
  const before = (await servedToken(rig)).accessToken;
  const watch = rig.watchTokens();
  await rig.client.refreshNow(WALLET, rig.customerId, 'crash test');
  await held.consumed(60_000);
  await first.kill();
  const killedAt = Date.now();
  await rig.takeOver(next);

  const parked = await rig.waitForState('NEEDS_ATTENTION', 120_000);
  t.log(`NEEDS_ATTENTION ${Date.now() - killedAt} ms after the kill`);
  t.like(parked.attention, { phase: 'refresh', reason: 'may-have-succeeded', code: 'INVALID_REFRESH_TOKEN' });
  const uses = rig.applyTokenRequests().filter(carrying('refreshToken', refreshToken));
  t.deepEqual(uses.map((r) => [r.fault, r.resultStatus, r.resultCode]), [['delay', 'S', 'SUCCESS'], [undefined, 'F', 'INVALID_REFRESH_TOKEN']],
    'performed once (answer lost); the retry of the exchange is the second use the journal cannot prevent');
  const refreshedAtAntom = liveGrants(rig);
  t.is(refreshedAtAntom.length, 1);
  t.is(refreshedAtAntom[0]!.refreshCount, 1, 'Antom rotated the grant in the lost exchange');
  t.not(refreshedAtAntom[0]!.accessToken, rig.mask(before), 'its current token is one the workflow never saw');
  const meanwhile = await servedToken(rig);
  t.is(meanwhile.accessToken, before, 'the payment path keeps the old token, which the wallet still honours');
  t.true(rig.sandbox.admin.isAccessTokenUsable(before));

  // The token is withdrawn before requestCancel answers: no read starting after that may be handed it.
  await rig.client.requestCancel(WALLET, rig.customerId);
  const canceledAt = Date.now();
  await rig.waitForState('REVOKED');
  await watch.stop();
  assertNoDeadTokenServed(t, watch, canceledAt);
  t.is(await rig.client.getAccessToken(WALLET, rig.customerId), undefined);
  // The sandbox revokes a grant by any of its live access tokens, so revoking the old one ends the rotated grant too.
  t.deepEqual(liveGrants(rig), [], 'nothing left live at Antom');
});

test('refresh, lost response at the deadline: SIGKILL while Antom holds the request and then performs it, the token expiring meanwhile → documented: TOKEN_EXPIRED, the expired token never served; the grant refreshed in the lost exchange stays live at Antom (orphaned)', async (t) => {
  t.timeout(360_000);
  const rig = await createCrashRig(t, { policy: REFRESH_POLICY, customerId: 'crash-refresh-lost-late' });
  const [first, next] = await Promise.all([rig.startWorker('crashable'), rig.startWorker('standby')]);
  const held = rig.armFault({ endpoint: 'applyToken', skipCalls: 1, delayMs: HOLD_MS });
  const refreshToken = await activeBeforeFirstRefresh(rig);
  const oldExpiry = Date.parse((await servedToken(rig)).accessTokenExpiry);
  const watch = rig.watchTokens();
  await held.consumed(60_000);
  await first.kill();
  const killedAt = Date.now();
  await rig.takeOver(next);

  // The retry (after the 30 s attempt timeout) meets INVALID_REFRESH_TOKEN after the token's deadline: nothing to
  // alert about any more, the authorization ends.
  const ended = await rig.waitForState('TOKEN_EXPIRED', 120_000);
  t.log(`TOKEN_EXPIRED ${Date.now() - killedAt} ms after the kill`);
  t.is(ended.lastError?.code, 'INVALID_REFRESH_TOKEN');
  const uses = rig.applyTokenRequests().filter(carrying('refreshToken', refreshToken));
  t.deepEqual(uses.map((r) => [r.fault, r.resultStatus, r.resultCode]), [['delay', 'S', 'SUCCESS'], [undefined, 'F', 'INVALID_REFRESH_TOKEN']]);
  await watch.stop();
  assertNoDeadTokenServed(t, watch);
  t.true(watch.reads.some((r) => r.startedAt > oldExpiry), 'the payment path was asked after the token expired (and was not handed it)');
  t.is(await rig.client.getAccessToken(WALLET, rig.customerId), undefined);
  // Known limit (README "Known limits"): a token Antom issued that the workflow never saw is not revoked. Its refresh
  // token lives on at Antom (30 minutes here, years for a real wallet) with nobody holding it. When the product revokes
  // tokens it cannot adopt, this becomes [] — change the expectation then.
  const orphaned = liveGrants(rig);
  t.is(orphaned.length, 1, 'the grant refreshed in the lost exchange is still live at Antom (orphaned)');
  t.is(orphaned[0]?.refreshCount, 1);
});

test('revoke: SIGKILL while Antom holds the revoke → the new worker retries it → REVOKED; the token is never served after the cancel', async (t) => {
  t.timeout(360_000);
  const rig = await createCrashRig(t, { policy: AUTH_CODE_POLICY, customerId: 'crash-revoke' });
  const [first, next] = await Promise.all([rig.startWorker('crashable'), rig.startWorker('standby')]);
  await rig.linkAndApprove();
  await rig.waitForState('ACTIVE');
  const token = await assertOnlyServedGrantLive(t, rig);
  const watch = rig.watchTokens();
  // Held, then performed: the retry after the restart meets an already revoked token (INVALID_ACCESS_TOKEN = done).
  const held = rig.armFault({ endpoint: 'revoke', delayMs: HOLD_MS });
  t.not((await rig.client.requestCancel(WALLET, rig.customerId)).state, 'REVOKED');
  const canceledAt = Date.now();
  await held.consumed();
  await first.kill();
  const killedAt = Date.now();
  await rig.takeOver(next);

  await rig.waitForState('REVOKED', 120_000);
  t.log(`REVOKED ${Date.now() - killedAt} ms after the kill`);
  t.false(rig.sandbox.admin.isAccessTokenUsable(token));
  t.deepEqual(liveGrants(rig), [], 'nothing left live at Antom');
  const revokes = rig.sandbox.admin.requests().filter((r) => r.endpoint === 'revoke');
  t.true(revokes.length >= 1);
  await watch.stop();
  assertNoDeadTokenServed(t, watch, canceledAt);
  t.is(await rig.client.getAccessToken(WALLET, rig.customerId), undefined);
});
