/**
 * Restarts and outages end to end (issue 10, part 5), on one stack wired as `npm start`: a Temporal dev server on a
 * SQLite file, a real Worker, the API over HTTP, the sandbox (notification resends every 1.5 s instead of Antom's
 * minutes), and the test's own redis-server with append-only persistence (the shared Redis is never touched).
 *
 *  - The dev server restarts while workflows sleep: they resume and the refresh timers fire at their times.
 *  - Redis is down for longer than the activities' budgets while a refresh is due: tokens are still served (from the
 *    workflow), the refresh raises NEEDS_ATTENTION, and once Redis is back it succeeds with one exchange; the
 *    projection converges on the newest token.
 *  - The API is down while the sandbox resends notifications: after it restarts, the resend is delivered (an
 *    AUTHCODE_CREATED that completes a link, then a TOKEN_CANCELED that ends it).
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkCommand } from '../../src/api/authorizationRoutes';
import { maskSecret } from '../../src/logger';
import type { AuthorizationView, PolicyOverrides } from '../../src/workflows/definitions';
import { serverRuns, timerDueAt } from './support/history';
import { OwnRedis } from './support/redisServer';
import { adminPost, applyTokenCalls, grants, notifications, receivedRequests, secondsWallet } from './support/sandboxAdmin';
import { E2eStack, poll } from './support/stack';

/** Refreshed at ~20 s (half of 40 s): long enough to restart the dev server before the timers are due. */
const RESTART_WALLETS = ['E2E_RESTART_A', 'E2E_RESTART_B'];
/** Refreshed at ~45 s, given up at ~75 s, expiring at 90 s: room for a ~15 s Redis outage and the retries after it. */
const REDIS_WALLET = 'E2E_REDIS';
const RESEND_WALLET = 'E2E_RESEND';

let stack: E2eStack;
let redis: OwnRedis;

test.before(async () => {
  redis = await OwnRedis.start();
  stack = await E2eStack.start({
    dbFilename: join(mkdtempSync(join(tmpdir(), 'antom-auth-e2e-temporal-')), 'temporal.db'),
    redisUrl: redis.url,
    notificationScheduleMs: [0, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500],
    walletPolicies: { ...Object.fromEntries(RESTART_WALLETS.map((w) => [w, secondsWallet(40, 600)])), [REDIS_WALLET]: secondsWallet(90, 900), [RESEND_WALLET]: secondsWallet(3600, 7200) },
  });
});
test.after.always(async () => {
  await stack?.close();
  await redis?.close();
});

const customer = (label: string) => `${label}-${randomBytes(3).toString('hex')}`;

/** Link over HTTP and approve in the wallet (admin); the AUTHCODE_CREATED notification completes it. */
async function linkAndApprove(wallet: string, customerId: string): Promise<{ authState: string; view: AuthorizationView }> {
  const response = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet, customerId }) });
  if (response.status !== 200) throw new Error(`link: HTTP ${response.status} ${await response.text()}`);
  const { authState } = (await response.json()) as { authState: string };
  await adminPost(stack.sandbox, '/authorizations/approve', { authState });
  return { authState, view: await stack.waitForView(wallet, customerId, (v) => v.state === 'ACTIVE', 'ACTIVE') };
}

async function readToken(wallet: string, customerId: string): Promise<{ status: number; accessToken?: string }> {
  const response = await stack.api(`/authorizations/${wallet}/${customerId}/token`);
  return { status: response.status, ...((await response.json()) as { accessToken?: string }) };
}

async function grantOf(authState: string) {
  const grant = (await grants(stack.sandbox)).find((g) => g.authState === authState);
  if (!grant) throw new Error(`no grant for ${authState}`);
  return grant;
}

