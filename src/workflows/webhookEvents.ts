/**
 * The state-change events delivered to the merchant backend (webhooks), and which transition makes which event.
 * Pure: the workflow builds events with it, the delivery activity and verifyWebhook's callers read the same types.
 *
 * An event carries the public view of the authorization (a whitelist of AuthorizationView fields), never a token,
 * a refresh token, an authCode or an authState: what the merchant needs to react, nothing the payment path uses.
 */
import type { AttentionInfo, AuthorizationError, AuthorizationState, AuthorizationView } from './definitions';

/** One event per state change the merchant acts on; transient states (CONSULTING, REFRESHING, …) are not events. */
export const WEBHOOK_EVENT_TYPES = [
  'ACTIVE',
  'REFRESHED',
  'NEEDS_ATTENTION',
  'REAUTH_REQUIRED',
  'TOKEN_EXPIRED',
  'REVOKED',
  'CANCELED_BY_WALLET',
  'AUTHORIZATION_EXPIRED',
  'FAILED',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The public view as a webhook shows it. Every field is safe to store and log on the merchant's side. */
export interface WebhookAuthorizationView {
  workflowId: string;
  authorizationId: string;
  wallet: string;
  customerId: string;
  /** Whose customer ('default': the single-merchant ANTOM_* variables). Absent in events recorded before merchants. */
  merchant?: string;
  state: AuthorizationState;
  userLoginId?: string;
  accessTokenExpiry?: string;
  refreshTokenExpiry?: string;
  nextRefreshAt?: string;
  nextAction?: 'refresh' | 'reauth';
  attention?: AttentionInfo;
  lastError?: AuthorizationError;
  refreshCount: number;
  linkedAt?: string;
}

export interface WebhookEvent {
  /** `${authorizationId}:${sequence}`: the same on every redelivery of this event, unique across authorizations. */
  id: string;
  type: WebhookEventType;
  /**
   * 1, 2, 3, … per authorization, across continue-as-new. A receiver that has processed n ignores any event ≤ n
   * (a late redelivery); a gap means events were dropped at the outbox bound (the receiver was down for long).
   */
  sequence: number;
  /** ISO 8601, workflow time of the state change. */
  occurredAt: string;
  authorization: WebhookAuthorizationView;
}

/**
 * The fields a webhook may carry, copied one by one from the view: a field added to the view later (or a token
 * spread into it by mistake) never reaches the merchant unless it is named here.
 */
export function webhookViewOf(view: AuthorizationView): WebhookAuthorizationView {
  return {
    workflowId: view.workflowId,
    authorizationId: view.authorizationId,
    wallet: view.wallet,
    customerId: view.customerId,
    ...(view.merchant !== undefined ? { merchant: view.merchant } : {}),
    state: view.state,
    ...(view.userLoginId !== undefined ? { userLoginId: view.userLoginId } : {}),
    ...(view.accessTokenExpiry !== undefined ? { accessTokenExpiry: view.accessTokenExpiry } : {}),
    ...(view.refreshTokenExpiry !== undefined ? { refreshTokenExpiry: view.refreshTokenExpiry } : {}),
    ...(view.nextRefreshAt !== undefined ? { nextRefreshAt: view.nextRefreshAt } : {}),
    ...(view.nextAction !== undefined ? { nextAction: view.nextAction } : {}),
    ...(view.attention !== undefined ? { attention: attentionOf(view.attention) } : {}),
    ...(view.lastError !== undefined ? { lastError: { code: view.lastError.code, phase: view.lastError.phase, at: view.lastError.at } } : {}),
    refreshCount: view.refreshCount,
    ...(view.linkedAt !== undefined ? { linkedAt: view.linkedAt } : {}),
  };
}

function attentionOf(attention: AttentionInfo): AttentionInfo {
  const { phase, code, since, reason, retrying } = attention;
  return {
    phase,
    code,
    since,
    reason,
    ...(retrying ? { retrying: { failures: retrying.failures, nextRetryAt: retrying.nextRetryAt, giveUpAt: retrying.giveUpAt } } : {}),
  };
}

/** What the workflow knows about one state change. */
export interface StateChange {
  from: AuthorizationState;
  to: AuthorizationState;
  /** ACTIVE reached by a refresh (REFRESHED), rather than by an authCode exchange (ACTIVE: linked or relinked). */
  refreshed?: boolean;
  /** NEEDS_ATTENTION's code and phase before and after: a new code or phase while parked is a new event. */
  attentionBefore?: Pick<AttentionInfo, 'code' | 'phase'>;
  attentionAfter?: Pick<AttentionInfo, 'code' | 'phase'>;
}

/**
 * The event a state change makes, or undefined. A refresh alert repeating the same code in the same phase (each
 * failed round re-enters NEEDS_ATTENTION) is not a new event; a refresh that succeeds is REFRESHED whether it came
 * from ACTIVE or out of the alert.
 */
export function webhookEventTypeFor(change: StateChange): WebhookEventType | undefined {
  const { from, to } = change;
  switch (to) {
    case 'ACTIVE':
      if (from === 'ACTIVE') return change.refreshed ? 'REFRESHED' : undefined;
      return change.refreshed ? 'REFRESHED' : 'ACTIVE';
    case 'NEEDS_ATTENTION': {
      if (from !== 'NEEDS_ATTENTION') return 'NEEDS_ATTENTION';
      const before = change.attentionBefore;
      const after = change.attentionAfter;
      return before?.code === after?.code && before?.phase === after?.phase ? undefined : 'NEEDS_ATTENTION';
    }
    case 'REAUTH_REQUIRED':
    case 'TOKEN_EXPIRED':
    case 'REVOKED':
    case 'CANCELED_BY_WALLET':
    case 'AUTHORIZATION_EXPIRED':
    case 'FAILED':
      return from === to ? undefined : to;
    default:
      return undefined;
  }
}
