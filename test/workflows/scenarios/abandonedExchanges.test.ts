/**
 * A token Antom issued that the workflow cannot adopt is revoked, never orphaned (issue 11 §5): an exchange given up
 * without its answer is checked against the applyToken journal, and a token found there is revoked at the wallet.
 */
import { cancelSignal } from '../../../src/workflows/definitions';
import { HOUR, MINUTE, authorizationScenario, type LinkedCustomer, type ScenarioHarness } from './harness';

async function activate(h: ScenarioHarness, wallet: string): Promise<LinkedCustomer> {
  const customer = await h.link({ wallet });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

authorizationScenario('a refresh answered by Antom but lost (journal kept, every retry failing), then the merchant cancels: the token the workflow never saw is revoked too', { notifications: false }, async (t, h) => {
  const customer = await activate(h, 'GCASH');
  const active = await h.view(customer);
  const tokenOf = (c: { result?: unknown } | undefined): string | undefined => (c?.result as { accessToken?: string } | undefined)?.accessToken;
  const linkedToken = tokenOf(h.callsOf('applyToken', 'AUTHORIZATION_CODE').find((c) => c.outcome === 'ok'))!;
  t.true(h.sandbox.admin.isAccessTokenUsable(linkedToken));
  // The refresh's first attempt reaches Antom and is journaled, but its answer never reaches the workflow; every later
  // attempt fails before it can read the journal (Redis unreachable for the activity) until the cancel is done.
  let canceled = false;
  h.loseNextSuccessfulResponse((c) => c.name === 'applyToken' && (c.input as { grantType: string }).grantType === 'REFRESH_TOKEN');
  let refreshAttempts = 0;
  h.onActivityStart(
    (c) => c.name === 'applyToken' && (c.input as { grantType: string }).grantType === 'REFRESH_TOKEN' && ++refreshAttempts === 2,
    () => h.failActivityWhile('applyToken', () => canceled),
  );
  await h.sleep(Date.parse(active.nextRefreshAt!) - (await h.now()) + 2 * HOUR);
  const alert = await h.waitFor(customer, (v) => v.state === 'NEEDS_ATTENTION', { what: 'the refresh alert' });
  t.is(alert.attention?.phase, 'refresh');
  // The answer the workflow never received: the new token exists only at the wallet and in the journal.
  const issued = tokenOf(h.callsOf('applyToken', 'REFRESH_TOKEN').find((c) => tokenOf(c) !== undefined));
  t.truthy(issued);
  t.not(issued, linkedToken);
  t.true(h.sandbox.admin.isAccessTokenUsable(issued!));

  // The cancel (a signal: the DELETE answers at once) reaches a workflow whose refresh round is still retrying: the
  // round ends (its budget), then the revoke; the exchange it gives up is disposed of before the authorization closes.
  await customer.handle.signal(cancelSignal, { reason: 'closing the account' });
  const revoked = await h.waitFor(customer, (v) => v.state === 'REVOKED', { stepMs: 5 * MINUTE, maxVirtualMs: 4 * HOUR, what: 'REVOKED' });
  t.is(revoked.state, 'REVOKED');
  await h.waitFor(customer, () => h.callsOf('disposeExchange').some((c) => c.outcome === 'ok'), { what: 'the disposal' });
  t.is((await customer.handle.result()).state, 'REVOKED');
  canceled = true;
  t.false(h.sandbox.admin.isAccessTokenUsable(issued!), 'the token issued to the abandoned refresh is revoked at the wallet');
  t.false(h.sandbox.admin.isAccessTokenUsable(linkedToken));
  const disposals = h.callsOf('disposeExchange').filter((c) => c.outcome === 'ok');
  t.deepEqual(disposals.map((c) => c.result), [{ tokenFound: true, revoked: true }]);
});

authorizationScenario('an authCode refused by Antom is abandoned: the disposal finds nothing was issued and the customer gets a fresh consult', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, effect: { type: 'result', resultStatus: 'F', resultCode: 'INVALID_AUTHCODE' } });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'AWAITING_AUTH_CODE' && v.linkResult?.authState !== customer.response.link!.authState, { what: 'a fresh consult' });
  await h.waitFor(customer, () => h.callsOf('disposeExchange').some((c) => c.outcome === 'ok'), { what: 'the disposal' });
  t.deepEqual(h.callsOf('disposeExchange').filter((c) => c.outcome === 'ok').map((c) => c.result), [{ tokenFound: false, revoked: false }]);
  t.is(h.requests('revoke').length, 0, 'nothing to revoke');
});