test.serial('the dev server restarts on its SQLite file while workflows sleep: they resume and the refresh timers fire at their times', async (t) => {
  const started = Date.now();
  const linked = [];
  // One wallet per customer, so the sandbox's request log tells their calls apart (customerBelongsTo).
  for (const wallet of RESTART_WALLETS) {
    const customerId = customer('restart');
    linked.push({ wallet, customerId, ...(await linkAndApprove(wallet, customerId)) });
  }

  // Both asleep until their refresh; the server goes away and comes back on the same file and port.
  const restartStarted = Date.now();
  await stack.restartTemporal(2000);
  const downMs = Date.now() - restartStarted;
  for (const { view } of linked) t.true(Date.parse(view.nextRefreshAt!) > Date.now(), 'the restart finished before the timers were due');

  for (const { wallet, customerId, authState, view } of linked) {
    const refreshed = await stack.waitForView(wallet, customerId, (v) => v.state === 'ACTIVE' && v.refreshCount >= 1, 'refreshed after the restart', 90_000);
    t.is(refreshed.refreshCount, 1);
    t.is(refreshed.authorizationId, view.authorizationId, 'the same authorization resumed');
    const calls = applyTokenCalls(await receivedRequests(stack.sandbox), wallet).filter((c) => c.grantType === 'REFRESH_TOKEN');
    t.is(calls.length, 1, 'one refresh exchange');
    t.is(calls[0]?.resultStatus, 'S');
    // The server's own record: the sleep timer due at the planned refresh fired then, though the server that was
    // asked to fire it had been stopped in between.
    const planned = Date.parse(view.nextRefreshAt!);
    const timers = (await serverRuns(stack.client, view.workflowId)).map((run) => timerDueAt(run.history, planned, 1000));
    const timer = timers.find((found) => found?.firedMs !== undefined) ?? timers.find((found) => found !== undefined);
    t.truthy(timer?.firedMs, 'the refresh timer started before the restart fired after it');
    const timerLateMs = timer!.firedMs! - planned;
    t.true(timerLateMs >= -50 && timerLateMs < 5000, `the timer fired at its time (due ${view.nextRefreshAt}, fired ${timerLateMs} ms after)`);
    // The call itself follows after a workflow task and an activity task (seconds on a loaded machine).
    const lateMs = calls[0]!.at - planned;
    t.true(lateMs >= 0 && lateMs < 20_000, `the refresh reached the wallet ${lateMs} ms after its time`);
    const token = await readToken(wallet, customerId);
    t.is(token.status, 200);
    t.is(maskSecret(token.accessToken), (await grantOf(authState)).accessToken, 'the refreshed token is served');
    t.log(`${wallet}/${customerId}: refresh due ${view.nextRefreshAt}; timer fired +${timerLateMs} ms, call sent +${lateMs} ms`);
  }
  t.log(`dev server down ${downMs} ms (stop, 2 s pause, start); test wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** Short budgets for this customer only (the production defaults are minutes to an hour). */
const REDIS_OUTAGE_POLICY: PolicyOverrides = {
  projectionBudgetMs: 3000,
  refreshBudgetMs: 3000,
  retryInitialIntervalMs: 500,
  retryMaximumIntervalMs: 1000,
  refreshRetryInitialIntervalMs: 2000,
  refreshRetryMaximumIntervalMs: 3000,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

test.serial('Redis down longer than the activities\' budgets while a refresh is due: tokens still served, NEEDS_ATTENTION, then one exchange and the projection converges', async (t) => {
  const started = Date.now();
  const customerId = customer('redis');
  // Linked through the library (the API has no policy field), with budgets of seconds.
  const command = linkCommand({ wallet: REDIS_WALLET, customerId, profile: 'antom', terminalType: 'WEB' }, stack.publicBaseUrl);
  const link = await stack.library.link({ ...command, policy: REDIS_OUTAGE_POLICY });
  const authState = link.link!.authState;
  await adminPost(stack.sandbox, '/authorizations/approve', { authState });
  const active = await stack.waitForView(REDIS_WALLET, customerId, (v) => v.state === 'ACTIVE', 'ACTIVE');
  const before = await readToken(REDIS_WALLET, customerId);
  t.is(before.status, 200);
  const planned = Date.parse(active.nextRefreshAt!);

  // Redis goes down shortly before the refresh is due and stays down well past the refresh's budget.
  await sleep(planned - 5000 - Date.now());
  await redis.stop();
  const downAt = Date.now();
  const duringOutage = await readToken(REDIS_WALLET, customerId);
  t.is(duringOutage.status, 200, 'the payment path falls back to the workflow while Redis is down');
  t.is(duringOutage.accessToken, before.accessToken);
  const states = new Set<string>();
  const attention = await poll(
    async () => {
      const view = await stack.view(REDIS_WALLET, customerId);
      if (view) states.add(view.state);
      return view;
    },
    (view) => view?.state === 'NEEDS_ATTENTION' && Date.now() >= planned + 10_000,
    'NEEDS_ATTENTION while Redis is down',
    60_000,
  );
  t.is(attention?.attention?.phase, 'refresh');
  t.truthy(attention?.attention?.retrying, 'a refresh alert: the workflow keeps retrying by itself');
  await redis.startAgain();
  const downMs = Date.now() - downAt;

  const refreshed = await stack.waitForView(REDIS_WALLET, customerId, (v) => v.state === 'ACTIVE' && v.refreshCount === 1, 'ACTIVE after Redis is back', 60_000);
  t.falsy(refreshed.attention);
  const calls = applyTokenCalls(await receivedRequests(stack.sandbox), REDIS_WALLET).filter((c) => c.grantType === 'REFRESH_TOKEN');
  t.is(calls.filter((c) => c.resultStatus === 'S').length, 1, 'one successful refresh exchange');
  t.deepEqual(calls.filter((c) => c.resultStatus !== 'S'), [], 'no refused exchange (no reused refresh token)');
  const grant = await grantOf(authState);
  t.is(grant.refreshCount, 1);

  // Converged: Redis serves the newest token again, and the lifecycle table shows the authorization ACTIVE.
  const after = await poll(() => readToken(REDIS_WALLET, customerId), (r) => r.status === 200 && maskSecret(r.accessToken) === grant.accessToken, 'the newest token served', 30_000);
  t.not(after.accessToken, before.accessToken);
  const expiring = await poll(
    async () => ((await (await stack.api(`/tokens/expiring?before=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`)).json()) as { tokens: { workflowId: string; state: string; accessTokenExpiry: string }[] }).tokens,
    (tokens) => tokens.some((row) => row.workflowId === link.workflowId && row.state === 'ACTIVE' && row.accessTokenExpiry === refreshed.accessTokenExpiry),
    'the lifecycle index rewritten',
    30_000,
  );
  t.truthy(expiring);
  t.log(`states seen during the outage: ${[...states].join(', ')}; Redis down ${downMs} ms (refresh planned ${planned - downAt} ms after it went down); test wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.serial('the API is down while the sandbox resends notifications: after it restarts, the resend is delivered (AUTHCODE_CREATED, then TOKEN_CANCELED)', async (t) => {
  const started = Date.now();
  const customerId = customer('resend');
  const response = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: RESEND_WALLET, customerId }) });
  const { authState } = (await response.json()) as { authState: string };

  /** Stops the API, does `act` in the wallet, waits until two deliveries of its notification failed, starts the API. */
  const whileApiDown = async (type: string, act: () => Promise<unknown>) => {
    const since = Date.now();
    await stack.stopApi();
    await act();
    const failing = await poll(
      async () => (await notifications(stack.sandbox)).find((n) => n.type === type && n.createdAt >= since - 1000),
      (n) => n !== undefined && n.attempts.filter((a) => !a.acknowledged && a.error !== undefined).length >= 2,
      `two failed ${type} deliveries`,
      30_000,
    );
    t.is(failing!.status, 'PENDING');
    await stack.startApi();
    const delivered = await poll(
      async () => (await notifications(stack.sandbox)).find((n) => n.id === failing!.id),
      (n) => n?.status === 'ACKNOWLEDGED',
      `${type} acknowledged after the API restarted`,
      30_000,
    );
    t.true(delivered!.attempts.length >= 3, `${type}: ${delivered!.attempts.map((a) => (a.acknowledged ? 'ack' : a.error ?? a.httpStatus)).join(', ')}`);
  };

  // The customer approves while the API is down: the only delivery of the authCode is the notification.
  await whileApiDown('AUTHCODE_CREATED', () => adminPost(stack.sandbox, '/authorizations/approve', { authState }));
  await stack.waitForView(RESEND_WALLET, customerId, (v) => v.state === 'ACTIVE', 'ACTIVE');
  t.is(applyTokenCalls(await receivedRequests(stack.sandbox), RESEND_WALLET).filter((c) => c.grantType === 'AUTHORIZATION_CODE').length, 1);
  t.is((await readToken(RESEND_WALLET, customerId)).status, 200);

  // The customer unlinks in the wallet while the API is down: once the resend arrives, the token is gone.
  await whileApiDown('TOKEN_CANCELED', () => adminPost(stack.sandbox, '/tokens/cancel', { authState }));
  await stack.waitForView(RESEND_WALLET, customerId, (v) => v.state === 'CANCELED_BY_WALLET', 'CANCELED_BY_WALLET');
  t.is((await readToken(RESEND_WALLET, customerId)).status, 404, 'the wallet-canceled token is not served');
  t.log(`test wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
