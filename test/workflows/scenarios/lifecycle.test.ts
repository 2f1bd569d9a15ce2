/**
 * Long-running lifecycle scenarios: wallet policies over simulated years, tokens without refresh, refresh-now,
 * history bounds and secrecy of recorded data. Real workflow, real activities, real sandbox, real Redis.
 */
import { parseAuthorizationWorkflowId } from '../../../src/workflows/authorizationIdentity';
import { DEFAULT_POLICY } from '../../../src/workflows/policy';
import { SEARCH_ATTRIBUTES, cancelUpdate, operatorRetrySignal, refreshNowSignal, type AuthorizationView } from '../../../src/workflows/definitions';
import { DAY, HOUR, MINUTE, YEAR, authorizationScenario, type LinkSpec, type LinkedCustomer, type ScenarioHarness } from './harness';

/** Link, approve in the wallet, deliver by redirect, wait for ACTIVE. */
async function activate(h: ScenarioHarness, wallet: string, extra: Partial<LinkSpec> = {}): Promise<LinkedCustomer> {
  const customer = await h.link({ ...extra, wallet });
  const authState = customer.response.link!.authState;
  const approved = h.approve(authState);
  await h.deliverByRedirect(customer, approved);
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

/** For every refresh call: how far ahead of the then-earlier deadline it happened. */
function refreshLeads(h: ScenarioHarness): number[] {
  const leads: number[] = [];
  let previous: { accessTokenExpiry: string; refreshTokenExpiry?: string } | undefined;
  for (const call of h.callsOf('applyToken').filter((c) => c.outcome === 'ok')) {
    const grant = (call.input as { grantType: string }).grantType;
    if (grant === 'REFRESH_TOKEN' && previous) {
      const deadline = Math.min(Date.parse(previous.accessTokenExpiry), previous.refreshTokenExpiry ? Date.parse(previous.refreshTokenExpiry) : Infinity);
      leads.push(deadline - call.at);
    }
    previous = call.result as typeof previous;
  }
  return leads;
}

/** Advance `totalMs` of virtual time in steps (each step lets timers fire and activities run). */
async function live(h: ScenarioHarness, totalMs: number, stepMs = 90 * DAY): Promise<void> {
  for (let done = 0; done < totalMs; done += stepMs) {
    await h.sleep(Math.min(stepMs, totalMs - done));
    await h.settle();
  }
}

authorizationScenario('happy path per wallet policy: GCASH rotating 2 y over 10 simulated years, refreshes ≥10 days ahead', {}, async (t, h) => {
  const customer = await activate(h, 'GCASH');
  await live(h, 10 * YEAR);
  const view = await h.view(customer);
  t.is(view.state, 'ACTIVE');
  // 10 years of 2-year tokens refreshed 10–12 days early: five refreshes.
  t.is(view.refreshCount, 5);
  const leads = refreshLeads(h);
  t.is(leads.length, 5);
  for (const lead of leads) t.true(lead >= 10 * DAY && lead <= 12 * DAY + MINUTE, `refresh ${lead / DAY} days ahead`);
  // Rotation: each refresh used the refresh token of the previous answer.
  const refreshes = h.callsOf('applyToken', 'REFRESH_TOKEN').filter((c) => c.outcome === 'ok');
  const answers = h.callsOf('applyToken').filter((c) => c.outcome === 'ok').map((c) => (c.result as { refreshToken: string }).refreshToken);
  refreshes.forEach((call, i) => t.is((call.input as { refreshToken: string }).refreshToken, answers[i]!));
  // The token the workflow holds works at the wallet.
  const usable = h.sandbox.admin.tokens().filter((g) => g.status === 'ACTIVE');
  t.is(usable.length, 1);
});

authorizationScenario('happy path per wallet policy: TNG 2 y / 2.5 y non-rotating — refreshes ≥10 days ahead, then reauth before the access token ends', {}, async (t, h) => {
  const customer = await activate(h, 'TNG');
  const refreshed = await h.waitFor(customer, (v) => v.refreshCount === 2, { stepMs: 30 * DAY, maxVirtualMs: 3 * YEAR, what: 'two refreshes' });
  // First refresh before the access expiry, second before the (fixed) refresh-token expiry; a third would buy days,
  // so the next step planned is the reauthorization notice.
  t.is(refreshed.nextAction, 'reauth');
  await h.sleep(Date.parse(refreshed.nextRefreshAt!) - (await h.now()) + MINUTE);
  const view = await h.waitFor(customer, (v) => v.state === 'REAUTH_REQUIRED', { what: 'REAUTH_REQUIRED' });
  t.is(view.refreshCount, 2);
  const leads = refreshLeads(h);
  t.is(leads.length, 2);
  for (const lead of leads) t.true(lead >= 10 * DAY, `refresh ${lead / DAY} days ahead`);
  const expiry = Date.parse(view.accessTokenExpiry!);
  t.true(expiry - (await h.now()) >= 10 * DAY - 2 * MINUTE, 'reauth raised ≥10 days before the access token ends');
  await h.sleep(expiry - (await h.now()) + MINUTE);
  t.is((await h.waitFor(customer, (v) => v.state === 'TOKEN_EXPIRED', { what: 'TOKEN_EXPIRED' })).refreshCount, 2);
});

authorizationScenario('happy path per wallet policy: DANA 10 y — one refresh in 10 years, ≥10 days ahead', {}, async (t, h) => {
  const customer = await activate(h, 'DANA');
  await live(h, 10 * YEAR + 30 * DAY, 365 * DAY);
  const view = await h.view(customer);
  t.is(view.state, 'ACTIVE');
  t.is(view.refreshCount, 1);
  const [lead] = refreshLeads(h);
  t.true(lead! >= 10 * DAY && lead! <= 12 * DAY + MINUTE);
});

authorizationScenario('long-lived token without refreshToken → no refresh, REAUTH_REQUIRED ahead of expiry', {}, async (t, h) => {
  // ALIPAY_HK: every token ends 2038-01-19, no refresh token.
  const customer = await activate(h, 'ALIPAY_HK');
  const active = await h.view(customer);
  t.is(active.nextAction, 'reauth');
  const expiry = Date.parse(active.accessTokenExpiry!);
  t.true(expiry - Date.parse(active.nextRefreshAt!) >= 10 * DAY);
  // Sleep to just past the planned notice (years away), then expect the state change.
  await h.sleep(Date.parse(active.nextRefreshAt!) - (await h.now()) + MINUTE);
  const reauth = await h.waitFor(customer, (v) => v.state === 'REAUTH_REQUIRED', { what: 'REAUTH_REQUIRED' });
  t.true(expiry - (await h.now()) > 0, 'raised before the token expired');
  t.is(reauth.refreshCount, 0);
  t.is(h.callsOf('applyToken', 'REFRESH_TOKEN').length, 0);
  // Nobody relinked: the token runs out and the authorization ends.
  await h.sleep(expiry - (await h.now()) + MINUTE);
  const ended = await h.waitFor(customer, (v) => v.state === 'TOKEN_EXPIRED', { what: 'TOKEN_EXPIRED' });
  t.is(ended.state, 'TOKEN_EXPIRED');
});

authorizationScenario('refresh-now', {}, async (t, h) => {
  const customer = await activate(h, 'GCASH');
  const before = await h.view(customer);
  await h.sleep(3 * DAY);
  await customer.handle.signal(refreshNowSignal, { reason: 'operator test' });
  const after = await h.waitFor(customer, (v) => v.refreshCount === 1 && v.state === 'ACTIVE', { what: 'one refresh' });
  t.true(Date.parse(after.accessTokenExpiry!) > Date.parse(before.accessTokenExpiry!), 'a new, later-expiring token');
  t.is(h.callsOf('applyToken', 'REFRESH_TOKEN').filter((c) => c.outcome === 'ok').length, 1);
});

authorizationScenario('history per run bounded across 10 simulated years', {}, async (t, h) => {
  const customer = await activate(h, 'GCASH');
  await live(h, 10 * YEAR);
  t.is((await h.view(customer)).refreshCount, 5);
  const runs = h.env.offline?.runs(customer.workflowId) ?? [];
  if (!h.env.offline) {
    t.pass('history sizes are measured offline');
    return;
  }
  // A run ends at each refresh and, while asleep, at least every DEFAULT_POLICY.maxRunMs (90 days).
  for (const run of runs.slice(0, -1)) {
    t.true(run.closeTimeMs! - run.startTimeMs <= DEFAULT_POLICY.maxRunMs, `a run lasted ${(run.closeTimeMs! - run.startTimeMs) / DAY} days`);
  }
  t.true(runs.length >= Math.floor((10 * YEAR) / DEFAULT_POLICY.maxRunMs), `${runs.length} runs`);
  const laterRuns = runs.slice(1, -1);
  for (const run of laterRuns) t.true(run.historyLength <= 25, `run history ${run.historyLength} events`);
  t.true(runs[0]!.historyLength <= 60, `first run ${runs[0]!.historyLength} events`);
  const total = runs.reduce((sum, run) => sum + run.historyLength, 0);
  t.log(`${runs.length} runs over 10 years, ${total} events in all (${Math.round(total / 10)} per year); first run ${runs[0]!.historyLength}`);
});

authorizationScenario('no plaintext token in any recorded payload, Redis value or log line', {}, async (t, h) => {
  const customer = await activate(h, 'GCASH');
  await live(h, 4 * YEAR, 180 * DAY);
  t.is((await h.view(customer)).refreshCount, 2);
  const described = await customer.handle.describe();
  t.is(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.state), 'ACTIVE');
  t.true(h.secrets.size >= 7, 'authCode + 3 access tokens + 3 refresh tokens seen');
  const redisValues = await h.redisValues();
  t.true(redisValues.length > 0, 'the projection exists in Redis');
  for (const secret of h.secrets) {
    for (const run of h.env.offline?.runs(customer.workflowId) ?? []) t.false(run.containsPlaintext(secret), 'history payload');
    t.false(redisValues.some((v) => v.includes(secret)), 'Redis value');
    t.false(h.logLines.some((line) => line.includes(secret)), 'log line');
  }
  // The query (public view) never carries tokens either.
  const view: AuthorizationView = await h.view(customer);
  const text = JSON.stringify(view);
  for (const secret of h.secrets) t.false(text.includes(secret));
});

