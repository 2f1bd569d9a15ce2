/**
 * The typed in-process admin handle (what `startSandbox()` returns as `admin`). The HTTP admin API (adminApi.ts)
 * exposes the same operations as JSON on loopback. Failures throw SandboxAdminError with the Antom-style code.
 */
import type { KeyObject } from 'node:crypto';
import type { SandboxCore, ApprovedConsent, AuthorizationSelector, WalletCancellation } from './core';
import type { FaultScript, FaultScriptView, RateLimit } from './faults';
import type { MerchantRegistration } from './merchants';
import type { NotificationView } from './notifier';
import type { ReceivedRequest } from './requestLog';
import type { AuthorizationStatus, GrantView, Outcome, RepeatPolicy } from './state';
import type { WalletPolicy } from './walletPolicies';
import { maskSecret } from './secretMask';
import { formatIsoWithOffset } from './timeFormat';

export class SandboxAdminError extends Error {
  override readonly name = 'SandboxAdminError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new SandboxAdminError(outcome.resultCode, outcome.resultMessage);
}

/** Behaviour that can change while the sandbox runs. */
export interface SandboxBehaviour {
  readonly authCodeLifetimeMs?: number;
  readonly authorizationUrlLifetimeMs?: number;
  readonly refreshTokenGraceMs?: number;
  readonly repeats?: Partial<RepeatPolicy>;
  readonly previousAccessTokenOnRefresh?: 'keep' | 'invalidate';
  /** null disables the request-time freshness check. */
  readonly requestTimeWindowMs?: number | null;
}

export interface AuthorizationView {
  readonly authorizationId: string;
  readonly platform: string;
  readonly clientId: string;
  readonly wallet: string;
  readonly authState: string;
  readonly status: AuthorizationStatus | 'EXPIRED';
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly userLoginId: string;
  /** Masked. */
  readonly authCode?: string;
}

export interface ClockView {
  readonly now: number;
  readonly iso: string;
  readonly offsetMs: number;
}

export class SandboxAdmin {
  constructor(private readonly core: SandboxCore) {}

  /** Forget authorizations, tokens, notifications, faults and logged requests (merchants and clock stay). */
  reset(): void {
    this.core.reset();
  }

  // --- clock -----------------------------------------------------------------------------------------------------

  clock(): ClockView {
    const now = this.core.clock.now();
    return { now, iso: formatIsoWithOffset(now, this.core.settings.timeOffsetMinutes), offsetMs: this.core.clock.offset() };
  }

  /** Moves sandbox time forward and sends every notification resend that became due; resolves when they are done. */
  async advanceClock(ms: number): Promise<ClockView> {
    this.core.clock.advance(ms);
    await this.core.notifier.pump();
    return this.clock();
  }

  async setClock(epochMs: number): Promise<ClockView> {
    this.core.clock.set(epochMs);
    await this.core.notifier.pump();
    return this.clock();
  }

  // --- merchants and configuration --------------------------------------------------------------------------------

  registerMerchant(registration: MerchantRegistration): void {
    this.core.merchants.register(registration);
  }

  removeMerchant(clientId: string): boolean {
    return this.core.merchants.remove(clientId);
  }

  /** The merchant's key rotation: accept requests under new key versions, stop accepting retired ones. */
  setMerchantKeys(clientId: string, change: { add?: Readonly<Record<string, KeyObject | string>>; retire?: readonly string[] }): { keyVersions: string[] } {
    try {
      return { keyVersions: [...this.core.merchants.updateKeys(clientId, change).publicKeys.keys()] };
    } catch (error) {
      if (error instanceof RangeError) throw new SandboxAdminError('INVALID_REQUEST', error.message);
      throw error;
    }
  }

  // --- Antom's own signing keys (its side of a rotation) ----------------------------------------------------------

