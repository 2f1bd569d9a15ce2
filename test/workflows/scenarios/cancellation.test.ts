/**
 * Ending an authorization: merchant cancel (update or Temporal cancellation) revokes exactly once and removes the
 * projection, also when the cancel races an in-flight applyToken; a wallet-side cancel never calls revoke.
 * Real workflow, real activities, real sandbox, real Redis.
 */
import { redisKeys } from '../../../src/store/redisKeys';
import { TokenProjectionStore } from '../../../src/store/tokenProjection';
import type { ProjectTokenInput } from '../../../src/workflows/activityContract';
import { cancelSignal, cancelUpdate, linkUpdate, type AuthorizationView } from '../../../src/workflows/definitions';
import { DAY, SCENARIO_KEY_RING, authorizationScenario, type LinkedCustomer, type ScenarioHarness } from './harness';

async function activate(h: ScenarioHarness, wallet = 'GCASH'): Promise<LinkedCustomer> {
  const customer = await h.link({ wallet });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

const heldToken = (h: ScenarioHarness): string =>
  (h.callsOf('applyToken').filter((c) => c.outcome === 'ok').at(-1)!.result as { accessToken: string }).accessToken;


authorizationScenario('cancel while sleeping → one revoke → REVOKED, projection gone', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const token = heldToken(h);
  t.is((await h.projection(customer.workflowId))?.accessToken, token, 'projected while active');
  await h.sleep(40 * DAY);
  const final = await customer.handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer closed the account' }] });
  t.is(final.state, 'REVOKED');
  t.is(h.requests('revoke').length, 1);
  t.false(h.sandbox.admin.isAccessTokenUsable(token));
  t.is(await h.projection(customer.workflowId), undefined, 'projection gone');
  const result = (await h.client.result(customer.workflowId)) as AuthorizationView;
  t.is(result.state, 'REVOKED');

  // A reproject's projectToken still in flight when the removal ran (same input as the last projection) lands late.
  const late = h.callsOf('projectToken').at(-1)!.input as ProjectTokenInput;
  const store = new TokenProjectionStore(h.redis, { keyRing: SCENARIO_KEY_RING, keys: redisKeys(h.keyPrefix) });
  t.is(await store.put({ ...late, accessToken: late.tokens.accessToken, accessTokenExpiry: late.tokens.accessTokenExpiry, updatedAt: new Date().toISOString() }), 'stale');
  t.is(await h.projection(customer.workflowId), undefined, 'the revoked token stays out of the payment path');
});

authorizationScenario('cancel during applyToken → token revoked', { notifications: false }, async (t, h) => {
  // The exchange takes a while at the wallet; the merchant cancels meanwhile (Temporal cancellation, as from the UI).
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1, delayMs: 1500 });
  const customer = await h.link({ wallet: 'GCASH' });
  let cancelledAt = 0;
  let cancelling: Promise<unknown> | undefined;
  // The cancel is sent the moment the exchange starts; the wallet then takes 1.5 s to answer.
  h.onActivityStart((c) => c.name === 'applyToken', () => {
    cancelledAt = Date.now();
    cancelling = customer.handle.cancel();
  });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.settle();
  await cancelling;
  const final = await h.waitFor(customer, (v) => v.state === 'REVOKED', { what: 'REVOKED' });
  t.is(final.state, 'REVOKED');
  const applied = h.callsOf('applyToken').filter((c) => c.outcome === 'ok');
  t.is(applied.length, 1, 'the exchange completed');
  t.true(applied[0]!.startedWallMs <= cancelledAt && applied[0]!.endedWallMs! > cancelledAt, 'the cancel arrived while applyToken was in flight');
  const token = (applied[0]!.result as { accessToken: string }).accessToken;
  t.is(h.requests('revoke').length, 1);
  t.false(h.sandbox.admin.isAccessTokenUsable(token), 'no orphan token at the wallet');
  t.is(await h.projection(customer.workflowId), undefined, 'projection gone');
});

authorizationScenario('TOKEN_CANCELED → no revoke', { deliverNotifications: true }, async (t, h) => {
  const customer = await activate(h);
  const token = heldToken(h);
  await h.sleep(10 * DAY);
  h.sandbox.admin.cancelFromWallet({ accessToken: token }, 'customer unbound in the wallet');
  const final = await h.waitFor(customer, (v) => v.state === 'CANCELED_BY_WALLET', { what: 'CANCELED_BY_WALLET' });
  t.is(final.state, 'CANCELED_BY_WALLET');
  t.is(h.requests('revoke').length, 0);
  t.is(h.callsOf('revoke').length, 0);
  t.is(await h.projection(customer.workflowId), undefined, 'projection gone');
});

authorizationScenario('a Temporal cancel request (the UI Cancel button) while a cancel update waits for the revoke: both end REVOKED, a link still answers', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const token = heldToken(h);
  // The wallet takes 1.5 s to answer the revoke, so both requests meet it in flight.
  h.sandbox.admin.addFault({ endpoint: 'revoke', times: 1, delayMs: 1500 });
  let revokeStarted!: () => void;
  const revoking = new Promise<void>((resolve) => (revokeStarted = resolve));
  h.onActivityStart((c) => c.name === 'revoke', () => revokeStarted());
  const canceling = customer.handle.executeUpdate(cancelUpdate, { args: [{ reason: 'merchant' }] });
  await Promise.race([revoking, h.settle().then(() => revoking)]);
  // The server cancels the root scope, where update handlers run: before the fix, both updates failed as cancelled.
  await customer.handle.cancel();
  const linkDuringRevoke = await customer.handle.executeUpdate(linkUpdate);
  t.true(['REVOKING', 'REVOKED'].includes(linkDuringRevoke.state), linkDuringRevoke.state);
  t.false(linkDuringRevoke.alreadyLinked, 'a token being revoked is not reported as linked');
  t.is((await canceling).state, 'REVOKED');
  t.is(((await h.client.result(customer.workflowId)) as AuthorizationView).state, 'REVOKED');
  t.is(h.requests('revoke').length, 1, 'one revoke for the two cancels');
  t.false(h.sandbox.admin.isAccessTokenUsable(token));
  t.is(await h.projection(customer.workflowId), undefined, 'projection gone');
});

authorizationScenario('the cancel signal (Temporal UI "Send signal", `temporal workflow signal --name cancel`) → one revoke → REVOKED', { notifications: false }, async (t, h) => {
  const customer = await activate(h);
  const token = heldToken(h);
  await customer.handle.signal(cancelSignal, { reason: 'operator, from the UI' });
  const final = await h.waitFor(customer, (v) => v.state === 'REVOKED', { what: 'REVOKED' });
  t.is(final.state, 'REVOKED');
  t.is(h.requests('revoke').length, 1);
  t.false(h.sandbox.admin.isAccessTokenUsable(token));
  t.is(await h.projection(customer.workflowId), undefined);
  // Without input, as the UI sends it by default.
  const other = await activate(h, 'TNG');
  await other.handle.signal(cancelSignal);
  t.is((await h.waitFor(other, (v) => v.state === 'REVOKED', { what: 'REVOKED' })).state, 'REVOKED');
});
