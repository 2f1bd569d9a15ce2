/**
 * State-change webhooks to the merchant, end to end: the real workflow and activities, a real HTTP receiver that
 * verifies every request with verifyWebhook. The receiver fails, answers slowly, or loses its acknowledgement; the
 * lifecycle never waits for it, every event arrives at least once with a stable id, and a receiver applying the
 * documented rule (dedupe by id, ignore a sequence at or below the last applied) sees each authorization's events
 * exactly once, in order. One receiver serves the file; each scenario routes by its own workflow id.
 */
import test from 'ava';
import { refreshNowSignal, cancelUpdate, type AuthorizationView } from '../../../src/workflows/definitions';
import type { WebhookEvent } from '../../../src/workflows/webhookEvents';
import { applyInOrder, WebhookReceiver, type Answer, type ReceivedWebhook } from '../../webhooks/webhookReceiver';
import { DAY, MINUTE, authorizationScenario, type LinkedCustomer, type ScenarioHarness } from './harness';

const SECRETS = ['whsec-scenario-0000000000000000000000000000', 'whsec-scenario-1111111111111111111111111111'];
/** Each scenario answers for its own authorizations; unknown ones get a 204. */
const behaviours = new Map<string, (received: ReceivedWebhook) => Answer>();
// Signatures are dated by each scenario's virtual clock (years apart between scenarios): the tolerance is unit-tested
// in test/webhooks; here the receiver only checks the signature itself.
const receiver = new WebhookReceiver({
  secrets: [SECRETS[1]!],
  toleranceSec: 100 * 365 * 86_400,
  answer: (received) => behaviours.get(received.event!.authorization.workflowId)?.(received) ?? { status: 204 },
});
test.before(async () => {
  await receiver.start();
});
test.after.always(async () => {
  await receiver.close();
});

const WEBHOOKS = { webhooks: { url: () => receiver.url, secrets: SECRETS, timeoutMs: 300 }, notifications: false } as const;
/** Short backoff so a scenario sees several attempts within minutes of virtual time. */
const POLICY = { webhookRetryInitialIntervalMs: 1000, webhookRetryMaximumIntervalMs: MINUTE, webhookDrainMs: 15 * MINUTE };

const eventsOf = (workflowId: string, list: readonly WebhookEvent[]): WebhookEvent[] => list.filter((e) => e.authorization.workflowId === workflowId);
const arrivals = (workflowId: string): ReceivedWebhook[] => receiver.received.filter((r) => r.event?.authorization.workflowId === workflowId);

/** Links, sets how the receiver answers for this authorization (before its first event), approves: ACTIVE. */
async function activate(h: ScenarioHarness, behaviour: (received: ReceivedWebhook) => Answer = () => ({ status: 204 })): Promise<LinkedCustomer> {
  const customer = await h.link({ wallet: 'GCASH', policy: POLICY });
  behaviours.set(customer.workflowId, behaviour);
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  return customer;
}

/** Resolves once `done` holds (polled in wall time; the scenario's own steps make it happen). */
function eventually(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (done()) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
}

/** Advances virtual time in steps until `done`, so retries and their backoff timers run. */
async function until(h: ScenarioHarness, done: () => boolean, what: string, maxVirtualMs = 30 * MINUTE): Promise<void> {
  for (let waited = 0; !done(); waited += 5000) {
    if (waited > maxVirtualMs) throw new Error(`not reached within ${maxVirtualMs} ms of virtual time: ${what}`);
    await h.settle();
    if (done()) return;
    await h.sleep(5000);
  }
}

authorizationScenario('a receiver that is down: ACTIVE, a refresh and a cancel → REVOKED go on without it; back up, it gets every event once acknowledged, in order', WEBHOOKS, async (t, h) => {
  let down = true;
  const customer = await activate(h, () => (down ? { status: 503 } : { status: 204 }));
  await until(h, () => h.callsOf('deliverWebhook').filter((c) => c.outcome === 'failed').length >= 2, 'two failed deliveries');

  await customer.handle.signal(refreshNowSignal, { reason: 'webhook scenario' });
  await h.waitFor(customer, (v) => v.refreshCount === 1 && v.state === 'ACTIVE', { what: 'REFRESHED' });
  const final = (await customer.handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] })) as AuthorizationView;
  t.is(final.state, 'REVOKED', 'the lifecycle reached its end while the receiver was down');
  t.deepEqual(eventsOf(customer.workflowId, receiver.acknowledged()), [], 'nothing was acknowledged meanwhile');
  t.true(arrivals(customer.workflowId).every((r) => r.event!.sequence === 1), 'only the head was ever sent (in order: nothing overtakes it)');

  down = false;
  await until(h, () => eventsOf(customer.workflowId, receiver.acknowledged()).some((e) => e.type === 'REVOKED'), 'REVOKED acknowledged');
  const acknowledged = eventsOf(customer.workflowId, receiver.acknowledged());
  t.deepEqual(acknowledged.map((e) => [e.type, e.sequence]), [['ACTIVE', 1], ['REFRESHED', 2], ['REVOKED', 3]]);
  t.true(acknowledged.every((e) => e.id === `${e.authorization.authorizationId}:${e.sequence}`));
  t.is(acknowledged[1]!.authorization.refreshCount, 1);
  t.is(acknowledged[2]!.authorization.state, 'REVOKED');
  const result = (await h.client.result(customer.workflowId)) as AuthorizationView;
  t.is(result.state, 'REVOKED', 'the run closes once its last events are delivered');
  // The refresh turned the run over with ACTIVE still undelivered: the outbox went along.
  if (h.env.offline) t.true(h.env.offline.runs(customer.workflowId).length >= 2);
  for (const received of arrivals(customer.workflowId)) {
    for (const secret of h.secrets) t.false(received.rawBody.includes(secret), 'no token or authCode in a webhook body');
  }
});

