/**
 * The sandbox's parts wired together: clock, merchants, wallet state, faults, notifier and request log, plus the
 * wallet-side actions that touch several of them (approve → authCode + AUTHCODE_CREATED; cancel in the wallet →
 * TOKEN_CANCELED). The HTTP servers (server.ts, adminApi.ts) and the in-process admin handle all go through here.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { SandboxClock } from './clock';
import { FaultBook } from './faults';
import { MerchantRegistry } from './merchants';
import { Notifier, NOTIFICATION_ACK } from './notifier';
import { RequestLog } from './requestLog';
import { SandboxSigningKeys } from './signingKeys';
import { SandboxState, disclosesUserLoginId, type AuthorizationRecord, type Outcome, type StateSettings } from './state';
import type { WalletPolicy } from './walletPolicies';
import { maskSecret } from './secretMask';

export interface CoreSettings {
  /** Accepted distance between request-time and the source clock; null = not checked. */
  requestTimeWindowMs: number | null;
  maxBodyBytes: number;
  /** UTC offset used for response-time, notification request-time and expiry times. */
  timeOffsetMinutes: number;
}

export interface ApprovedConsent {
  readonly authorizationId: string;
  readonly authState: string;
  readonly authCode: string;
  /** authRedirectUrl with authCode and authState appended: where the wallet sends the browser. */
  readonly redirectUrl: string;
  /** The AUTHCODE_CREATED notification's id, when a notify URL was known. */
  readonly notificationId?: number;
}

export interface WalletCancellation {
  readonly grantId: string;
  readonly authState: string;
  readonly notificationId?: number;
}

/** Picks an authorization for admin actions: by its id, or by authState (plus clientId when states may repeat). */
export interface AuthorizationSelector {
  readonly authorizationId?: string;
  readonly authState?: string;
  readonly clientId?: string;
}

const SUCCESS_RESULT = NOTIFICATION_ACK.result;

/**
 * Who the notification is about, in each platform's field names. Alipay+ always names the authClientId (its
 * notifications require one); Antom names it when the consult was made for a secondary merchant.
 */
function notificationIdentity(authorization: AuthorizationRecord): Record<string, string> {
  if (authorization.platform === 'alipayplus') {
    return { authClientId: authorization.authClientId ?? authorization.clientId, customerId: authorization.userId };
  }
  return { userId: authorization.userId, ...(authorization.authClientId === undefined ? {} : { authClientId: authorization.authClientId }) };
}

export function redirectUrlFor(authorization: AuthorizationRecord, authCode: string): string {
  const url = new URL(authorization.authRedirectUrl);
  url.searchParams.set('authCode', authCode);
  url.searchParams.set('authState', authorization.authState);
  return url.toString();
}

export class SandboxCore {
  readonly merchants = new MerchantRegistry();
  readonly faults = new FaultBook();
  readonly requests: RequestLog;
  readonly state: SandboxState;
  readonly notifier: Notifier;
  /** Antom's own key pairs by keyVersion and which one signs (switchable: a rotation on Antom's side). */
  readonly signingKeys: SandboxSigningKeys;

  constructor(
    readonly clock: SandboxClock,
    privateKey: KeyObject,
    readonly logger: Logger,
    policies: Map<string, WalletPolicy>,
    stateSettings: StateSettings,
    readonly settings: CoreSettings,
    notifierOptions: { scheduleMs?: readonly number[]; pollIntervalMs?: number; attemptTimeoutMs?: number; retainedFinished?: number },
  ) {
    this.state = new SandboxState(clock, policies, stateSettings);
    // One line per API call: who, what, which answer — never the body (even masked) in the process log.
    this.requests = new RequestLog(1_000, (entry) =>
      logger.info(
        { clientId: entry.clientId, endpoint: entry.endpoint ?? entry.path, httpStatus: entry.httpStatus, resultCode: entry.resultCode, fault: entry.fault },
        'antom request',
      ),
    );
    this.signingKeys = new SandboxSigningKeys(privateKey);
    this.notifier = new Notifier({ clock, signingKey: () => this.signingKeys.current(), logger, timeOffsetMinutes: settings.timeOffsetMinutes, ...notifierOptions });
  }

