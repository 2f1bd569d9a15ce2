/**
 * A full run of the service — link, consent with redirect and notification, token reads, a refresh, a wallet cancel,
 * a merchant cancel, bad requests — then a scan: no authCode, access token or refresh token (nor its base64) appears
 * in any log line or anywhere in Redis, and none in the workflow history (the payload codec's job).
 */
import test from 'ava';
import { everythingStored } from '../store/redisTestContext';
import { MERCHANT, startService, type Service } from './serviceHarness';

async function linkAndApprove(s: Service, wallet: string, customerId: string): Promise<void> {
  const response = await s.api('/authorizations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wallet, customerId }) });
  const answer = (await response.json()) as { authState: string };
  const approved = s.sandbox.admin.approve({ authState: answer.authState, clientId: MERCHANT });
  await fetch(approved.redirectUrl, { redirect: 'manual' });
  await s.sandbox.admin.flushNotifications();
  await s.waitForState(wallet, customerId, 'ACTIVE');
}

test('after a full run, logs, Redis and workflow history hold no plaintext authCode or token', async (t) => {
  const s = await startService(t);
  await linkAndApprove(s, 'GCASH', 'scan-1');
  const token = (await (await s.api('/authorizations/GCASH/scan-1/token')).json()) as { accessToken: string };
  t.truthy(token.accessToken);

  // A refresh (the sandbox's GCASH rotates the refresh token): new secrets flow through every layer.
  t.is((await s.api('/authorizations/GCASH/scan-1/refresh', { method: 'POST' })).status, 202);
  const deadline = Date.now() + 15_000;
  let refreshed = token;
  while (refreshed.accessToken === token.accessToken && Date.now() < deadline) {
    await s.settle();
    refreshed = (await (await s.api('/authorizations/GCASH/scan-1/token')).json()) as { accessToken: string };
  }
  t.not(refreshed.accessToken, token.accessToken, 'the refresh issued a new access token');

  await linkAndApprove(s, 'TNG', 'scan-2');
  const walletToken = (await (await s.api('/authorizations/TNG/scan-2/token')).json()) as { accessToken: string };
  s.sandbox.admin.cancelFromWallet({ accessToken: walletToken.accessToken }, 'unlinked');
  await s.sandbox.admin.flushNotifications();
  await s.waitForState('TNG', 'scan-2', 'CANCELED_BY_WALLET');

  // Bad input that carries secrets must not leak them either.
  await s.api('/authorizations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"wallet":"${refreshed.accessToken}` });
  await fetch(`${s.url}/authorizations/return?authCode=${encodeURIComponent(refreshed.accessToken)}&authState=nope`, { redirect: 'manual' });
  await s.api('/authorizations/GCASH/scan-1?wait=true', { method: 'DELETE' });
  await s.settle();

  const stored = await everythingStored(s.redis, s.prefix);
  const logs = s.logs.join('');
  t.true(s.secrets.size >= 6, `secrets observed: ${s.secrets.size} (authCodes, access and refresh tokens)`);
  t.true(logs.length > 1000 && stored.length > 100, 'the scan has material to look at');
  for (const secret of s.secrets) {
    const forms = [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
    for (const form of forms) {
      t.false(logs.includes(form), 'a secret appears in the logs');
      t.false(stored.includes(form), 'a secret appears in Redis');
    }
    for (const workflowId of ['authorization:GCASH:scan-1', 'authorization:TNG:scan-2']) {
      t.false(s.env!.runs(workflowId).some((run) => run.containsPlaintext(secret)), 'a secret appears in workflow history');
    }
  }
});
