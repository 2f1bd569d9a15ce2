/**
 * Routing that survives Redis loss (issue 12 §4), on the real dev server (this file's own): the API finds the
 * authorization by a visibility query on AntomAuthState / AntomTokenDigests when Redis does not know the authState or
 * token — after a flush, for the token a refresh just replaced, after an ENCRYPTION_KEYS key is retired (with
 * NOTIFICATION_ROUTING_KEY) — over real HTTP. Workflows are started without a worker: only their visibility records
 * matter here (the workflow's own upserts are covered by test/workflows/scenarios/notificationRouting.test.ts).
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Client } from '@temporalio/client';
import { NOTIFICATION_ACK_BODY } from '../../src/antom/notificationAck';
import { createNotificationRouter } from '../../src/api/notificationRouting';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { RoutingDigester } from '../../src/codec/routingDigest';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { startDevServer, type DevServer } from '../support/devServer';
import { signedNotification, startApiHarness } from './apiHarness';

let server: DevServer;
let client: Client;
test.before(async () => {
  server = await startDevServer();
  client = new Client({ connection: server.env.connection, namespace: server.namespace });
});
test.after.always(() => server?.teardown());

const routingKey = randomBytes(32).toString('base64');
const ok = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };

/** A workflow whose visibility record carries routing attributes (no worker: it stays Running, never executes). */
async function authorizationInVisibility(attributes: { authState?: string; tokenDigests?: string[] }): Promise<string> {
  const workflowId = `authorization:GCASH:visibility-${randomBytes(4).toString('hex')}`;
  await client.workflow.start('authorizationWorkflow', {
    taskQueue: `nobody-polls-${randomBytes(3).toString('hex')}`,
    workflowId,
    typedSearchAttributes: [
      ...(attributes.authState ? [{ key: SEARCH_ATTRIBUTES.authState, value: attributes.authState }] : []),
      ...(attributes.tokenDigests ? [{ key: SEARCH_ATTRIBUTES.tokenDigests, value: attributes.tokenDigests }] : []),
    ],
  });
  // Visibility is eventually consistent: wait until the record is queryable.
  const query = attributes.authState ? `${SEARCH_ATTRIBUTES.authState.name} = '${attributes.authState}'` : `WorkflowId = '${workflowId}'`;
  for (let i = 0; i < 100; i++) {
    for await (const found of client.workflow.list({ query })) if (found.workflowId === workflowId) return workflowId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the visibility record did not appear');
}

test('a Redis miss is answered by visibility over real HTTP: AUTHCODE_CREATED (and the cache is refilled), TOKEN_CANCELED for the previous token', async (t) => {
  const keyRingSpec = `k1:${generateEncryptionKey()}`;
  const h = await startApiHarness(t, {
    router: ({ authStates, tokens, logger }) => createNotificationRouter({
      authStates, tokens, logger, visibility: client.workflow, digester: new RoutingDigester(parseKeyRingSpec(keyRingSpec), routingKey),
    }),
  });
  const origin = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const post = async (body: unknown) => {
    const n = signedNotification('/notifications/antom', body);
    const response = await fetch(`${origin}/notifications/antom`, { method: 'POST', headers: n.headers, body: n.body });
    return { status: response.status, body: await response.text() };
  };

  const authState = `state-${randomBytes(6).toString('hex')}`;
  // As the workflow records them: under the routing key, current and previous token.
  const digester = new RoutingDigester(parseKeyRingSpec(keyRingSpec), routingKey);
  const workflowId = await authorizationInVisibility({ authState, tokenDigests: [digester.digest('AT-current-000000001'), digester.digest('AT-previous-00000001')] });
  t.is(await h.authStates.get(authState), undefined, 'Redis knows nothing (flushed, evicted, never written)');

  const code = await post({ authorizationNotifyType: 'AUTHCODE_CREATED', authState, authCode: 'AC-visibility-0001', result: ok });
  t.is(code.body, NOTIFICATION_ACK_BODY);
  t.deepEqual(h.operations.callsTo('deliverAuthCode'), [[workflowId, { authCode: 'AC-visibility-0001', authState, source: 'notification' }]]);
  t.is(await h.authStates.get(authState), workflowId, 'Redis is a cache in front of visibility: refilled');

  const canceled = await post({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'AT-previous-00000001', reason: 'unbound', result: ok });
  t.is(canceled.body, NOTIFICATION_ACK_BODY);
  t.deepEqual(h.operations.callsTo('walletCanceled'), [[workflowId, 'unbound']], 'the token a refresh just replaced still routes');

  const stranger = await post({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'AT-nobody-0000000001', result: ok });
  t.is(stranger.status, 503, 'no match anywhere: Antom resends');
  t.false(h.logs.join('').includes('AT-previous-00000001'));
});

test('with NOTIFICATION_ROUTING_KEY, digests recorded before an ENCRYPTION_KEYS rotation still route after the old key is retired', async (t) => {
  const oldKey = `old:${generateEncryptionKey()}`;
  const newKey = `new:${generateEncryptionKey()}`;
  const recorded = new RoutingDigester(parseKeyRingSpec(oldKey), routingKey).digest('AT-before-rotation-01');
  const workflowId = await authorizationInVisibility({ tokenDigests: [recorded] });
  const logger = pino({ level: 'silent' });
  const router = createNotificationRouter({
    authStates: { get: async () => undefined },
    tokens: { workflowIdForAccessToken: async () => undefined },
    visibility: client.workflow,
    digester: new RoutingDigester(parseKeyRingSpec(newKey), routingKey), // the old key is gone from the ring
    logger,
  });
  t.deepEqual(await router.forAccessToken('AT-before-rotation-01'), { workflowId, via: 'visibility' });
  // Without the dedicated key the default (ring-derived) digest is lost with the retired key: documented.
  const defaultRouter = createNotificationRouter({
    authStates: { get: async () => undefined },
    tokens: { workflowIdForAccessToken: async () => undefined },
    visibility: client.workflow,
    digester: new RoutingDigester(parseKeyRingSpec(newKey)),
    logger,
  });
  t.is(await defaultRouter.forAccessToken('AT-before-rotation-01'), undefined);
});

test('Redis failing: visibility still routes; visibility failing: the lookup throws (never a "no")', async (t) => {
  const authState = `state-${randomBytes(6).toString('hex')}`;
  const workflowId = await authorizationInVisibility({ authState });
  const logger = pino({ level: 'silent' });
  const brokenRedis = {
    authStates: { get: () => Promise.reject(new Error('Connection is closed.')), put: () => Promise.reject(new Error('Connection is closed.')) },
    tokens: { workflowIdForAccessToken: () => Promise.reject(new Error('Connection is closed.')) },
  };
  const router = createNotificationRouter({ ...brokenRedis, visibility: client.workflow, logger });
  t.deepEqual(await router.forAuthState(authState), { workflowId, via: 'visibility' });
  const unreachable = createNotificationRouter({
    ...brokenRedis,
    visibility: { list: () => { throw new Error('14 UNAVAILABLE: No connection established'); } },
    logger,
  });
  await t.throwsAsync(unreachable.forAuthState(authState), { message: /UNAVAILABLE/ });
  const redisOnly = createNotificationRouter({ ...brokenRedis, logger });
  await t.throwsAsync(redisOnly.forAuthState(authState), { message: /Connection is closed/ });
  t.is(await router.forAuthState("it's'; DROP"), undefined, 'a value outside the routing alphabet is never put in a query');
});