authorizationScenario('a slow receiver (longer than the attempt timeout) is retried; its late finish is a reordered duplicate the receiver rule drops', WEBHOOKS, async (t, h) => {
  let slowOnce = true;
  const customer = await h.link({ wallet: 'GCASH', policy: POLICY });
  behaviours.set(customer.workflowId, (received) => {
    if (received.event!.sequence === 1 && slowOnce) {
      slowOnce = false;
      // The sender gives up after 300 ms; the receiver still finishes this work, but only after the next event.
      return { status: 200, until: eventually(() => eventsOf(customer.workflowId, receiver.processed).some((e) => e.sequence === 2)) };
    }
    return { status: 204 };
  });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  await customer.handle.signal(refreshNowSignal, { reason: 'webhook scenario' });
  await h.waitFor(customer, (v) => v.refreshCount === 1, { what: 'REFRESHED' });
  await until(h, () => eventsOf(customer.workflowId, receiver.processed).length >= 3, 'the slow attempt finished too');

  const processed = eventsOf(customer.workflowId, receiver.processed);
  t.deepEqual(processed.map((e) => e.sequence), [1, 2, 1], 'the retry and the next event finished before the slow first attempt');
  t.is(processed[0]!.id, processed[2]!.id, 'a redelivery carries the same event id');
  t.deepEqual(applyInOrder(processed).map((e) => e.type), ['ACTIVE', 'REFRESHED']);
  // The slow first attempt gave up (the sender's timeout, or on a server the attempt's own) and was retried: two
  // attempts of event 1. How the first one ended is recorded differently per engine, so count attempts, not failures.
  const firstEventAttempts = h.callsOf('deliverWebhook').filter((c) => {
    const { event } = c.input as { event: WebhookEvent };
    return event.authorization.workflowId === customer.workflowId && event.sequence === 1;
  });
  t.true(firstEventAttempts.length >= 2, `the slow attempt was retried (${firstEventAttempts.length} attempts of event 1)`);
});

authorizationScenario('a lost acknowledgement (the 2xx never reaches the workflow) → the same event again, then the next; dedupe by id keeps one', WEBHOOKS, async (t, h) => {
  h.loseNextSuccessfulResponse((c) => c.name === 'deliverWebhook');
  const customer = await activate(h);
  await customer.handle.signal(refreshNowSignal, { reason: 'webhook scenario' });
  await h.waitFor(customer, (v) => v.refreshCount === 1, { what: 'REFRESHED' });
  await until(h, () => eventsOf(customer.workflowId, receiver.acknowledged()).some((e) => e.type === 'REFRESHED'), 'REFRESHED acknowledged');
  const got = eventsOf(customer.workflowId, receiver.acknowledged());
  const sequences = got.map((e) => e.sequence);
  // At least once: the lost 2xx makes a second ACTIVE before REFRESHED is sent; a run turned over by the refresh may
  // send what it had in flight once more, so further copies are allowed — never a REFRESHED before two ACTIVEs.
  t.true(sequences.indexOf(2) >= 2 && sequences.slice(0, sequences.indexOf(2)).every((n) => n === 1), `arrivals ${sequences.join(',')}`);
  for (const copy of got) t.deepEqual(copy, got.find((e) => e.id === copy.id), 'every copy of an event is the identical event');
  t.deepEqual(applyInOrder(got).map((e) => e.type), ['ACTIVE', 'REFRESHED']);
});

authorizationScenario('a receiver that never comes back: the ended authorization keeps trying for webhookDrainMs, then closes anyway', WEBHOOKS, async (t, h) => {
  const customer = await activate(h, () => ({ status: 500 }));
  const revokedAt = await h.now();
  const final = (await customer.handle.executeUpdate(cancelUpdate, { args: [{}] })) as AuthorizationView;
  t.is(final.state, 'REVOKED');
  await h.sleep(16 * MINUTE);
  const result = (await h.client.result(customer.workflowId)) as AuthorizationView;
  t.is(result.state, 'REVOKED');
  const attempts = arrivals(customer.workflowId);
  t.true(attempts.length >= 3, `${attempts.length} attempts`);
  t.true(attempts.every((r) => r.event!.sequence === 1), 'in order: REVOKED was never sent before ACTIVE was acknowledged');
  const lastAttempt = h.callsOf('deliverWebhook').filter((c) => (c.input as { event: WebhookEvent }).event.authorization.workflowId === customer.workflowId).at(-1)!;
  t.true(lastAttempt.at - revokedAt <= 16 * MINUTE, 'no attempt after the drain');
});

authorizationScenario('without WEBHOOK_URL: one not-configured answer for the authorization, then no webhook activity in later runs', { notifications: false }, async (t, h) => {
  const customer = await h.link({ wallet: 'GCASH' });
  await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
  await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
  await customer.handle.signal(refreshNowSignal, { reason: 'webhook scenario' });
  await h.waitFor(customer, (v) => v.refreshCount === 1, { what: 'REFRESHED' });
  await h.sleep(DAY);
  // The refresh turned the run over: REVOKED is an event of the next run.
  const final = (await h.client.getHandle(customer.workflowId).executeUpdate(cancelUpdate, { args: [{}] })) as AuthorizationView;
  t.is(final.state, 'REVOKED');
  t.is(((await h.client.result(customer.workflowId)) as AuthorizationView).state, 'REVOKED');
  const calls = h.callsOf('deliverWebhook');
  t.is(calls.length, 1, 'ACTIVE asked once; REFRESHED and REVOKED cost nothing');
  t.deepEqual(calls[0]!.result, { outcome: 'not-configured' });
});