  /** The key responses and notifications are signed with now. */
  get privateKey(): KeyObject {
    return this.signingKeys.current().privateKey;
  }

  get publicKey(): KeyObject {
    return this.signingKeys.publicKey(this.signingKeys.currentVersion);
  }

  resolveAuthorization(selector: AuthorizationSelector): AuthorizationRecord | undefined {
    if (selector.authorizationId !== undefined) return this.state.getAuthorization(selector.authorizationId);
    if (selector.authState !== undefined) return this.state.findAuthorization(selector.authState, selector.clientId);
    return undefined;
  }

  private notifyUrlFor(authorization: AuthorizationRecord): string | undefined {
    return authorization.notifyUrl ?? this.merchants.get(authorization.clientId)?.notifyUrl;
  }

  /** The customer approves (consent page or admin): authCode, redirect URL, AUTHCODE_CREATED notification. */
  approve(authorizationId: string): Outcome<ApprovedConsent> {
    const approved = this.state.approve(authorizationId);
    if (!approved.ok) return approved;
    const { authorization, authCode } = approved.value;
    const url = this.notifyUrlFor(authorization);
    let notificationId: number | undefined;
    if (url !== undefined) {
      notificationId = this.notifier.enqueue({
        type: 'AUTHCODE_CREATED',
        url,
        clientId: authorization.clientId,
        body: {
          authorizationNotifyType: 'AUTHCODE_CREATED',
          authCode,
          authState: authorization.authState,
          ...(disclosesUserLoginId(authorization) ? { userLoginId: authorization.userLoginId } : {}),
          ...notificationIdentity(authorization),
          result: SUCCESS_RESULT,
        },
      });
    }
    this.logger.info({ authorization: authorization.id, authCode: maskSecret(authCode) }, 'consent approved');
    return {
      ok: true,
      value: {
        authorizationId: authorization.id,
        authState: authorization.authState,
        authCode,
        redirectUrl: redirectUrlFor(authorization, authCode),
        ...(notificationId === undefined ? {} : { notificationId }),
      },
    };
  }

  deny(authorizationId: string): Outcome<AuthorizationRecord> {
    const denied = this.state.deny(authorizationId);
    if (denied.ok) this.logger.info({ authorization: authorizationId }, 'consent denied');
    return denied;
  }

  /** The customer unlinks in the wallet app: the grant ends and a TOKEN_CANCELED notification goes out. */
  cancelFromWallet(
    selector: { accessToken?: string; grantId?: string; authState?: string; clientId?: string },
    reason = 'The user canceled the authorization in the wallet',
  ): Outcome<WalletCancellation> {
    const canceled = this.state.cancelFromWallet(selector);
    if (!canceled.ok) return canceled;
    const { authorization, accessToken, grantId } = canceled.value;
    const url = this.notifyUrlFor(authorization);
    let notificationId: number | undefined;
    if (url !== undefined) {
      notificationId = this.notifier.enqueue({
        type: 'TOKEN_CANCELED',
        url,
        clientId: authorization.clientId,
        body: {
          authorizationNotifyType: 'TOKEN_CANCELED',
          accessToken,
          authState: authorization.authState,
          reason,
          ...(disclosesUserLoginId(authorization) ? { userLoginId: authorization.userLoginId } : {}),
          ...notificationIdentity(authorization),
          result: SUCCESS_RESULT,
        },
      });
    }
    this.logger.info({ grant: grantId, accessToken: maskSecret(accessToken) }, 'canceled from the wallet');
    return {
      ok: true,
      value: { grantId, authState: authorization.authState, ...(notificationId === undefined ? {} : { notificationId }) },
    };
  }

  /** Forget every authorization, token, notification, fault and logged request; merchants and clock stay. */
  reset(): void {
    this.state.reset();
    this.faults.clear();
    this.requests.clear();
    this.notifier.reset();
  }

  async close(): Promise<void> {
    await this.notifier.close();
  }
}
