/** The webhook outbox and the event a state change makes: pure decisions of the workflow's webhooks. */
import test from 'ava';
import fc from 'fast-check';
import { AUTHORIZATION_STATES, type AuthorizationView } from '../../src/workflows/definitions';
import { WEBHOOK_EVENT_TYPES, webhookEventTypeFor, webhookViewOf, type WebhookAuthorizationView } from '../../src/workflows/webhookEvents';
import { EMPTY_OUTBOX, acknowledgeWebhookEvent, appendWebhookEvent, shouldEmit, turnWebhooksOff, type WebhookOutbox } from '../../src/workflows/webhookOutbox';

const view = (state: AuthorizationView['state'] = 'ACTIVE'): WebhookAuthorizationView => ({
  workflowId: 'authorization:GCASH:c1',
  authorizationId: 'run-1',
  wallet: 'GCASH',
  customerId: 'c1',
  state,
  refreshCount: 0,
});
const append = (outbox: WebhookOutbox, type: (typeof WEBHOOK_EVENT_TYPES)[number], limit = 50) =>
  appendWebhookEvent(outbox, { type, occurredAt: '2026-01-01T00:00:00.000Z', authorization: view() }, limit);

test('events get consecutive sequences and ids `${authorizationId}:${sequence}`; acknowledging the head removes it', (t) => {
  let outbox = append(append(append(EMPTY_OUTBOX, 'ACTIVE'), 'REFRESHED'), 'REVOKED');
  t.deepEqual(outbox.events.map((e) => [e.id, e.sequence, e.type]), [['run-1:1', 1, 'ACTIVE'], ['run-1:2', 2, 'REFRESHED'], ['run-1:3', 3, 'REVOKED']]);
  t.is(acknowledgeWebhookEvent(outbox, 'run-1:2'), outbox, 'only the head can be acknowledged (in order)');
  outbox = acknowledgeWebhookEvent(outbox, 'run-1:1');
  t.deepEqual(outbox.events.map((e) => e.id), ['run-1:2', 'run-1:3']);
  t.is(append(outbox, 'ACTIVE').events.at(-1)!.sequence, 4, 'sequences never restart');
  t.is(EMPTY_OUTBOX.events.length, 0, 'the shared empty outbox is never mutated');
});

test('at the bound the oldest waiting event goes, never the head in flight; the drop is counted and leaves a gap', (t) => {
  let outbox = EMPTY_OUTBOX;
  for (let i = 0; i < 7; i += 1) outbox = append(outbox, 'NEEDS_ATTENTION', 3);
  t.deepEqual(outbox.events.map((e) => e.sequence), [1, 6, 7]);
  t.is(outbox.dropped, 4);
  t.deepEqual(append(EMPTY_OUTBOX, 'ACTIVE', 1).events.map((e) => e.sequence), [1]);
  t.deepEqual(append(append(EMPTY_OUTBOX, 'ACTIVE', 1), 'REVOKED', 1).events.map((e) => e.sequence), [2], 'a bound of 1 keeps the newest');
});

test('property: the outbox never exceeds its bound, stays in sequence order, and the head survives while the bound allows', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.boolean(), { maxLength: 60 }), (limit, ops) => {
      let outbox = EMPTY_OUTBOX;
      for (const isAppend of ops) {
        const head = outbox.events[0];
        outbox = isAppend ? append(outbox, 'REFRESHED', limit) : outbox.events[0] ? acknowledgeWebhookEvent(outbox, outbox.events[0].id) : outbox;
        if (outbox.events.length > limit) return false;
        const sequences = outbox.events.map((e) => e.sequence);
        if (sequences.some((s, i) => i > 0 && s <= sequences[i - 1]!)) return false;
        if (isAppend && head && limit > 1 && outbox.events[0]!.id !== head.id) return false;
      }
      return outbox.nextSequence === ops.filter(Boolean).length + 1;
    }),
  );
  t.pass();
});

test('not configured: the outbox turns off and keeps nothing; only an ACTIVE (a link) asks again', (t) => {
  const off = turnWebhooksOff(append(append(EMPTY_OUTBOX, 'ACTIVE'), 'REFRESHED'));
  t.deepEqual(off.events, []);
  t.true(off.off);
  for (const type of WEBHOOK_EVENT_TYPES) t.is(shouldEmit(off, type), type === 'ACTIVE', type);
  for (const type of WEBHOOK_EVENT_TYPES) t.true(shouldEmit(EMPTY_OUTBOX, type));
  const again = append(off, 'ACTIVE');
  t.falsy(again.off, 'appending the ACTIVE turns it back on (the delivery asks the worker)');
  t.is(again.events[0]!.sequence, 3, 'ids stay unique across the off period');
});

