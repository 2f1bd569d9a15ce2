/**
 * The sandbox wallet's memory and rules: pending authorizations (consult/prepare), authCodes, and token grants with
 * their access and refresh tokens. Pure in-process state driven by the sandbox clock; HTTP, signatures and
 * notifications live elsewhere. Every operation answers like Antom would — a value or an F code — so the server
 * only maps results to JSON.
 *
 * Undocumented behaviour (antom-api.md §5 "inferred") is configurable and defaults to the worst case for a client:
 * a repeated authCode fails INVALID_AUTHCODE, a rotated refresh token fails INVALID_REFRESH_TOKEN (no grace).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Platform } from '../antom/endpoints';
import type { SandboxClock } from './clock';
import { ALIPAY_PLUS_NO_REFRESH_YEARS, accessTokenExpiry, addCalendarYears, refreshTokenExpiry, type WalletPolicy } from './walletPolicies';

/** How an identical repeated request is answered: `fail` (the strict worst case) or `replay` the first result. */
export type RepeatBehaviour = 'fail' | 'replay';

export interface RepeatPolicy {
  /** A consult/prepare repeated with the same authState and body while pending. Default `replay` (a timed-out consult is simply called again, antom-api.md §3). */
  readonly consult: RepeatBehaviour;
  /** applyToken with an authCode that was already exchanged. Default `fail` → INVALID_AUTHCODE. */
  readonly authCode: RepeatBehaviour;
  /** applyToken with a refresh token that was already rotated. Default `fail` → INVALID_REFRESH_TOKEN. */
  readonly refreshToken: RepeatBehaviour;
}

export const STRICT_REPEATS: RepeatPolicy = { consult: 'replay', authCode: 'fail', refreshToken: 'fail' };

export interface StateSettings {
  /** How long a consult's authorization URL can be used (antom-api.md §5: 15 minutes). */
  authorizationUrlLifetimeMs: number;
  /** authCode lifetime (antom-api.md §5: call applyToken within 1 minute). */
  authCodeLifetimeMs: number;
  /** A rotated refresh token is still accepted (replaying the rotation's result) this long after rotation. */
  refreshTokenGraceMs: number;
  repeats: RepeatPolicy;
  /**
   * What a refresh does to the previous access token: `keep` it valid until its own expiry (typical OAuth), or
   * `invalidate` it at once. Not documented; default keep.
   */
  previousAccessTokenOnRefresh: 'keep' | 'invalidate';
}

export const DEFAULT_STATE_SETTINGS: StateSettings = {
  authorizationUrlLifetimeMs: 15 * 60_000,
  authCodeLifetimeMs: 60_000,
  refreshTokenGraceMs: 0,
  repeats: STRICT_REPEATS,
  previousAccessTokenOnRefresh: 'keep',
};

export type AuthorizationStatus = 'PENDING' | 'APPROVED' | 'DENIED';

export interface AuthorizationRecord {
  /** Random id that appears in the consent URL. */
  readonly id: string;
  readonly platform: Platform;
  readonly clientId: string;
  readonly authClientId: string | undefined;
  readonly wallet: string;
  readonly authState: string;
  readonly authRedirectUrl: string;
  readonly notifyUrl: string | undefined;
  readonly scopes: readonly string[];
  readonly terminalType: string | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** What made the consult; an identical repeat may replay it. */
  readonly fingerprint: string;
  /** The wallet user who will approve; generated so tokens carry a masked login id. */
  readonly userId: string;
  readonly userLoginId: string;
  status: AuthorizationStatus;
  decidedAt?: number;
  authCode?: string;
}

interface AuthCodeRecord {
  readonly code: string;
  readonly authorizationId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  usedAt?: number;
  usedFingerprint?: string;
  grantId?: string;
  issued?: IssuedTokens;
}

export type GrantStatus = 'ACTIVE' | 'REVOKED' | 'CANCELED_BY_WALLET';

interface GrantRecord {
  readonly id: string;
  readonly authorizationId: string;
  readonly platform: Platform;
  readonly clientId: string;
  readonly wallet: string;
  readonly createdAt: number;
  status: GrantStatus;
  endedAt?: number;
  /** The token a revoke/cancelToken was made with: cancelToken is idempotent per token (antom-api.md §4). */
  revokedWithToken?: string;
  currentAccessToken: string;
  currentRefreshToken: string | undefined;
  refreshCount: number;
}

