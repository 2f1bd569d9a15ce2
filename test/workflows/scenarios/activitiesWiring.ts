/**
 * The project's real activities (src/activities), wired the way the worker wires them, but against the scenario's
 * sandbox, Redis key prefix, key ring, virtual clock and a log sink the scenarios can inspect.
 */
import type { KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AntomClient } from '../../../src/antom/client';
import { createActivities, createActivityStore } from '../../../src/activities';
import type { KeyRing } from '../../../src/codec/keyRing';
import { WebhookSender } from '../../../src/webhooks/webhookSender';
import type { AuthorizationActivities } from '../../../src/workflows/activityContract';

export interface ScenarioActivityDeps {
  sandboxUrl: () => string;
  sandboxPublicKey: () => KeyObject;
  clientId: string;
  merchantPrivateKey: KeyObject;
  redis: () => Redis;
  keyPrefix: string;
  /** Virtual now (ms): request-time headers, obtainedAt/consultedAt and the projection follow the scenario clock. */
  clock: () => number;
  logger: Logger;
  encryptionKeyRing: KeyRing;
  /** A webhook receiver (the scenario's own HTTP server): its URL is known once it listens. */
  webhooks?: { url: () => string; secrets: string[]; timeoutMs: number };
}

/** Built on first use: the sandbox (URL, key) and Redis exist only once the scenario has started. */
export function createScenarioActivities(deps: ScenarioActivityDeps): AuthorizationActivities {
  const client = (platform: 'antom' | 'alipayplus') =>
    new AntomClient({
      clientId: deps.clientId,
      privateKey: deps.merchantPrivateKey,
      antomPublicKey: deps.sandboxPublicKey(),
      baseUrl: deps.sandboxUrl(),
      platform,
      clock: deps.clock,
    });
  return createActivities({
    antom: { antom: client('antom'), alipayplus: client('alipayplus') },
    store: createActivityStore({ redis: deps.redis(), keyRing: deps.encryptionKeyRing, keyPrefix: deps.keyPrefix, requestsPerSecond: 1000, clock: deps.clock }),
    logger: deps.logger,
    clock: deps.clock,
    alipayPlusAuthClient: { name: 'Scenario Merchant Ltd' },
    ...(deps.webhooks ? { webhooks: { sender: lazySender(deps.webhooks, deps.clock) } } : {}),
  });
}

/** The sender of the real worker (signatures dated by the scenario clock), built at the first delivery. */
function lazySender(options: { url: () => string; secrets: string[]; timeoutMs: number }, clock: () => number): Pick<WebhookSender, 'send'> {
  let sender: WebhookSender | undefined;
  return {
    send: (event) => (sender ??= new WebhookSender({ url: options.url(), secrets: options.secrets, timeoutMs: options.timeoutMs, clock })).send(event),
  };
}
