/** The sender and the deliverWebhook activity against a real HTTP receiver: 2xx acknowledges, anything else fails the attempt. */
import test from 'ava';
import { Redis } from 'ioredis';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { createDeliverWebhookActivity, type WebhookAttemptEvent } from '../../src/activities/webhookActivity';
import type { ActivityDependencies } from '../../src/activities/dependencies';
import { redisKeys } from '../../src/store/redisKeys';
import { WebhookBacklog, webhookBacklogCounter } from '../../src/store/webhookBacklog';
import { WebhookDeliveryError, WebhookSender } from '../../src/webhooks/webhookSender';
import type { WebhookEvent } from '../../src/workflows/webhookEvents';
import { WebhookReceiver } from './webhookReceiver';

const SECRETS = ['whsec-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'whsec-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'];
const event = (sequence: number): WebhookEvent => ({
  id: `run-1:${sequence}`,
  type: 'REFRESHED',
  sequence,
  occurredAt: '2026-01-01T00:00:00.000Z',
  authorization: { workflowId: 'authorization:GCASH:c1', authorizationId: 'run-1', wallet: 'GCASH', customerId: 'c1', state: 'ACTIVE', refreshCount: 1 },
});

test('a 2xx acknowledges; the receiver verifies the signature with either rotated secret; id header set', async (t) => {
  for (const secrets of [[SECRETS[0]!], [SECRETS[1]!]]) {
    const receiver = await new WebhookReceiver({ secrets }).start();
    const sender = new WebhookSender({ url: receiver.url, secrets: SECRETS, timeoutMs: 2000 });
    t.deepEqual(await sender.send(event(1)), { status: 204 });
    t.deepEqual(receiver.acknowledged(), [event(1)]);
    t.true(receiver.received[0]!.header!.startsWith('t='));
    await sender.close();
    await receiver.close();
  }
});

test('non-2xx, a slow answer past the timeout, a dropped connection and a closed port each fail the attempt', async (t) => {
  const receiver = await new WebhookReceiver({ secrets: SECRETS }).start();
  const sender = new WebhookSender({ url: receiver.url, secrets: SECRETS, timeoutMs: 300 });
  for (const [answer, kind] of [[{ status: 500 }, 'http-status'], [{ status: 302 }, 'http-status'], [{ status: 200, delayMs: 1500 }, 'timeout'], ['destroy', 'connection']] as const) {
    receiver.answer = () => answer;
    const error = await t.throwsAsync(sender.send(event(1)), { instanceOf: WebhookDeliveryError });
    t.is(error.kind, kind, JSON.stringify(answer));
  }
  await sender.close();
  await receiver.close();
  const closed = new WebhookSender({ url: receiver.url, secrets: SECRETS, timeoutMs: 300 });
  t.is((await t.throwsAsync(closed.send(event(1)), { instanceOf: WebhookDeliveryError })).kind, 'connection');
  await closed.close();
});

test('deliverWebhook: not-configured without a sender; a failing receiver fails retryably and shows in the shared backlog until delivered', async (t) => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keyPrefix = `test:webhooks:${randomUUID()}:`;
  const keys = redisKeys(keyPrefix);
  const attempts: WebhookAttemptEvent[] = [];
  const receiver = await new WebhookReceiver({ secrets: SECRETS, answer: () => ({ status: 503 }) }).start();
  const sender = new WebhookSender({ url: receiver.url, secrets: SECRETS, timeoutMs: 1000 });
  try {
    const base = { antom: {}, logger: pino({ level: 'silent' }), store: { webhookBacklog: new WebhookBacklog(redis, { keys }) } } as unknown as ActivityDependencies;
    t.deepEqual(await createDeliverWebhookActivity(base)({ event: event(1), backlog: 1 }), { outcome: 'not-configured' });
    t.is(receiver.received.length, 0);

    const deliver = createDeliverWebhookActivity({ ...base, webhooks: { sender, onAttempt: (e) => attempts.push(e) } });
    const failure = await t.throwsAsync(deliver({ event: event(1), backlog: 3 }));
    t.is((failure as { type?: string }).type, 'WEBHOOK_DELIVERY_FAILED');
    t.false((failure as { nonRetryable?: boolean }).nonRetryable === true, 'always retryable');
    t.is(await webhookBacklogCounter(redis, keyPrefix)(), 3, 'three events wait behind the failing delivery');

    receiver.answer = () => ({ status: 200 });
    t.deepEqual(await deliver({ event: event(1), backlog: 3 }), { outcome: 'delivered', status: 200 });
    t.is(await webhookBacklogCounter(redis, keyPrefix)(), 0);
    t.deepEqual(attempts.map((a) => a.outcome), ['http-status', 'delivered']);
  } finally {
    await sender.close();
    await receiver.close();
    await redis.del(keys.webhookBacklog());
    redis.disconnect();
  }
});

test('the backlog ignores and prunes entries no attempt refreshed within the staleness window', async (t) => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = redisKeys(`test:webhooks:${randomUUID()}:`);
  let now = 1_000_000;
  const backlog = new WebhookBacklog(redis, { keys, staleAfterMs: 1000, clock: () => now });
  try {
    await backlog.failing('wf-a', 2);
    now += 500;
    await backlog.failing('wf-b', 5);
    t.deepEqual(await backlog.pending(), { events: 7, authorizations: 2 });
    now += 600;
    t.deepEqual(await backlog.pending(), { events: 5, authorizations: 1 }, 'wf-a went stale (its run closed)');
    t.deepEqual(Object.keys(await redis.hgetall(keys.webhookBacklog())), ['wf-b'], 'and was pruned');
  } finally {
    await redis.del(keys.webhookBacklog());
    redis.disconnect();
  }
});