type AccessTokenStatus = 'CURRENT' | 'SUPERSEDED';

interface AccessTokenRecord {
  readonly token: string;
  readonly grantId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  status: AccessTokenStatus;
}

interface RefreshTokenRecord {
  readonly token: string;
  readonly grantId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  rotatedAt?: number;
  rotationFingerprint?: string;
  rotationResult?: IssuedTokens;
}

/** What applyToken hands out; expiry times are epoch ms (the server formats them). */
export interface IssuedTokens {
  readonly grantId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken?: string;
  readonly refreshTokenExpiresAt?: number;
  /** Only when the authorization's scopes ask for it (`disclosesUserLoginId`). */
  readonly userLoginId?: string;
  readonly userId: string;
  readonly wallet: string;
}

/**
 * The scope that makes each platform return `userLoginId`: Antom's applyToken returns it "when the value of the
 * scopes field in the consult API is AGREEMENT_PAY"; Alipay+'s "when the scopes parameter of the prepare API contains
 * USER_LOGIN_ID" (antom-applyToken.txt, alipayplus-applyToken-acqp.txt). Notifications follow the same rule.
 */
export const USER_LOGIN_ID_SCOPE: Readonly<Record<Platform, string>> = { antom: 'AGREEMENT_PAY', alipayplus: 'USER_LOGIN_ID' };

export function disclosesUserLoginId(authorization: Pick<AuthorizationRecord, 'platform' | 'scopes'>): boolean {
  return authorization.scopes.includes(USER_LOGIN_ID_SCOPE[authorization.platform]);
}

export interface Refusal {
  readonly ok: false;
  readonly resultStatus: 'F' | 'U';
  readonly resultCode: string;
  readonly resultMessage: string;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | Refusal;

function refuse(resultCode: string, resultMessage: string): Refusal {
  return { ok: false, resultStatus: 'F', resultCode, resultMessage };
}

function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** URL-safe random text; 32 bytes → 43 characters, within every documented length limit (≤64 / ≤128). */
function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export interface ConsultInput {
  readonly platform: Platform;
  readonly clientId: string;
  readonly authClientId?: string;
  readonly wallet: string;
  readonly authState: string;
  readonly authRedirectUrl: string;
  readonly notifyUrl?: string;
  readonly scopes: readonly string[];
  readonly terminalType?: string;
  readonly fingerprint: string;
}

export interface ApplyByCodeInput {
  readonly platform: Platform;
  readonly clientId: string;
  /** Antom names the wallet in the request; Alipay+ does not. */
  readonly wallet?: string;
  readonly authClientId?: string;
  readonly authCode: string;
  readonly fingerprint: string;
}

export interface RefreshInput {
  readonly platform: Platform;
  readonly clientId: string;
  readonly wallet?: string;
  readonly authClientId?: string;
  readonly refreshToken: string;
  readonly fingerprint: string;
}

export interface RevokeInput {
  readonly platform: Platform;
  readonly clientId: string;
  readonly accessToken: string;
}

/** A grant as the admin API lists it: no full token ever leaves through this view. */
export interface GrantView {
  readonly grantId: string;
  readonly platform: Platform;
  readonly clientId: string;
  readonly wallet: string;
  readonly authState: string;
  readonly status: GrantStatus;
  readonly createdAt: number;
  readonly endedAt?: number;
  readonly refreshCount: number;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken?: string;
  readonly refreshTokenExpiresAt?: number;
}

export interface CanceledGrant {
  readonly grantId: string;
  readonly authorization: AuthorizationRecord;
  /** The grant's current access token, which the TOKEN_CANCELED notification names. */
  readonly accessToken: string;
}

export class SandboxState {
  private readonly authorizations = new Map<string, AuthorizationRecord>();
  /** `${clientId}\n${authState}` → authorization id: authState is unique per client. */
  private readonly authStates = new Map<string, string>();
  private readonly authCodes = new Map<string, AuthCodeRecord>();
  private readonly grants = new Map<string, GrantRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();

  constructor(
    private readonly clock: SandboxClock,
    readonly policies: Map<string, WalletPolicy>,
    readonly settings: StateSettings,
  ) {}

