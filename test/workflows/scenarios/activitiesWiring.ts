/**
 * The project's real activities (src/activities), wired the way the worker wires them, but against the scenario's
 * sandbox, Redis key prefix, key ring, virtual clock and a log sink the scenarios can inspect.
 */
import type { KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AntomClient } from '../../../src/antom/client';
import { createActivities, createActivityStore } from '../../../src/activities';
import type { SigningKey, VerificationKeys } from '../../../src/antom/signatureKeys';
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
  /**
   * Key rotation: the merchant's signing key and Antom's public keys as the worker is configured right now (read on
   * every call; a new object stands for a redeploy with new ANTOM_PRIVATE_KEYS / ANTOM_PUBLIC_KEYS). Unset: the
   * merchant key above as keyVersion "1" and the sandbox's start-up key.
   */
  keys?: () => ScenarioClientKeys;
}

export interface ScenarioClientKeys {
  readonly signing: SigningKey;
  readonly antomPublicKeys: VerificationKeys;
}

/** Built on first use: the sandbox (URL, key) and Redis exist only once the scenario has started. */
export function createScenarioActivities(deps: ScenarioActivityDeps): AuthorizationActivities {
  const build = (platform: 'antom' | 'alipayplus', keys: ScenarioClientKeys | undefined) =>
    new AntomClient({
      clientId: deps.clientId,
      ...(keys
        ? { privateKey: keys.signing.privateKey, privateKeyVersion: keys.signing.keyVersion, antomPublicKeys: keys.antomPublicKeys }
        : { privateKey: deps.merchantPrivateKey, antomPublicKey: deps.sandboxPublicKey() }),
      baseUrl: deps.sandboxUrl(),
      platform,
      clock: deps.clock,
    });
  const client = (platform: 'antom' | 'alipayplus'): AntomClient => {
    const keysNow = deps.keys;
    if (keysNow === undefined) return build(platform, undefined);
    // A client per key configuration, as a redeployed worker would build it.
    let built: { keys: ScenarioClientKeys; client: AntomClient } | undefined;
    const current = (): AntomClient => {
      const keys = keysNow();
      if (built?.keys !== keys) built = { keys, client: build(platform, keys) };
      return built.client;
    };
    return new Proxy({} as AntomClient, {
      get: (_target, property) => {
        const target = current();
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
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
