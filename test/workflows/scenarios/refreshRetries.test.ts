/**
 * A refresh that fails does not park for ever: the identical request is retried through the lead window with a capped
 * backoff, NEEDS_ATTENTION is an alert raised while the retries go on, still failing three days before expiry hands
 * over to the customer (REAUTH_REQUIRED), and at expiry the authorization ends TOKEN_EXPIRED, never served after it.
 */
import { parseAuthorizationWorkflowId } from '../../../src/api/walletReturnRoute';
import { DEFAULT_POLICY } from '../../../src/workflows/policy';
import { DAY, HOUR, MINUTE, authorizationScenario, type LinkedCustomer, type ScenarioHarness } from './harness';

async function activate(h: ScenarioHarness, wallet = 'GCASH'): Promise<LinkedCustomer> {
  const customer = await h.link({ wallet });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

authorizationScenario('Antom answers U for two days: the alert is raised, the identical refresh is retried with a capped backoff, then ACTIVE', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const active = await h.view(customer);
  const fault = h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 100_000, effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
  await h.sleep(Date.parse(active.nextRefreshAt!) - (await h.now()) + 2 * HOUR);
  const alert = await h.waitFor(customer, (v) => v.state === 'NEEDS_ATTENTION', { what: 'the alert' });
  t.is(alert.attention?.phase, 'refresh');
  t.is(alert.attention?.code, 'UNKNOWN_EXCEPTION');
  t.truthy(alert.attention?.retrying, 'retrying by itself, no operator needed');
  t.true(Date.parse(alert.attention!.retrying!.giveUpAt) <= Date.parse(active.accessTokenExpiry!) - DEFAULT_POLICY.reauthNoticeMs);
  await h.sleep(2 * DAY);
  h.sandbox.admin.removeFault(fault);
  const recovered = await h.waitFor(customer, (v) => v.state === 'ACTIVE' && v.refreshCount === 1, { stepMs: HOUR, maxVirtualMs: 5 * HOUR, what: 'ACTIVE after the outage' });
  t.is(recovered.attention, undefined);
  const refreshes = h.requests('applyToken').filter((r) => (r.body as { grantType?: string }).grantType === 'REFRESH_TOKEN');
  t.true(refreshes.length >= 10, `${refreshes.length} refresh calls over two days`);
  const exchanges = h.callsOf('applyToken', 'REFRESH_TOKEN').map((c) => c.input as { refreshToken: string; requestId: string });
  t.is(new Set(exchanges.map((e) => `${e.requestId}/${e.refreshToken}`)).size, 1, 'every retry was the identical request');
  // Between rounds the backoff grows to hours and stays capped (Temporal's own retries inside a round are seconds).
  const rounds = h.callsOf('applyToken', 'REFRESH_TOKEN').map((c) => c.at);
  const gaps = rounds.slice(1).map((at, i) => at - rounds[i]!).filter((gap) => gap >= 10 * MINUTE);
  t.true(gaps.length >= 5, `${gaps.length} rounds`);
  t.true(Math.max(...gaps) <= DEFAULT_POLICY.refreshRetryMaximumIntervalMs + DEFAULT_POLICY.refreshBudgetMs, `largest gap ${Math.max(...gaps) / HOUR} h`);
  t.true(Math.max(...gaps) >= 2 * HOUR, 'hours, not minutes');
});

authorizationScenario('a refresh failing for good (INVALID_SIGNATURE): retried until three days before expiry, then REAUTH_REQUIRED, then TOKEN_EXPIRED and never served', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const { wallet, customerId } = parseAuthorizationWorkflowId(customer.workflowId)!;
  const library = h.library();
  const active = await h.view(customer);
  const expiry = Date.parse(active.accessTokenExpiry!);
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 100_000, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_SIGNATURE' } });
  await h.sleep(Date.parse(active.nextRefreshAt!) - (await h.now()) + HOUR);
  t.is((await h.view(customer)).state, 'NEEDS_ATTENTION');
  // The read model tells the truth: the lifecycle table shows the alert, with the next retry as the next action.
  await h.settle();
  const alerting = await h.projection(customer.workflowId);
  t.is(alerting?.state, 'NEEDS_ATTENTION');
  t.true(Date.parse(alerting!.nextRefreshAt!) > (await h.now()) - MINUTE, 'the next retry, not a past refresh time');
  const farFuture = Date.parse('2200-01-01T00:00:00Z');
  t.deepEqual((await library.expiringBefore(farFuture, 10, ['NEEDS_ATTENTION'])).map((m) => m.workflowId), [customer.workflowId]);
  t.deepEqual(await library.expiringBefore(farFuture, 10, ['ACTIVE']), []);
  await h.sleep(expiry - DEFAULT_POLICY.reauthNoticeMs - (await h.now()) + 6 * HOUR);
  const reauth = await h.waitFor(customer, (v) => v.state === 'REAUTH_REQUIRED', { stepMs: HOUR, maxVirtualMs: DAY, what: 'REAUTH_REQUIRED' });
  await h.settle();
  t.is((await h.projection(customer.workflowId))?.state, 'REAUTH_REQUIRED');
  t.is((await h.projection(customer.workflowId))?.nextRefreshAt, undefined);
  t.is(reauth.refreshCount, 0);
  t.true(h.callsOf('applyToken', 'REFRESH_TOKEN').length >= 20, 'retried through the lead window');
  t.truthy(await library.getAccessToken(wallet, customerId), 'still valid: served until it expires');
  await h.sleep(expiry - (await h.now()) + MINUTE);
  t.is((await h.waitFor(customer, (v) => v.state === 'TOKEN_EXPIRED', { what: 'TOKEN_EXPIRED' })).state, 'TOKEN_EXPIRED');
  t.is(await library.getAccessToken(wallet, customerId), undefined);
  t.is(await h.projection(customer.workflowId), undefined);
});

authorizationScenario('a lost refresh answer and a lost journal: the retry meets INVALID_REFRESH_TOKEN, which raises an alert (the first attempt may have succeeded), not REAUTH_REQUIRED', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const active = await h.view(customer);
  h.loseNextSuccessfulResponse((c) => c.name === 'applyToken' && (c.input as { grantType: string }).grantType === 'REFRESH_TOKEN', { andTheJournal: true });
  await h.sleep(Date.parse(active.nextRefreshAt!) - (await h.now()) + HOUR);
  const alert = await h.waitFor(customer, (v) => v.state === 'NEEDS_ATTENTION' || v.state === 'REAUTH_REQUIRED', { what: 'the outcome of the retry' });
  t.is(alert.state, 'NEEDS_ATTENTION');
  t.is(alert.attention?.code, 'INVALID_REFRESH_TOKEN');
  t.is(alert.attention?.reason, 'may-have-succeeded');
  t.truthy(alert.attention?.retrying);
  t.truthy(alert.accessTokenExpiry, 'the old token is still served until it expires');
});
