/**
 * The Antom sandbox: a stateful local stand-in for Antom / Alipay+ (docs/antom-api.md) with a wallet consent page,
 * signed notifications, a controllable clock and scripted faults.
 *
 *   const sandbox = await startSandbox({
 *     merchants: [{ clientId: 'SANDBOX_M1', publicKey: merchantPublicKey, notifyUrl: 'http://127.0.0.1:3000/antom/notify' }],
 *     clock: virtualClock,               // optional { now(): number } shared with the offline workflow environment
 *   });
 *   sandbox.url          // 'http://127.0.0.1:<port>' — AntomClient baseUrl; serves /ams/api/v1, /ams/sandbox/api/v1, /aps/api/v1
 *   sandbox.adminUrl     // 'http://127.0.0.1:<port>/admin' — the HTTP admin API (loopback only, own port)
 *   sandbox.publicKey    // KeyObject the client verifies responses/notifications with; sandbox.publicKeyPem the same as PEM
 *   sandbox.admin        // SandboxAdmin (admin.ts), typed and in-process:
 *     .approve({ authState, clientId? } | { authorizationId }) → { authCode, redirectUrl, authState, notificationId? }
 *     .deny(selector)   .cancelFromWallet({ accessToken } | { authState, clientId? } | { grantId }, reason?) → sends TOKEN_CANCELED
 *     .advanceClock(ms) / .setClock(epochMs) → Promise<ClockView> (also sends notification resends that became due)
 *     .clock()  .registerMerchant(reg)  .setWalletPolicy(wallet, policy|null)  .configure(behaviour)
 *     .addFault(script) → id  .removeFault(id)  .clearFaults()  .setRateLimit({ endpoint?, requestsPerSecond } | undefined)
 *     .tokens() (masked)  .requests() (masked)  .authorizations()  .notifications()  .flushNotifications()
 *     .isAccessTokenUsable(token)  .reset()
 *     .addSigningKey(version, privateKey?) → public PEM  .useSigningKey(version)  .signingKeys() → {current, versions}
 *     .setMerchantKeys(clientId, { add?: {version: PEM|KeyObject}, retire?: [version] })  (key rotation, both sides)
 *   sandbox.clock        // SandboxClock: now(), advance(ms), sourceNow()
 *   await sandbox.close()
 *
 * Faults (faults.ts FaultScript): { endpoint?: 'consult'|'applyToken'|'revoke'|'prepare'|'cancelToken', platform?,
 *   skipCalls?, times? (default 1, Infinity), delayMs?, effect?: {type:'result', resultStatus, resultCode, process?}
 *   | {type:'drop', process? (default true)} | {type:'httpError', status? (503)} | {type:'malformedJson'}
 *   | {type:'unsigned'} | {type:'wrongSignature'} }.
 *
 * Defaults (all options below): authCode 60 s, consent link 15 min, refresh-token grace 0, repeats strict
 * (repeated authCode → INVALID_AUTHCODE, rotated refresh token → INVALID_REFRESH_TOKEN; identical repeated consult
 * replays), request-time window ±15 min against the SOURCE clock (the admin offset is not applied: clients keep
 * sending their own time), body limit 1 MiB, times written with +08:00, the last 1,000 finished notifications kept
 * for admin.notifications() (pending ones always). Wallet policies: walletPolicies.ts
 * (GCASH, TNG, TRUEMONEY, DANA, ALIPAY_HK, KAKAOPAY, SANDBOX_SHORT = 30 min access / 2 h refresh, rotating).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { loadPrivateKey } from '../antom/keys';
import { createLogger } from '../logger';
import { SandboxAdmin } from './admin';
import { AdminApiServer } from './adminApi';
import { SandboxClock, type TimeSource } from './clock';
import { SandboxCore } from './core';
import type { MerchantRegistration } from './merchants';
import { AntomServer } from './server';
import { DEFAULT_STATE_SETTINGS, type RepeatPolicy } from './state';
import { defaultWalletPolicies, type WalletPolicy } from './walletPolicies';

export { SandboxAdmin, SandboxAdminError, type SandboxBehaviour, type AuthorizationView, type ClockView } from './admin';
export { SandboxClock, systemTimeSource, type TimeSource } from './clock';
export type { ApprovedConsent, WalletCancellation, AuthorizationSelector } from './core';
export type { FaultEffect, FaultScript, RateLimit, SandboxEndpoint } from './faults';
export type { MerchantRegistration, MerchantStatus } from './merchants';
export { ANTOM_RESEND_SCHEDULE_MS, DEFAULT_RETAINED_FINISHED_NOTIFICATIONS, NOTIFICATION_ACK, type NotificationView, type NotificationAttempt } from './notifier';
export type { ReceivedRequest } from './requestLog';
export type { GrantView, RepeatPolicy, RepeatBehaviour } from './state';
export { SHORT_LIVED_TEST_WALLET, defaultWalletPolicies, type WalletPolicy } from './walletPolicies';
export { PUBLIC_KEY_PATH } from './server';

export interface SandboxOptions {
  /** Port for the Antom-shaped API and consent page; 0 (default) picks a free one. */
  readonly port?: number;
  /** Host for the API; default 127.0.0.1. */
  readonly host?: string;
  /** Port for the admin API (always loopback); 0 (default) picks a free one. */
  readonly adminPort?: number;
  /** Origin consent URLs are built on, when the browser reaches the sandbox through another address. */
  readonly publicOrigin?: string;
  /** The sandbox's signing key (KeyObject, PEM or base64). Default: a fresh RSA 2048 pair per start. */
  readonly privateKey?: KeyObject | string;
  readonly merchants?: readonly MerchantRegistration[];
  /** Time source, e.g. a virtual clock shared with the workflow test environment. Default: Date.now. */
  readonly clock?: TimeSource;
  /** Replaces (or adds) the policy of each wallet named. */
  readonly walletPolicies?: Readonly<Record<string, WalletPolicy>>;
  readonly authCodeLifetimeMs?: number;
  readonly authorizationUrlLifetimeMs?: number;
  readonly refreshTokenGraceMs?: number;
  readonly repeats?: Partial<RepeatPolicy>;
  readonly previousAccessTokenOnRefresh?: 'keep' | 'invalidate';
  /** Accepted |source clock − request-time|; null disables the check. Default 15 min. */
  readonly requestTimeWindowMs?: number | null;
  readonly maxBodyBytes?: number;
  /** UTC offset for response-time and expiry times, in minutes. Default 480 (+08:00). */
  readonly timeOffsetMinutes?: number;
  /** Intervals before each notification attempt (sandbox ms). Default ANTOM_RESEND_SCHEDULE_MS. */
  readonly notificationScheduleMs?: readonly number[];
  /** Real ms between checks for due resends. Default 100. */
  readonly notificationPollIntervalMs?: number;
  readonly notificationTimeoutMs?: number;
  /**
   * Finished (acknowledged or given-up) notifications admin.notifications() keeps, the most recent; older ones are
   * forgotten so a long-running sandbox does not grow without bound. Pending ones are always kept. Default 1,000.
   */
  readonly retainedFinishedNotifications?: number;
  /** A pino logger, or a level for the sandbox's own. Default level 'silent'. */
  readonly logger?: Logger;
  readonly logLevel?: string;
}

