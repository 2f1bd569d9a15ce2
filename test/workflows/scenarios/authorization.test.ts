/**
 * Getting and keeping the authorization: authCode delivery paths, expiry of the consent, applyToken retries and
 * re-consults, refresh failures, lost responses, systemic errors, idempotent linking, the Alipay+ profile.
 * Real workflow, real activities, real sandbox, real Redis.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  SEARCH_ATTRIBUTES,
  authorizationWorkflowId,
  deliverAuthCodeUpdate,
  operatorRetrySignal,
  type AuthorizationView,
} from '../../../src/workflows/definitions';
import { DAY, HOUR, MINUTE, YEAR, authorizationScenario, type LinkSpec, type LinkedCustomer, type ScenarioHarness } from './harness';

async function activate(h: ScenarioHarness, spec: LinkSpec): Promise<LinkedCustomer> {
  const customer = await h.link(spec);
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

const authCodeApplies = (h: ScenarioHarness) => h.callsOf('applyToken', 'AUTHORIZATION_CODE');

authorizationScenario('authCode by notification only', { deliverNotifications: true }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  t.is(customer.response.state, 'AWAITING_AUTH_CODE');
  t.truthy(customer.response.link?.normalUrl);
  h.approve(customer.response.link!.authState); // the browser never comes back; only the notification arrives
  const view = await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  t.truthy(view.userLoginId);
  t.true(h.notifications.some((n) => n.authorizationNotifyType === 'AUTHCODE_CREATED'));
  t.is(authCodeApplies(h).filter((c) => c.outcome === 'ok').length, 1);
});

authorizationScenario('authCode by redirect only', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const delivered = await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  t.deepEqual({ accepted: delivered.accepted, duplicate: delivered.duplicate }, { accepted: true, duplicate: false });
  const view = await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  t.is(view.state, 'ACTIVE');
  t.is(h.notifications.length, 0);
  t.is(authCodeApplies(h).length, 1);
});

authorizationScenario('authCode by both redirect and notification', { deliverNotifications: true }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const approved = h.approve(customer.response.link!.authState);
  await h.settle(); // the notification arrives first and wins
  const second = await h.deliverByRedirect(customer, approved);
  t.deepEqual({ accepted: second.accepted, duplicate: second.duplicate }, { accepted: false, duplicate: true });
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  // The code is single-use: exactly one exchange, no INVALID_AUTHCODE from a second one.
  t.is(authCodeApplies(h).length, 1);
  t.is(h.requests('applyToken').length, 1);
});

authorizationScenario('authCode with a wrong authState is rejected', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const approved = h.approve(customer.response.link!.authState);
  const authCode = new URL(approved.redirectUrl).searchParams.get('authCode')!;
  const error = await t.throwsAsync(customer.handle.executeUpdate(deliverAuthCodeUpdate, { args: [{ authCode, authState: 'forged-state', source: 'redirect' }] }));
  t.true(error instanceof WorkflowUpdateFailedError);
  t.false(String((error?.cause as Error | undefined)?.message ?? '').includes(authCode), 'the rejection does not echo the code');
  t.is((await h.view(customer)).state, 'AWAITING_AUTH_CODE');
  t.is(authCodeApplies(h).length, 0);
  // The genuine delivery still works.
  await h.deliverByRedirect(customer, approved);
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
});

authorizationScenario('no authCode in 15 min → AUTHORIZATION_EXPIRED', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  await h.sleep(14 * MINUTE);
  t.is((await h.view(customer)).state, 'AWAITING_AUTH_CODE');
  await h.sleep(MINUTE + 1000);
  const result = (await h.client.result(customer.workflowId)) as AuthorizationView;
  t.is(result.state, 'AUTHORIZATION_EXPIRED');
  t.is(h.callsOf('applyToken').length, 0);
  // A new link after expiry starts a fresh authorization with a new authState.
  const again = await h.link({ wallet: 'GCASH', customerId: result.customerId });
  t.not(again.response.link!.authState, customer.response.link!.authState);
});

authorizationScenario('applyToken U×3 then S with identical requests', { notifications: false }, async (t, h) => {
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 3, effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
  const customer = await activate(h, { wallet: 'GCASH' });
  t.is((await h.view(customer)).state, 'ACTIVE');
  const attempts = authCodeApplies(h);
  t.is(attempts.length, 4);
  t.deepEqual(attempts.map((a) => a.outcome), ['failed', 'failed', 'failed', 'ok']);
  for (const a of attempts) t.deepEqual(a.input, attempts[0]!.input);
  const sent = h.requests('applyToken');
  t.is(sent.length, 4);
  for (const r of sent) t.deepEqual(r.body, sent[0]!.body);
  // All within the authCode's minute.
  t.true(attempts[3]!.at - attempts[0]!.at < MINUTE);
});

authorizationScenario('INVALID_AUTHCODE → re-consult', { notifications: false }, async (t, h) => {
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_AUTHCODE' } });
  const customer = await h.link({ wallet: 'GCASH' });
  const firstState = customer.response.link!.authState;
  await h.deliverByRedirect(customer, h.approve(firstState));
  const reconsulted = await h.waitFor(customer, (v) => v.state === 'AWAITING_AUTH_CODE' && v.linkResult?.authState !== firstState, { what: 'a new consult' });
  t.is(reconsulted.lastError?.code, 'INVALID_AUTHCODE');
  t.is(h.callsOf('consult').filter((c) => c.outcome === 'ok').length, 2);
  // The merchant's link call shows the new URL; the customer approves again.
  const relinked = await h.relink(customer);
  t.is(relinked.link?.authState, reconsulted.linkResult!.authState);
  h.authStates.set(relinked.link!.authState, customer.workflowId);
  await h.deliverByRedirect(customer, h.approve(relinked.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
});

authorizationScenario('refresh INVALID_REFRESH_TOKEN → REAUTH_REQUIRED → relink → ACTIVE', { notifications: false }, async (t, h) => {
  const customer = await activate(h, { wallet: 'GCASH' });
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_REFRESH_TOKEN' } });
  // Straight to the refresh: the reauth window is the ten days before expiry, shorter than a coarse polling step.
  await h.sleep(Date.parse((await h.view(customer)).nextRefreshAt!) - (await h.now()) + HOUR);
  const reauth = await h.waitFor(customer, (v) => v.state === 'REAUTH_REQUIRED', { what: 'REAUTH_REQUIRED' });
  t.is(reauth.lastError?.code, 'INVALID_REFRESH_TOKEN');
  t.truthy(reauth.accessTokenExpiry, 'the old token stays until it expires');
  const relink = await h.relink(customer);
  t.false(relink.alreadyLinked);
  t.is(relink.state, 'AWAITING_AUTH_CODE');
  await h.deliverByRedirect(customer, h.approve(relink.link!.authState));
  const active = await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE after relink' });
  t.true(Date.parse(active.accessTokenExpiry!) > Date.parse(reauth.accessTokenExpiry!));
});

authorizationScenario('lost refresh response after rotation → recovered, no reauth', { notifications: false }, async (t, h) => {
  const customer = await activate(h, { wallet: 'GCASH' });
  // The wallet rotates on refresh and rejects the used refresh token (strict sandbox): only the journal can save us.
  h.loseNextSuccessfulResponse((c) => c.name === 'applyToken' && (c.input as { grantType: string }).grantType === 'REFRESH_TOKEN');
  const refreshed = await h.waitFor(customer, (v) => v.refreshCount === 1, { stepMs: 30 * DAY, maxVirtualMs: 3 * YEAR, what: 'one refresh' });
  t.is(refreshed.state, 'ACTIVE');
  const refreshCalls = h.callsOf('applyToken', 'REFRESH_TOKEN');
  t.is(refreshCalls.length, 2, 'the lost attempt and its identical retry');
  t.deepEqual(refreshCalls[1]!.input, refreshCalls[0]!.input);
  t.is(h.requests('applyToken').filter((r) => (r.body as { grantType?: string }).grantType === 'REFRESH_TOKEN').length, 1, 'Antom saw one refresh');
  // The token the workflow now holds is the rotated one and it works.
  const held = (refreshCalls[1]!.result as { accessToken: string }).accessToken;
  t.true(h.sandbox.admin.isAccessTokenUsable(held));
});

authorizationScenario('INVALID_SIGNATURE → NEEDS_ATTENTION keeping the token, retried by itself → the operator fixes the key and retries → ACTIVE', { notifications: false }, async (t, h) => {
  const customer = await activate(h, { wallet: 'GCASH' });
  const token = (authCodeApplies(h)[0]!.result as { accessToken: string }).accessToken;
  const badKey = h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 100_000, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_SIGNATURE' } });
  await h.sleep(Date.parse((await h.view(customer)).nextRefreshAt!) - (await h.now()) + 2 * HOUR);
  const parked = await h.waitFor(customer, (v) => v.state === 'NEEDS_ATTENTION', { what: 'NEEDS_ATTENTION' });
  t.is(parked.attention?.code, 'INVALID_SIGNATURE');
  t.is(parked.attention?.phase, 'refresh');
  t.truthy(parked.attention?.retrying, 'an alert while the workflow keeps retrying');
  t.truthy(parked.accessTokenExpiry, 'token kept');
  t.true(h.sandbox.admin.isAccessTokenUsable(token), 'the customer can still pay');
  const described = await customer.handle.describe();
  t.is(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.state), 'NEEDS_ATTENTION');
  const callsBefore = h.callsOf('applyToken', 'REFRESH_TOKEN').length;
  await h.sleep(DAY);
  t.is((await h.view(customer)).state, 'NEEDS_ATTENTION', 'still failing: still alerting');
  t.true(h.callsOf('applyToken', 'REFRESH_TOKEN').length > callsBefore, 'retried on its own meanwhile');
  h.sandbox.admin.removeFault(badKey);
  await customer.handle.signal(operatorRetrySignal, { note: 'key fixed' });
  const active = await h.waitFor(customer, (v) => v.state === 'ACTIVE' && v.refreshCount === 1, { what: 'ACTIVE after retry' });
  t.is(active.attention, undefined);
});

authorizationScenario('link twice → same workflow and link result', { notifications: false }, async (t, h) => {
  const spec = h.input({ wallet: 'GCASH', customerId: 'twice-1' });
  const first = await h.link(spec);
  const second = await h.link(spec);
  t.is(second.workflowId, first.workflowId);
  t.deepEqual(second.response, first.response);
  t.is(h.callsOf('consult').length, 1);
  // Once active, linking again says so instead of starting over.
  await h.deliverByRedirect(first, h.approve(first.response.link!.authState));
  await h.waitFor(first, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  const third = await h.link(spec);
  t.true(third.response.alreadyLinked);
  t.is(third.response.state, 'ACTIVE');
  t.is(h.callsOf('consult').length, 1);
});

authorizationScenario('Alipay+ profile with authClientId and passThroughInfo', { notifications: false }, async (t, h) => {
  const passThroughInfo = JSON.stringify({ merchantTag: 'scenario' });
  const customer = await activate(h, { wallet: 'GCASH', profile: 'alipayplus', consult: { authClientId: 'SUB_MERCHANT_7', passThroughInfo } });
  t.is(h.requests('prepare').length, 1);
  const apply = h.requests('applyToken')[0]!;
  t.is(apply.platform, 'alipayplus');
  t.like(apply.body as object, { authClientId: 'SUB_MERCHANT_7', passThroughInfo });
  const view = await h.view(customer);
  t.is(view.profile, 'alipayplus');
  // A refresh carries the same identity fields.
  await h.waitFor(customer, (v) => v.refreshCount === 1, { stepMs: 60 * DAY, maxVirtualMs: 3 * YEAR, what: 'one refresh' });
  const refresh = h.requests('applyToken').find((r) => (r.body as { grantType?: string }).grantType === 'REFRESH_TOKEN')!;
  t.like(refresh.body as object, { authClientId: 'SUB_MERCHANT_7' });
});

authorizationScenario('a bad policy override fails the link at once instead of retrying forever', { notifications: false }, async (t, h) => {
  const input = h.input({ wallet: 'GCASH', policy: { authCodeApplyBudgetMs: 5 * MINUTE } });
  await t.throwsAsync(h.link(input));
  const failure = await t.throwsAsync(h.client.result(authorizationWorkflowId(input.wallet, input.customerId)));
  t.true(failure instanceof WorkflowFailedError);
  const cause = failure?.cause;
  t.true(cause instanceof ApplicationFailure && cause.type === 'INVALID_POLICY' && /authCodeApplyBudgetMs/.test(cause.message));
  t.is(h.callsOf('consult').length, 0);
});