  reset(): void {
    this.authorizations.clear();
    this.authStates.clear();
    this.authCodes.clear();
    this.grants.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  knowsWallet(wallet: string): boolean {
    return this.policies.has(wallet);
  }

  // -------------------------------------------------------------------------------------------------------------
  // consult / prepare and consent
  // -------------------------------------------------------------------------------------------------------------

  consult(input: ConsultInput): Outcome<AuthorizationRecord> {
    if (!this.knowsWallet(input.wallet)) return refuse('NO_PAY_OPTIONS', 'customerBelongsTo is not a wallet this merchant can use');
    const now = this.clock.now();
    const stateKey = `${input.clientId}\n${input.authState}`;
    const existingId = this.authStates.get(stateKey);
    if (existingId !== undefined) {
      const existing = this.authorizations.get(existingId);
      const replayable =
        existing !== undefined &&
        this.settings.repeats.consult === 'replay' &&
        existing.status === 'PENDING' &&
        now < existing.expiresAt &&
        existing.fingerprint === input.fingerprint;
      if (replayable) return ok(existing);
      return refuse('PARAM_ILLEGAL', 'authState: already used for another authorization of this client');
    }
    const userId = `2088${String(randomInt(10 ** 11)).padStart(12, '0')}`;
    const record: AuthorizationRecord = {
      id: randomToken(16),
      platform: input.platform,
      clientId: input.clientId,
      authClientId: input.authClientId,
      wallet: input.wallet,
      authState: input.authState,
      authRedirectUrl: input.authRedirectUrl,
      notifyUrl: input.notifyUrl,
      scopes: [...input.scopes],
      terminalType: input.terminalType,
      createdAt: now,
      expiresAt: now + this.settings.authorizationUrlLifetimeMs,
      fingerprint: input.fingerprint,
      userId,
      userLoginId: `${userId.slice(0, 3)}****${userId.slice(-4)}`,
      status: 'PENDING',
    };
    this.authorizations.set(record.id, record);
    this.authStates.set(stateKey, record.id);
    return ok(record);
  }

  getAuthorization(id: string): AuthorizationRecord | undefined {
    return this.authorizations.get(id);
  }

  findAuthorization(authState: string, clientId?: string): AuthorizationRecord | undefined {
    if (clientId !== undefined) {
      const id = this.authStates.get(`${clientId}\n${authState}`);
      return id === undefined ? undefined : this.authorizations.get(id);
    }
    const matches = [...this.authorizations.values()].filter((a) => a.authState === authState);
    return matches.length === 1 ? matches[0] : undefined;
  }

  listAuthorizations(): AuthorizationRecord[] {
    return [...this.authorizations.values()];
  }

  /** Why a consent link can no longer be used, or undefined when it can. */
  consentProblem(record: AuthorizationRecord): 'USED' | 'EXPIRED' | undefined {
    if (record.status !== 'PENDING') return 'USED';
    if (this.clock.now() >= record.expiresAt) return 'EXPIRED';
    return undefined;
  }

  /** The customer approves: the link is spent and an authCode issued. */
  approve(id: string): Outcome<{ authorization: AuthorizationRecord; authCode: string }> {
    const record = this.authorizations.get(id);
    if (record === undefined) return refuse('PROCESS_FAIL', 'unknown authorization');
    const problem = this.consentProblem(record);
    if (problem === 'USED') return refuse('PROCESS_FAIL', 'authorization link already used');
    if (problem === 'EXPIRED') return refuse('PROCESS_FAIL', 'authorization link expired');
    const now = this.clock.now();
    const code = randomToken(32);
    this.authCodes.set(code, { code, authorizationId: id, issuedAt: now, expiresAt: now + this.settings.authCodeLifetimeMs });
    record.status = 'APPROVED';
    record.decidedAt = now;
    record.authCode = code;
    return ok({ authorization: record, authCode: code });
  }

  deny(id: string): Outcome<AuthorizationRecord> {
    const record = this.authorizations.get(id);
    if (record === undefined) return refuse('PROCESS_FAIL', 'unknown authorization');
    const problem = this.consentProblem(record);
    if (problem !== undefined) return refuse('PROCESS_FAIL', `authorization link ${problem === 'USED' ? 'already used' : 'expired'}`);
    record.status = 'DENIED';
    record.decidedAt = this.clock.now();
    return ok(record);
  }

  // -------------------------------------------------------------------------------------------------------------
  // applyToken
  // -------------------------------------------------------------------------------------------------------------

  applyAuthorizationCode(input: ApplyByCodeInput): Outcome<IssuedTokens> {
    if (input.wallet !== undefined && !this.knowsWallet(input.wallet)) {
      return refuse('NO_PAY_OPTIONS', 'customerBelongsTo is not a wallet this merchant can use');
    }
    const codeRecord = this.authCodes.get(input.authCode);
    const authorization = codeRecord && this.authorizations.get(codeRecord.authorizationId);
    if (codeRecord === undefined || authorization === undefined) return refuse('INVALID_AUTHCODE', 'authCode is unknown');
    if (authorization.clientId !== input.clientId || authorization.platform !== input.platform) {
      return refuse('INVALID_AUTHCODE', 'authCode was not issued to this client');
    }
    if (input.wallet !== undefined && input.wallet !== authorization.wallet) {
      return refuse('INVALID_AUTHCODE', 'authCode belongs to another wallet');
    }
    if (input.authClientId !== undefined && authorization.authClientId !== undefined && input.authClientId !== authorization.authClientId) {
      return refuse('INVALID_AUTHCODE', 'authCode was issued for another authClientId');
    }
    if (codeRecord.usedAt !== undefined) {
      const grant = codeRecord.grantId === undefined ? undefined : this.grants.get(codeRecord.grantId);
      if (
        this.settings.repeats.authCode === 'replay' &&
        codeRecord.usedFingerprint === input.fingerprint &&
        codeRecord.issued !== undefined &&
        grant?.status === 'ACTIVE'
      ) {
        return ok(codeRecord.issued);
      }
      return refuse('INVALID_AUTHCODE', 'authCode already used');
    }
    const now = this.clock.now();
    if (now >= codeRecord.expiresAt) return refuse('INVALID_AUTHCODE', 'authCode expired');
    const issued = this.createGrant(authorization, now);
    codeRecord.usedAt = now;
    codeRecord.usedFingerprint = input.fingerprint;
    codeRecord.grantId = issued.grantId;
    codeRecord.issued = issued;
    return ok(issued);
  }

  private policyFor(wallet: string): WalletPolicy {
    const policy = this.policies.get(wallet);
    // A policy removed after the grant was made: fall back to one year, no refresh, rather than crash.
    return policy ?? { accessTokenLifetimeMs: 365 * 24 * 3_600_000, refreshTokenLifetimeMs: null, rotateRefreshToken: false };
  }

  /** Whether this grant gets refresh tokens at all on this platform. */
  private issuesRefreshToken(policy: WalletPolicy, platform: Platform, now: number): boolean {
    if (refreshTokenExpiry(policy, now) === undefined) return false;
    // Alipay+ leaves the refresh token out when the access token lives ≥10 (calendar) years (antom-api.md §4).
    if (platform === 'alipayplus' && accessTokenExpiry(policy, now) >= addCalendarYears(now, ALIPAY_PLUS_NO_REFRESH_YEARS)) return false;
    return true;
  }

  private createGrant(authorization: AuthorizationRecord, now: number): IssuedTokens {
    const policy = this.policyFor(authorization.wallet);
    const grantId = randomToken(12);
    const access = this.newAccessToken(grantId, policy, now);
    const refresh = this.issuesRefreshToken(policy, authorization.platform, now)
      ? this.newRefreshToken(grantId, refreshTokenExpiry(policy, now) ?? now)
      : undefined;
    this.grants.set(grantId, {
      id: grantId,
      authorizationId: authorization.id,
      platform: authorization.platform,
      clientId: authorization.clientId,
      wallet: authorization.wallet,
      createdAt: now,
      status: 'ACTIVE',
      currentAccessToken: access.token,
      currentRefreshToken: refresh?.token,
      refreshCount: 0,
    });
    return this.issuedView(grantId, authorization, access, refresh);
  }

  private newAccessToken(grantId: string, policy: WalletPolicy, now: number): AccessTokenRecord {
    const record: AccessTokenRecord = {
      token: randomToken(32),
      grantId,
      issuedAt: now,
      expiresAt: accessTokenExpiry(policy, now),
      status: 'CURRENT',
    };
    this.accessTokens.set(record.token, record);
    return record;
  }

  private newRefreshToken(grantId: string, expiresAt: number): RefreshTokenRecord {
    const record: RefreshTokenRecord = { token: randomToken(32), grantId, issuedAt: this.clock.now(), expiresAt };
    this.refreshTokens.set(record.token, record);
    return record;
  }

  private issuedView(
    grantId: string,
    authorization: AuthorizationRecord,
    access: AccessTokenRecord,
    refresh: RefreshTokenRecord | undefined,
  ): IssuedTokens {
    return {
      grantId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      ...(refresh === undefined ? {} : { refreshToken: refresh.token, refreshTokenExpiresAt: refresh.expiresAt }),
      ...(disclosesUserLoginId(authorization) ? { userLoginId: authorization.userLoginId } : {}),
      userId: authorization.userId,
      wallet: authorization.wallet,
    };
  }

  refresh(input: RefreshInput): Outcome<IssuedTokens> {
    if (input.wallet !== undefined && !this.knowsWallet(input.wallet)) {
      return refuse('NO_PAY_OPTIONS', 'customerBelongsTo is not a wallet this merchant can use');
    }
    const record = this.refreshTokens.get(input.refreshToken);
    const grant = record && this.grants.get(record.grantId);
    const authorization = grant && this.authorizations.get(grant.authorizationId);
    if (record === undefined || grant === undefined || authorization === undefined) {
      return refuse('INVALID_REFRESH_TOKEN', 'refreshToken is unknown');
    }
    if (grant.clientId !== input.clientId || grant.platform !== input.platform) {
      return refuse('INVALID_REFRESH_TOKEN', 'refreshToken was not issued to this client');
    }
    if (input.wallet !== undefined && input.wallet !== grant.wallet) {
      return refuse('INVALID_REFRESH_TOKEN', 'refreshToken belongs to another wallet');
    }
    if (input.authClientId !== undefined && authorization.authClientId !== undefined && input.authClientId !== authorization.authClientId) {
      return refuse('INVALID_REFRESH_TOKEN', 'refreshToken was issued for another authClientId');
    }
    if (grant.status !== 'ACTIVE') return refuse('INVALID_REFRESH_TOKEN', 'the authorization was revoked or canceled');
    const now = this.clock.now();
    if (record.rotatedAt !== undefined) {
      const withinGrace = now - record.rotatedAt <= this.settings.refreshTokenGraceMs;
      const replay = this.settings.repeats.refreshToken === 'replay' && record.rotationFingerprint === input.fingerprint;
      if ((withinGrace || replay) && record.rotationResult !== undefined) return ok(record.rotationResult);
      return refuse('INVALID_REFRESH_TOKEN', 'refreshToken was rotated; use the latest one');
    }
    if (now >= record.expiresAt) {
      return input.platform === 'alipayplus'
        ? refuse('EXPIRED_REFRESH_TOKEN', 'refreshToken expired; the user must authorize again')
        : refuse('INVALID_REFRESH_TOKEN', 'refreshToken expired');
    }
    const policy = this.policyFor(grant.wallet);
    const previous = this.accessTokens.get(grant.currentAccessToken);
    if (previous !== undefined) {
      previous.status = 'SUPERSEDED';
      if (this.settings.previousAccessTokenOnRefresh === 'invalidate') this.accessTokens.delete(previous.token);
    }
    const access = this.newAccessToken(grant.id, policy, now);
    let refresh = record;
    if (policy.rotateRefreshToken) {
      refresh = this.newRefreshToken(grant.id, refreshTokenExpiry(policy, now) ?? now);
    }
    grant.currentAccessToken = access.token;
    grant.currentRefreshToken = refresh.token;
    grant.refreshCount += 1;
    const issued = this.issuedView(grant.id, authorization, access, refresh);
    if (refresh !== record) {
      record.rotatedAt = now;
      record.rotationFingerprint = input.fingerprint;
      record.rotationResult = issued;
    }
    return ok(issued);
  }

  // -------------------------------------------------------------------------------------------------------------
  // revoke / cancelToken / wallet-side cancel
  // -------------------------------------------------------------------------------------------------------------

  revoke(input: RevokeInput): Outcome<{ grantId: string; repeated: boolean }> {
    const token = this.accessTokens.get(input.accessToken);
    const grant = token && this.grants.get(token.grantId);
    if (token === undefined || grant === undefined) return refuse('INVALID_ACCESS_TOKEN', 'accessToken is unknown');
    if (grant.clientId !== input.clientId || grant.platform !== input.platform) {
      return refuse('INVALID_ACCESS_TOKEN', 'accessToken was not issued to this client');
    }
    if (grant.status === 'REVOKED') {
      // Alipay+ cancelToken: the accessToken is the idempotency key — the same token gets the same result.
      if (input.platform === 'alipayplus' && grant.revokedWithToken === input.accessToken) {
        return ok({ grantId: grant.id, repeated: true });
      }
      return refuse('INVALID_ACCESS_TOKEN', 'accessToken was already revoked');
    }
    if (grant.status === 'CANCELED_BY_WALLET') return refuse('INVALID_ACCESS_TOKEN', 'the user canceled this authorization in the wallet');
    if (this.clock.now() >= token.expiresAt) return refuse('INVALID_ACCESS_TOKEN', 'accessToken expired');
    grant.status = 'REVOKED';
    grant.endedAt = this.clock.now();
    grant.revokedWithToken = input.accessToken;
    return ok({ grantId: grant.id, repeated: false });
  }

  /** The customer unlinks in the wallet app; the caller sends TOKEN_CANCELED. */
  cancelFromWallet(selector: { accessToken?: string; grantId?: string; authState?: string; clientId?: string }): Outcome<CanceledGrant> {
    const grant = this.findGrant(selector);
    if (grant === undefined) return refuse('INVALID_ACCESS_TOKEN', 'no such authorization');
    if (grant.status !== 'ACTIVE') return refuse('INVALID_ACCESS_TOKEN', 'the authorization already ended');
    const authorization = this.authorizations.get(grant.authorizationId);
    if (authorization === undefined) return refuse('INVALID_ACCESS_TOKEN', 'no such authorization');
    grant.status = 'CANCELED_BY_WALLET';
    grant.endedAt = this.clock.now();
    return ok({ grantId: grant.id, authorization, accessToken: grant.currentAccessToken });
  }

  private findGrant(selector: { accessToken?: string; grantId?: string; authState?: string; clientId?: string }): GrantRecord | undefined {
    if (selector.grantId !== undefined) return this.grants.get(selector.grantId);
    if (selector.accessToken !== undefined) {
      const token = this.accessTokens.get(selector.accessToken);
      return token && this.grants.get(token.grantId);
    }
    if (selector.authState !== undefined) {
      const authorization = this.findAuthorization(selector.authState, selector.clientId);
      if (authorization === undefined) return undefined;
      return [...this.grants.values()].find((g) => g.authorizationId === authorization.id);
    }
    return undefined;
  }

  /**
   * Whether an access token would be accepted right now (a payment would go through): its grant is active, it is
   * not expired, and it was not invalidated by a refresh.
   */
  isAccessTokenUsable(accessToken: string): boolean {
    const token = this.accessTokens.get(accessToken);
    const grant = token && this.grants.get(token.grantId);
    return token !== undefined && grant?.status === 'ACTIVE' && this.clock.now() < token.expiresAt;
  }

  listGrants(mask: (secret: string) => string): GrantView[] {
    return [...this.grants.values()].map((grant) => {
      const access = this.accessTokens.get(grant.currentAccessToken);
      const refresh = grant.currentRefreshToken === undefined ? undefined : this.refreshTokens.get(grant.currentRefreshToken);
      const authorization = this.authorizations.get(grant.authorizationId);
      return {
        grantId: grant.id,
        platform: grant.platform,
        clientId: grant.clientId,
        wallet: grant.wallet,
        authState: authorization?.authState ?? '',
        status: grant.status,
        createdAt: grant.createdAt,
        ...(grant.endedAt === undefined ? {} : { endedAt: grant.endedAt }),
        refreshCount: grant.refreshCount,
        accessToken: mask(grant.currentAccessToken),
        accessTokenExpiresAt: access?.expiresAt ?? 0,
        ...(refresh === undefined ? {} : { refreshToken: mask(refresh.token), refreshTokenExpiresAt: refresh.expiresAt }),
      };
    });
  }
}
