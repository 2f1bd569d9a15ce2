/**
 * The workflow records what notification routing needs where Temporal keeps it (issue 12 §4): AntomAuthState while
 * consulting (and the accepted one afterwards), AntomTokenDigests with the current and the previous token's routing
 * digest after a refresh — keyed digests, never a token.
 */
import { RoutingDigester } from '../../../src/codec/routingDigest';
import { SEARCH_ATTRIBUTES, refreshNowSignal } from '../../../src/workflows/definitions';
import { DAY, SCENARIO_KEY_RING, authorizationScenario } from './harness';

authorizationScenario('routing attributes: authState while consulting and after; current + previous token digests after a refresh', {}, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  const authState = customer.response.link!.authState;
  const attributes = async () => (await customer.handle.describe()).typedSearchAttributes;
  t.is((await attributes()).get(SEARCH_ATTRIBUTES.authState), authState);
  t.is((await attributes()).get(SEARCH_ATTRIBUTES.tokenDigests), undefined);

  await h.deliverByRedirect(customer, h.approve(authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  const digester = new RoutingDigester(SCENARIO_KEY_RING);
  const issued = () => h.callsOf('applyToken').filter((c) => c.outcome === 'ok').map((c) => (c.result as { accessToken: string }).accessToken);
  const [first] = issued();
  t.is((await attributes()).get(SEARCH_ATTRIBUTES.authState), authState, 'kept once the code is accepted');
  t.deepEqual((await attributes()).get(SEARCH_ATTRIBUTES.tokenDigests), [digester.digest(first!)]);

  for (let refreshes = 1; refreshes <= 2; refreshes++) {
    await h.sleep(DAY);
    await customer.handle.signal(refreshNowSignal, { reason: 'routing test' });
    await h.waitFor(customer, (v) => v.refreshCount === refreshes && v.state === 'ACTIVE', { what: `refresh ${refreshes}` });
  }
  const tokens = issued();
  t.is(tokens.length, 3);
  t.deepEqual((await attributes()).get(SEARCH_ATTRIBUTES.tokenDigests), [digester.digest(tokens[2]!), digester.digest(tokens[1]!)], 'current and previous only');
  const published = JSON.stringify((await customer.handle.describe()).searchAttributes);
  for (const token of tokens) t.false(published.includes(token), 'no token in visibility');
});
