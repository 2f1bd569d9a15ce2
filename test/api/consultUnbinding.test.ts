// issue 15 item 9: Alipay+ consultUnbinding is answered per authorization (the policy sees which authorization the
// token belongs to), signed; an undecidable question gets 503 so Alipay+ asks again.
import test from 'ava';
import pino from 'pino';
import { NotificationIngest, type NotificationIngestDependencies, type UnbindingPolicy } from '../../src/api/notificationIngest';
import { antomKeys, merchantKeys } from '../support/fixtureKeys';
import { CLIENT_ID, signedNotification } from './apiHarness';

const PATH = '/notifications/alipayplus/consultUnbinding';
const unused = (): never => { throw new Error('not used by consultUnbinding'); };

function ingest(allowUnbinding: NotificationIngestDependencies['allowUnbinding'], tokens: Record<string, string> = {}, failLookup = false): NotificationIngest {
  return new NotificationIngest({
    signature: { publicKey: antomKeys.publicKey, clientIds: [], publicPathPrefix: '' },
    alipayPlusResponseSigner: { clientId: CLIENT_ID, privateKey: merchantKeys.privateKey },
    dedupe: { deliverOnce: unused },
    router: { forAuthState: unused, forAccessToken: unused, tokenDigest: unused },
    unrouted: { firstSeen: unused, record: unused },
    tokens: { workflowIdForAccessToken: async (token) => { if (failLookup) throw new Error('redis down'); return tokens[token]; } },
    operations: { deliverAuthCode: unused, walletCanceled: unused },
    metrics: { recordNotification: () => undefined },
    logger: pino({ level: 'silent' }),
    ...(allowUnbinding === undefined ? {} : { allowUnbinding }),
  });
}

async function ask(target: NotificationIngest, accessToken: string) {
  const notification = signedNotification(PATH, { authClientId: 'auth-client-1', accessToken });
  return target.consultUnbinding({ url: PATH, headers: notification.headers, rawBody: notification.body });
}

test('a policy answers per authorization: it sees the workflow the token belongs to, never the token', async (t) => {
  const seen: unknown[] = [];
  const policy: UnbindingPolicy = (authorization) => {
    seen.push(authorization);
    return authorization.workflowId !== 'authorization:GCASH:owes-money';
  };
  const target = ingest(policy, { 'AT-bound-1': 'authorization:GCASH:owes-money', 'AT-bound-2': 'authorization:GCASH:fine' });
  const refused = await ask(target, 'AT-bound-1');
  t.is(refused.statusCode, 200);
  t.is((JSON.parse(refused.body) as { allowUnbinding: string }).allowUnbinding, 'false');
  t.is((JSON.parse((await ask(target, 'AT-bound-2')).body) as { allowUnbinding: string }).allowUnbinding, 'true');
  t.is((JSON.parse((await ask(target, 'AT-unknown')).body) as { allowUnbinding: string }).allowUnbinding, 'true');
  t.deepEqual(seen, [
    { workflowId: 'authorization:GCASH:owes-money', authClientId: 'auth-client-1' },
    { workflowId: 'authorization:GCASH:fine', authClientId: 'auth-client-1' },
    { workflowId: undefined, authClientId: 'auth-client-1' },
  ]);
  t.false(JSON.stringify(seen).includes('AT-bound'), 'the policy never sees a token');
});

test('a boolean answers every authorization alike (default true); an undecidable question gets 503', async (t) => {
  t.is((JSON.parse((await ask(ingest(undefined), 'AT-x')).body) as { allowUnbinding: string }).allowUnbinding, 'true');
  t.is((JSON.parse((await ask(ingest(false), 'AT-x')).body) as { allowUnbinding: string }).allowUnbinding, 'false');
  t.is((await ask(ingest(() => true, {}, true), 'AT-x')).statusCode, 503);
});