authorizationScenario('every scenario passes the determinism replay', {}, async (t, h) => {
  // Every scenario in these files ends with a replay of all its recorded runs (harness). This one walks the widest
  // path in a single authorization — consult, authCode, refresh + continue-as-new, a park and operator retry, a failed
  // refresh → relink, cancel → revoke — and replays it explicitly, run by run.
  const customer = await activate(h, 'GCASH');
  const missingKey = h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 100_000, effect: { type: 'result', resultStatus: 'F', resultCode: 'KEY_NOT_FOUND' } });
  await h.sleep(Date.parse((await h.view(customer)).nextRefreshAt!) - (await h.now()) + 2 * HOUR);
  await h.waitFor(customer, (v) => v.state === 'NEEDS_ATTENTION', { what: 'NEEDS_ATTENTION' });
  h.sandbox.admin.removeFault(missingKey);
  await customer.handle.signal(operatorRetrySignal, {});
  await h.waitFor(customer, (v) => v.state === 'ACTIVE' && v.refreshCount === 1, { what: 'ACTIVE after retry' });
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_REFRESH_TOKEN' } });
  await h.waitFor(customer, (v) => v.state === 'REAUTH_REQUIRED', { stepMs: 60 * DAY, maxVirtualMs: 3 * YEAR, what: 'REAUTH_REQUIRED' });
  const relink = await h.relink(customer);
  await h.deliverByRedirect(customer, h.approve(relink.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE after relink' });
  const final = await customer.handle.executeUpdate(cancelUpdate, { args: [{}] });
  t.is(final.state, 'REVOKED');
  if (!h.env.offline) {
    t.pass('replay is checked offline');
    return;
  }
  const runs = h.env.offline.runs(customer.workflowId);
  t.true(runs.length >= 2, `${runs.length} runs`);
  await t.notThrowsAsync(h.env.offline.assertDeterministic(customer.workflowId));
});

authorizationScenario('a backend that links its customer every day for three simulated years is never refused, and adds no updates while nothing changes', { notifications: false }, async (t, h) => {
  const customer = await activate(h, 'GCASH');
  const { wallet, customerId } = parseAuthorizationWorkflowId(customer.workflowId)!;
  const library = h.library();
  const spec = h.input({ wallet, customerId });
  const first = await library.link(spec);
  t.true(first.alreadyLinked);
  for (let day = 0; day < 3 * 365; day++) {
    const answer = await library.link(spec);
    if (answer.workflowId !== customer.workflowId || (answer.state !== 'ACTIVE' && answer.state !== 'REFRESHING')) return t.fail(`day ${day}: ${JSON.stringify(answer)}`);
    await h.sleep(DAY);
  }
  const view = await h.view(customer);
  t.is(view.state, 'ACTIVE');
  t.true(view.refreshCount >= 1, 'refreshed meanwhile');
  if (h.env.offline) {
    const updates = h.env.offline.runs(customer.workflowId).flatMap((run) => run.events).filter((e) => e.type.startsWith('WorkflowExecutionUpdate'));
    t.true(updates.length <= 4, `${updates.length} update events in three years (the activation's own link and authCode only)`);
  }
});
