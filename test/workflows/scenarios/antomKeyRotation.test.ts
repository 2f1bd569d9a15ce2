/**
 * Issue 13 §2: a planned Antom key rotation on both sides, through a whole authorization lifecycle. The merchant
 * registers a second key at Antom and switches its signing key; Antom adds a second key and switches to it; the
 * service's configuration follows (the activities' client is rebuilt from the key set in force, as a redeployed worker
 * would be). Refreshes and notifications carry on; no workflow parks, no customer re-authorizes.
 */
import { AntomClient } from '../../../src/antom/client';
import { AntomUnverifiableResponseError } from '../../../src/antom/errors';
import type { AuthorizationView } from '../../../src/workflows/definitions';
import { antomKeys, antomKeysV2, merchantKeys, merchantKeysV2 } from '../../support/fixtureKeys';
import type { ScenarioClientKeys } from './activitiesWiring';
import { DAY, MERCHANT_CLIENT_ID, YEAR, authorizationScenario, type ScenarioHarness } from './harness';

const v1Configuration: ScenarioClientKeys = {
  signing: { keyVersion: '1', privateKey: merchantKeys.privateKey },
  antomPublicKeys: new Map([['1', antomKeys.publicKey]]),
};

// The configuration in force; each variant starts from v1 (ava runs the serial server variant before the offline one).
let configured: ScenarioClientKeys = v1Configuration;

const states: string[] = [];

async function watchedWait(h: ScenarioHarness, customer: Parameters<ScenarioHarness['waitFor']>[0], matches: (v: AuthorizationView) => boolean, what: string) {
  return h.waitFor(
    customer,
    (view) => {
      states.push(view.state);
      return matches(view);
    },
    { stepMs: 30 * DAY, maxVirtualMs: 3 * YEAR, what },
  );
}

function lastKeyVersion(h: ScenarioHarness, endpoint: string): string | undefined {
  return h.requests(endpoint).at(-1)?.keyVersion;
}

authorizationScenario(
  'Antom key rotation, both sides, through refreshes and a TOKEN_CANCELED: no park, no re-authorization',
  {
    sandbox: { privateKey: antomKeys.privateKey },
    keys: { merchantPublicKeys: { '1': merchantKeys.publicKey }, current: () => configured },
  },
  async (t, h) => {
    configured = v1Configuration;
    states.length = 0;
    const customer = await h.link({ wallet: 'GCASH' });
    const approved = h.approve(customer.response.link!.authState);
    await h.deliverByRedirect(customer, approved);
    await watchedWait(h, customer, (v) => v.state === 'ACTIVE', 'ACTIVE');
    t.is(lastKeyVersion(h, 'applyToken'), '1');

    // 1. The merchant's rotation: the new public key is registered at Antom first, then the service signs with it.
    h.sandbox.admin.setMerchantKeys(MERCHANT_CLIENT_ID, { add: { '2': merchantKeysV2.publicKey } });
    configured = { ...configured, signing: { keyVersion: '2', privateKey: merchantKeysV2.privateKey } };
    await watchedWait(h, customer, (v) => v.refreshCount === 1, 'the first refresh');
    t.is(lastKeyVersion(h, 'applyToken'), '2', 'the refresh was signed with merchant key 2');
    // Once nothing signs with it, the old version is retired at Antom.
    t.deepEqual(h.sandbox.admin.setMerchantKeys(MERCHANT_CLIENT_ID, { retire: ['1'] }).keyVersions, ['2']);

    // 2. Antom's rotation: its new key is configured next to the old (overlap) before Antom signs with it.
    configured = { ...configured, antomPublicKeys: new Map([['1', antomKeys.publicKey], ['2', antomKeysV2.publicKey]]) };
    h.sandbox.admin.addSigningKey('2', antomKeysV2.privateKey);
    h.sandbox.admin.useSigningKey('2');
    // A service that had not added Antom's new key would refuse every answer from now on (the failure the overlap avoids).
    const stale = new AntomClient({ clientId: MERCHANT_CLIENT_ID, privateKey: merchantKeysV2.privateKey, privateKeyVersion: '2', antomPublicKey: antomKeys.publicKey, baseUrl: h.sandbox.url, clock: () => h.nowSync() });
    const refused = await t.throwsAsync(stale.revoke({ accessToken: 'not-a-token' }), { instanceOf: AntomUnverifiableResponseError });
    t.is(refused?.reason, 'unknown-key-version');
    await stale.close();

    await watchedWait(h, customer, (v) => v.refreshCount === 2, 'the second refresh');
    // 3. After the switch the old Antom key is removed from the configuration.
    configured = { ...configured, antomPublicKeys: new Map([['2', antomKeysV2.publicKey]]) };
    const view = await watchedWait(h, customer, (v) => v.refreshCount === 3, 'the third refresh');
    t.is(view.state, 'ACTIVE');

    // Notifications signed with Antom's new key verify: the wallet cancel arrives and ends the authorization.
    const token = (await h.projection(customer.workflowId))!.accessToken;
    h.sandbox.admin.cancelFromWallet({ accessToken: token }, 'customer unbound in the wallet');
    const final = await watchedWait(h, customer, (v) => v.state === 'CANCELED_BY_WALLET', 'CANCELED_BY_WALLET');
    t.is(final.refreshCount, 3);
    t.is(h.unverifiedNotifications, 0, 'every notification verified');
    t.true(h.notifications.some((n) => n.authorizationNotifyType === 'TOKEN_CANCELED'));

    // Nothing parked, nothing asked the customer to re-authorize, no exchange failed, one consult only.
    for (const forbidden of ['NEEDS_ATTENTION', 'REAUTH_REQUIRED', 'FAILED']) t.false(states.includes(forbidden), `never ${forbidden}`);
    t.deepEqual(h.callsOf('applyToken').filter((c) => c.outcome !== 'ok'), [], 'no applyToken attempt failed');
    t.is(h.requests('consult').length, 1, 'no re-consult');
    const versions = h.sandbox.admin.requests().filter((r) => r.endpoint === 'applyToken').map((r) => r.keyVersion);
    t.deepEqual(versions, ['1', '2', '2', '2']);
  },
);
