/**
 * The authCode path never strands the customer, and the unsigned redirect cannot override Antom's signed
 * notification (review findings on the earlier code; both environments).
 */
import { deliverAuthCodeUpdate } from '../../../src/workflows/definitions';
import { authorizationScenario } from './harness';

authorizationScenario('a forged redirect (GARBAGE code, the customer\'s authState) before consent: the signed AUTHCODE_CREATED still links the customer', {}, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const authState = customer.response.link!.authState;
  // Anyone can call the redirect route; it carries no signature.
  const forged = await customer.handle.executeUpdate(deliverAuthCodeUpdate, { args: [{ authCode: 'GARBAGE', authState, source: 'redirect' }] });
  t.true(forged.accepted);
  await h.waitFor(customer, (v) => v.lastError?.code === 'INVALID_AUTHCODE', { what: 'the forged code refused by Antom' });
  // The customer approves the consult they were shown: the signed notification brings the genuine code; the genuine
  // redirect arrives too and changes nothing.
  const approved = h.approve(authState);
  await h.sandbox.admin.flushNotifications();
  await h.deliverByRedirect(customer, approved).catch(() => undefined);
  const active = await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE with the signed code' });
  t.is(active.state, 'ACTIVE');
  const applied = h.callsOf('applyToken', 'AUTHORIZATION_CODE').filter((c) => c.outcome === 'ok');
  t.is(applied.length, 1);
  t.is((applied[0]!.input as { authCode: string }).authCode, approved.authCode);
});

authorizationScenario('a code whose exchange never gets a final answer is dead after its minute: a fresh consult at once, not a park', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  h.sandbox.admin.addFault({ endpoint: 'applyToken', times: 1_000, effect: { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  const fresh = await h.waitFor(customer, (v) => v.state === 'AWAITING_AUTH_CODE' && v.linkResult?.authState !== customer.response.link!.authState, { what: 'a new consult' });
  t.not(fresh.linkResult?.authState, customer.response.link!.authState, 'a new URL the customer can use at once');
  t.is(fresh.lastError?.code, 'UNKNOWN_EXCEPTION');
  t.is(h.callsOf('consult').length, 2);
});
