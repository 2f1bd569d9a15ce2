/**
 * The authCode path never strands the customer, and the unsigned redirect cannot override Antom's signed
 * notification (review findings on the earlier code; both environments).
 */
import { deliverAuthCodeUpdate, linkUsedSignal, linkWithOptionsUpdate } from '../../../src/workflows/definitions';
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

authorizationScenario('a link that asks for a new consult gets a fresh URL at once, and the replaced URL\'s code is refused', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const first = customer.response.link!.authState;
  const again = await h.relink(customer);
  t.is(again.link?.authState, first, 'a plain link while the URL is open answers the same URL');
  const renewed = await customer.handle.executeUpdate(linkWithOptionsUpdate, { args: [{ newConsult: true }] });
  t.is(renewed.state, 'AWAITING_AUTH_CODE');
  t.truthy(renewed.link);
  t.not(renewed.link!.authState, first, 'a new consult');
  t.is(h.callsOf('consult').length, 2);
  // The customer approves the old URL after all: its code is not for the current consult.
  const stale = h.approve(first);
  const refused = await t.throwsAsync(h.deliverByRedirect(customer, stale));
  t.regex(String((refused as { cause?: { message?: string } }).cause?.message), /authState does not match/);
  await h.deliverByRedirect(customer, h.approve(renewed.link!.authState));
  const active = await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE with the new consult' });
  t.is(active.state, 'ACTIVE');
});

authorizationScenario('the customer came back without a code (declined): the spent URL is no longer offered and the next link gets a fresh consult', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const first = customer.response.link!.authState;
  // A redirect for some other consult changes nothing.
  await customer.handle.signal(linkUsedSignal, { authState: 'not-this-one' });
  t.is((await h.relink(customer)).link?.authState, first);
  await customer.handle.signal(linkUsedSignal, { authState: first });
  await h.settle();
  const view = await h.view(customer);
  t.is(view.state, 'AWAITING_AUTH_CODE');
  t.is(view.linkResult, undefined, 'the spent URL is not shown');
  const relinked = await h.relink(customer);
  t.truthy(relinked.link);
  t.not(relinked.link!.authState, first);
  t.is(h.callsOf('consult').length, 2);
  await h.deliverByRedirect(customer, h.approve(relinked.link!.authState));
  t.is((await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' })).state, 'ACTIVE');
});