  /** Adds a signing key version (generated unless given) without switching to it; returns its public key PEM. */
  addSigningKey(keyVersion: string, privateKey?: KeyObject): { keyVersion: string; publicKeyPem: string } {
    try {
      const publicKey = this.core.signingKeys.add(keyVersion, privateKey);
      return { keyVersion, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    } catch (error) {
      if (error instanceof RangeError) throw new SandboxAdminError('INVALID_REQUEST', error.message);
      throw error;
    }
  }

  /** Responses and notifications (resends included) are signed with this version from now on. */
  useSigningKey(keyVersion: string): void {
    try {
      this.core.signingKeys.use(keyVersion);
    } catch (error) {
      if (error instanceof RangeError) throw new SandboxAdminError('NOT_FOUND', error.message);
      throw error;
    }
  }

  signingKeys(): { current: string; versions: string[] } {
    return { current: this.core.signingKeys.currentVersion, versions: this.core.signingKeys.versions() };
  }

  setWalletPolicy(wallet: string, policy: WalletPolicy | null): void {
    if (policy === null) this.core.state.policies.delete(wallet);
    else this.core.state.policies.set(wallet, policy);
  }

  walletPolicies(): Record<string, WalletPolicy> {
    return Object.fromEntries(this.core.state.policies);
  }

  configure(behaviour: SandboxBehaviour): void {
    const settings = this.core.state.settings;
    if (behaviour.authCodeLifetimeMs !== undefined) settings.authCodeLifetimeMs = behaviour.authCodeLifetimeMs;
    if (behaviour.authorizationUrlLifetimeMs !== undefined) settings.authorizationUrlLifetimeMs = behaviour.authorizationUrlLifetimeMs;
    if (behaviour.refreshTokenGraceMs !== undefined) settings.refreshTokenGraceMs = behaviour.refreshTokenGraceMs;
    if (behaviour.repeats !== undefined) settings.repeats = { ...settings.repeats, ...behaviour.repeats };
    if (behaviour.previousAccessTokenOnRefresh !== undefined) settings.previousAccessTokenOnRefresh = behaviour.previousAccessTokenOnRefresh;
    if (behaviour.requestTimeWindowMs !== undefined) this.core.settings.requestTimeWindowMs = behaviour.requestTimeWindowMs;
  }

  // --- the customer in the wallet ------------------------------------------------------------------------------

  authorizations(): AuthorizationView[] {
    const now = this.core.clock.now();
    return this.core.state.listAuthorizations().map((a) => ({
      authorizationId: a.id,
      platform: a.platform,
      clientId: a.clientId,
      wallet: a.wallet,
      authState: a.authState,
      status: a.status === 'PENDING' && now >= a.expiresAt ? 'EXPIRED' : a.status,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
      userLoginId: a.userLoginId,
      ...(a.authCode === undefined ? {} : { authCode: maskSecret(a.authCode) }),
    }));
  }

  /** Approve as the customer would on the consent page (authCode + AUTHCODE_CREATED notification). */
  approve(selector: AuthorizationSelector): ApprovedConsent {
    const authorization = this.core.resolveAuthorization(selector);
    if (authorization === undefined) throw new SandboxAdminError('NOT_FOUND', 'no (unique) authorization matches');
    return unwrap(this.core.approve(authorization.id));
  }

  deny(selector: AuthorizationSelector): void {
    const authorization = this.core.resolveAuthorization(selector);
    if (authorization === undefined) throw new SandboxAdminError('NOT_FOUND', 'no (unique) authorization matches');
    unwrap(this.core.deny(authorization.id));
  }

  /** The customer unlinks in the wallet app: tokens stop working and TOKEN_CANCELED is sent. */
  cancelFromWallet(
    selector: { accessToken?: string; grantId?: string; authState?: string; clientId?: string },
    reason?: string,
  ): WalletCancellation {
    return unwrap(this.core.cancelFromWallet(selector, reason));
  }

  /** Whether a payment with this access token would be accepted right now. */
  isAccessTokenUsable(accessToken: string): boolean {
    return this.core.state.isAccessTokenUsable(accessToken);
  }

  // --- faults ----------------------------------------------------------------------------------------------------

  addFault(script: FaultScript): number {
    return this.core.faults.add(script);
  }

  removeFault(id: number): boolean {
    return this.core.faults.remove(id);
  }

  faults(): FaultScriptView[] {
    return this.core.faults.list();
  }

  clearFaults(): void {
    this.core.faults.clear();
  }

  /** REQUEST_TRAFFIC_EXCEED_LIMIT (U) above `requestsPerSecond` per endpoint (or all together); undefined lifts every limit. */
  setRateLimit(limit: RateLimit | undefined): void {
    this.core.faults.setRateLimit(limit);
  }

  // --- observation -----------------------------------------------------------------------------------------------

  /** Token grants with masked tokens. */
  tokens(): GrantView[] {
    return this.core.state.listGrants(maskSecret);
  }

  /** Received API requests, newest last, bodies with secrets masked. */
  requests(): ReceivedRequest[] {
    return this.core.requests.list();
  }

  notifications(): NotificationView[] {
    return this.core.notifier.list();
  }

  /** Sends what is due now and waits until no notification attempt is in flight. */
  async flushNotifications(): Promise<NotificationView[]> {
    await this.core.notifier.pump();
    await this.core.notifier.idle();
    return this.notifications();
  }
}