export interface RunningSandbox {
  /** Origin of the Antom-shaped API, e.g. `http://127.0.0.1:41234` (use as the client's baseUrl). */
  readonly url: string;
  /** Base of the HTTP admin API, e.g. `http://127.0.0.1:41235/admin`. */
  readonly adminUrl: string;
  /** The public half of signing keyVersion "1" (the start-up key); `admin.signingKeys()` lists every version. */
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly admin: SandboxAdmin;
  readonly clock: SandboxClock;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const clock = new SandboxClock(options.clock);
  const privateKey =
    options.privateKey === undefined
      ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      : typeof options.privateKey === 'string'
        ? loadPrivateKey(options.privateKey, 'sandbox private key')
        : options.privateKey;
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'silent', name: 'antom-sandbox' });

  const policies = defaultWalletPolicies();
  for (const [wallet, policy] of Object.entries(options.walletPolicies ?? {})) policies.set(wallet, policy);

  const core = new SandboxCore(
    clock,
    privateKey,
    logger,
    policies,
    {
      authorizationUrlLifetimeMs: options.authorizationUrlLifetimeMs ?? DEFAULT_STATE_SETTINGS.authorizationUrlLifetimeMs,
      authCodeLifetimeMs: options.authCodeLifetimeMs ?? DEFAULT_STATE_SETTINGS.authCodeLifetimeMs,
      refreshTokenGraceMs: options.refreshTokenGraceMs ?? DEFAULT_STATE_SETTINGS.refreshTokenGraceMs,
      repeats: { ...DEFAULT_STATE_SETTINGS.repeats, ...options.repeats },
      previousAccessTokenOnRefresh: options.previousAccessTokenOnRefresh ?? DEFAULT_STATE_SETTINGS.previousAccessTokenOnRefresh,
    },
    {
      requestTimeWindowMs: options.requestTimeWindowMs === undefined ? 15 * 60_000 : options.requestTimeWindowMs,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      timeOffsetMinutes: options.timeOffsetMinutes ?? 480,
    },
    {
      ...(options.notificationScheduleMs === undefined ? {} : { scheduleMs: options.notificationScheduleMs }),
      ...(options.notificationPollIntervalMs === undefined ? {} : { pollIntervalMs: options.notificationPollIntervalMs }),
      ...(options.notificationTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.notificationTimeoutMs }),
      ...(options.retainedFinishedNotifications === undefined ? {} : { retainedFinished: options.retainedFinishedNotifications }),
    },
  );

  const host = options.host ?? '127.0.0.1';
  const api = new AntomServer(core, options.publicOrigin ?? '');
  const admin = new SandboxAdmin(core);
  const adminServer = new AdminApiServer(admin);
  let apiPort: number;
  let adminPort: number;
  // Any start-up failure from here on (a merchant key that does not parse, a port in use) closes what the core
  // already started: the notifier's poll timer runs from its construction.
  try {
    for (const merchant of options.merchants ?? []) core.merchants.register(merchant);
    apiPort = await api.listen(options.port ?? 0, host);
    adminPort = await adminServer.listen(options.adminPort ?? 0, '127.0.0.1');
  } catch (err) {
    await Promise.allSettled([api.close(), adminServer.close(), core.close()]);
    throw err;
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${apiPort}`;
  if (options.publicOrigin === undefined) api.setPublicOrigin(url);
  logger.info({ url, adminPort }, 'antom sandbox listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl: `http://127.0.0.1:${adminPort}/admin`,
    // Version "1", the key the sandbox started with (it keeps signing with it until admin.useSigningKey switches).
    publicKey: core.signingKeys.publicKey('1'),
    get publicKeyPem() {
      return core.signingKeys.publicKey('1').export({ type: 'spki', format: 'pem' }).toString();
    },
    admin,
    clock,
    close() {
      closing ??= Promise.all([api.close(), adminServer.close(), core.close()]).then(() => undefined);
      return closing;
    },
  };
}