test('which state change makes which event', (t) => {
  t.is(webhookEventTypeFor({ from: 'APPLYING_TOKEN', to: 'ACTIVE' }), 'ACTIVE');
  t.is(webhookEventTypeFor({ from: 'REFRESHING', to: 'ACTIVE', refreshed: true }), 'REFRESHED');
  t.is(webhookEventTypeFor({ from: 'NEEDS_ATTENTION', to: 'ACTIVE', refreshed: true }), 'REFRESHED', 'a refresh out of the alert');
  t.is(webhookEventTypeFor({ from: 'ACTIVE', to: 'ACTIVE' }), undefined);
  t.is(webhookEventTypeFor({ from: 'REFRESHING', to: 'NEEDS_ATTENTION', attentionAfter: { code: 'UNKNOWN_EXCEPTION', phase: 'refresh' } }), 'NEEDS_ATTENTION');
  const same = { code: 'UNKNOWN_EXCEPTION', phase: 'refresh' as const };
  t.is(webhookEventTypeFor({ from: 'NEEDS_ATTENTION', to: 'NEEDS_ATTENTION', attentionBefore: same, attentionAfter: same }), undefined, 'a repeated alert round is no new event');
  t.is(webhookEventTypeFor({ from: 'NEEDS_ATTENTION', to: 'NEEDS_ATTENTION', attentionBefore: same, attentionAfter: { ...same, code: 'INVALID_SIGNATURE' } }), 'NEEDS_ATTENTION');
  for (const terminal of ['REAUTH_REQUIRED', 'TOKEN_EXPIRED', 'REVOKED', 'CANCELED_BY_WALLET', 'AUTHORIZATION_EXPIRED', 'FAILED'] as const) {
    t.is(webhookEventTypeFor({ from: 'ACTIVE', to: terminal }), terminal);
  }
  for (const transient of ['CONSULTING', 'AWAITING_AUTH_CODE', 'APPLYING_TOKEN', 'REFRESHING', 'REVOKING'] as const) {
    for (const from of AUTHORIZATION_STATES) t.is(webhookEventTypeFor({ from, to: transient }), undefined, `${from} → ${transient}`);
  }
});

test('property: the webhook view never carries a token, a refresh token, an authCode or a link, whatever the view holds', (t) => {
  const secret = fc.string({ minLength: 12, maxLength: 40 }).map((s) => `SECRET-${s}`);
  fc.assert(
    fc.property(fc.constantFrom(...AUTHORIZATION_STATES), secret, secret, secret, fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string()), (state, accessToken, refreshToken, authCode, extra) => {
      const full = {
        ...extra,
        workflowId: 'authorization:GCASH:c1',
        authorizationId: 'run-1',
        wallet: 'GCASH',
        customerId: 'c1',
        profile: 'antom',
        state,
        linkResult: { authState: 'state-1', normalUrl: `https://wallet.example/auth?code=${authCode}`, consultedAt: '2026-01-01T00:00:00Z' },
        userLoginId: '63****1234',
        accessTokenExpiry: '2027-01-01T00:00:00.000Z',
        refreshCount: 2,
        runRefreshes: 1,
        // What a careless spread of the tokens into the view would add:
        accessToken,
        refreshToken,
        tokens: { accessToken, refreshToken },
        authCode,
      } as unknown as AuthorizationView;
      const text = JSON.stringify(webhookViewOf(full));
      return !text.includes(accessToken) && !text.includes(refreshToken) && !text.includes(authCode) && !text.includes('state-1')
        && Object.keys(webhookViewOf(full)).every((key) => !(key in extra) || ['workflowId', 'authorizationId', 'wallet', 'customerId', 'state', 'userLoginId', 'accessTokenExpiry', 'refreshTokenExpiry', 'nextRefreshAt', 'nextAction', 'attention', 'lastError', 'refreshCount', 'linkedAt'].includes(key));
    }),
  );
  const shown = webhookViewOf({ ...view(), profile: 'antom', runRefreshes: 0, userLoginId: '63****1234', nextRefreshAt: '2026-06-01T00:00:00.000Z', nextAction: 'refresh' } as AuthorizationView);
  t.is(shown.userLoginId, '63****1234');
  t.is(shown.nextRefreshAt, '2026-06-01T00:00:00.000Z');
});
