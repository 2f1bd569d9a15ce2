/**
 * Everything client code and the workflow share: names, signal/update/query definitions, input and public-view
 * types, search-attribute keys. Imports only @temporalio/workflow's definition helpers (safe outside a workflow),
 * @temporalio/common and pure modules, so the API, the client library and the worker can all import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ApplyTokenInput, ConsultOptions, LinkResult, Profile, TokenSet } from './activityContract';
import type { PolicyOverrides } from './policy';
import type { WebhookOutbox } from './webhookOutbox';

export type { ConsultOptions, LinkResult, Profile, TokenSet } from './activityContract';
export type { PolicyOverrides, AuthorizationPolicy } from './policy';

export const TASK_QUEUE = 'antom-auth';
export const WORKFLOW_TYPE = 'authorizationWorkflow';

/** One workflow per (wallet, customer): the id is the idempotency key of linking (one rule: authorizationIdentity). */
export { authorizationWorkflowId, parseAuthorizationWorkflowId, InvalidAuthorizationIdentityError } from './authorizationIdentity';
import { isDefaultMerchant } from './authorizationIdentity';

export const AUTHORIZATION_STATES = [
  'CONSULTING',
  'AWAITING_AUTH_CODE',
  'APPLYING_TOKEN',
  'ACTIVE',
  'REFRESHING',
  'NEEDS_ATTENTION',
  'REAUTH_REQUIRED',
  'REVOKING',
  'REVOKED',
  'CANCELED_BY_WALLET',
  'AUTHORIZATION_EXPIRED',
  'TOKEN_EXPIRED',
  'FAILED',
] as const;
export type AuthorizationState = (typeof AUTHORIZATION_STATES)[number];

export const TERMINAL_STATES: readonly AuthorizationState[] = [
  'REVOKED',
  'CANCELED_BY_WALLET',
  'AUTHORIZATION_EXPIRED',
  'TOKEN_EXPIRED',
  'FAILED',
];

export function isTerminalState(state: AuthorizationState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** The lifecycle phase a NEEDS_ATTENTION park resumes on operator retry. */
export type AttentionPhase = 'consult' | 'authCodeApply' | 'refresh' | 'revoke';

export interface AuthorizationInput {
  customerId: string;
  wallet: string;
  profile: Profile;
  /**
   * The merchant (MERCHANTS_FILE id) whose credentials every call of this authorization uses; absent for the default
   * merchant (the single-merchant ANTOM_* variables). Part of the workflow id too (authorizationIdentity.ts).
   */
  merchantId?: string;
  consult: ConsultOptions;
  policy?: PolicyOverrides;
  /** Set only by the workflow itself when it continues as new. Clients leave it out. */
  resume?: AuthorizationRecord;
}

/**
 * Requests the handlers raised and the steps have not acted on yet. Part of the record, so a request that arrives
 * just before a run turns over is acted on by the next run instead of being lost.
 */
export interface PendingRequests {
  /** The merchant's cancel (update, signal or a Temporal cancel): revoke, then REVOKED. */
  cancel: boolean;
  /** The wallet's TOKEN_CANCELED: drop the projection, CANCELED_BY_WALLET. */
  walletCanceled: boolean;
  refreshNow: boolean;
  operatorRetry: boolean;
  /** A link in REAUTH_REQUIRED, or one that asked for a fresh consult while the customer's URL was open. */
  newConsult: boolean;
  /** The authCode to exchange (set by deliverAuthCode). */
  authCode?: DeliverAuthCodeRequest;
  /** A signed notification's code that arrived while an unsigned redirect's code for the same authState was applied. */
  signedCodeWaiting?: DeliverAuthCodeRequest;
}

/**
 * The authorization's whole state: the live state of a run and, unchanged, the next run's input through
 * continue-as-new (one object, so nothing can be forgotten in between). Deadlines are absolute ISO instants because
 * relative timers do not survive continue-as-new. Holds tokens: the payload codec keeps them encrypted in history.
 * The refresh plan is not kept: it is a pure function of the tokens and the workflow id (refreshSchedule.ts).
 */
export interface AuthorizationRecord {
  state: AuthorizationState;
  tokens?: TokenSet;
  /** Orders projection writes and removals (ProjectTokenInput.version): workflow time, never decreasing. */
  tokenVersion: number;
  /** The current consult's answer (URL / QR); `linkUsed` once the customer came back from it without a code. */
  link?: LinkResult;
  linkUsed?: boolean;
  authorizationDeadline?: string;
  /** authStates whose authCode was already accepted (a late second delivery is a harmless duplicate). */
  acceptedAuthStates: string[];
  /** authCode deliveries seen: `authState|fingerprint|source` (dedupe on authState + code, and which was signed). */
  authCodeDeliveries: string[];
  refreshCount: number;
  reconsults: number;
  runCount: number;
  lastError?: AuthorizationError;
  attention?: AttentionInfo;
  linkedAt?: string;
  /** The search-attribute values last published (each upsert is a history event: only changes are published). */
  publishedSearchAttributes: string;
  /** The routing digest of the token the last refresh replaced: a TOKEN_CANCELED naming it still finds us. */
  previousTokenDigest?: string;
  /** The applyToken request in progress: every retry (Temporal's, an alert's next round, an operator's) repeats it. */
  exchange?: ApplyTokenInput;
  /**
   * Exchanges given up without adopting their answer. One of their attempts may still have been answered with a token
   * (journaled, never seen here): each is checked and such a token revoked, so none is orphaned at the wallet.
   */
  abandonedExchanges: ApplyTokenInput[];
  requests: PendingRequests;
  /**
   * State-change events not yet acknowledged by the merchant's webhook receiver (webhookOutbox.ts), delivered one at
   * a time beside the steps. Absent until the first event (and in records of runs older than webhooks).
   */
  webhooks?: WebhookOutbox;
}

export interface AuthorizationError {
  code: string;
  phase: AttentionPhase | 'projection';
  /** ISO 8601 (workflow time). */
  at: string;
}

export interface AttentionInfo {
  phase: AttentionPhase;
  code: string;
  since: string;
  /** may-have-succeeded: a final INVALID_* answered a retry of an exchange already sent (its answer may be lost). */
  reason: 'systemic' | 'retry-budget-exhausted' | 'may-have-succeeded';
  /**
   * A refresh alert: the workflow keeps retrying the identical request by itself (an operator retry only makes it
   * sooner) until `giveUpAt`, then REAUTH_REQUIRED. Absent for parks that wait for an operator.
   */
  retrying?: { failures: number; nextRetryAt: string; giveUpAt: string };
}

/** The public view (query, workflow result, API responses). Never holds a token or an authCode. */
export interface AuthorizationView {
  workflowId: string;
  /** This authorization under the workflow id (the chain's first run id); a relink after an end gets a new one. */
  authorizationId: string;
  wallet: string;
  customerId: string;
  /** The merchant whose credentials it uses ('default': the single-merchant ANTOM_* variables). */
  merchant: string;
  profile: Profile;
  state: AuthorizationState;
  linkResult?: LinkResult;
  /** ISO 8601: after this the current consult is void (15 minutes). Only while AWAITING_AUTH_CODE. */
  authorizationDeadline?: string;
  userLoginId?: string;
  /** Alipay+ only: the wallet the account is bound to, as the applyToken response gave it (no secret). */
  walletForAccountBinding?: Readonly<Record<string, unknown>>;
  accessTokenExpiry?: string;
  refreshTokenExpiry?: string;
  /** ISO 8601: the planned refresh, or (no refresh token) when REAUTH_REQUIRED will be raised. */
  nextRefreshAt?: string;
  nextAction?: 'refresh' | 'reauth';
  lastError?: AuthorizationError;
  attention?: AttentionInfo;
  /** Refreshes over the authorization's whole life, and in this run. */
  refreshCount: number;
  runRefreshes: number;
  linkedAt?: string;
}

// ---- updates -------------------------------------------------------------------------------------------------------

export interface LinkResponse {
  workflowId: string;
  state: AuthorizationState;
  /** True when an active token already exists: nothing for the customer to do. */
  alreadyLinked: boolean;
  /** Present while the customer has to act (AWAITING_AUTH_CODE). */
  link?: LinkResult;
  authorizationDeadline?: string;
  userLoginId?: string;
}

/**
 * The link answer a running authorization gives without an update, when linking would change nothing: it is active
 * (or alerting on a refresh), or waiting for the customer on a consult that is still open. Undefined otherwise (not
 * started, ended, relink needed, consulting, exchanging a code, revoking): then the link update decides. The same
 * fields as the workflow's own linkResponse, so both paths answer alike (the server caps updates per run).
 */
export function linkResponseFromView(view: AuthorizationView, nowMs: number): LinkResponse | undefined {
  const base = { workflowId: view.workflowId, state: view.state, ...(view.userLoginId ? { userLoginId: view.userLoginId } : {}) };
  if (view.state === 'ACTIVE' || view.state === 'REFRESHING' || (view.state === 'NEEDS_ATTENTION' && view.attention?.phase === 'refresh')) {
    return view.accessTokenExpiry ? { ...base, alreadyLinked: true } : undefined;
  }
  if (view.state === 'AWAITING_AUTH_CODE' && view.linkResult && view.authorizationDeadline && Date.parse(view.authorizationDeadline) > nowMs) {
    return { ...base, alreadyLinked: false, link: view.linkResult, authorizationDeadline: view.authorizationDeadline };
  }
  return undefined;
}

/**
 * Link: with update-with-start (USE_EXISTING) for a new authorization, or on an existing run. Returns the consult
 * result once it exists; {alreadyLinked} when a token is held; in REAUTH_REQUIRED it starts a new consult (relink).
 */
export interface LinkRequest {
  /** Ask for a fresh consult even though the current URL is still open (the customer says it no longer works). */
  newConsult?: boolean;
}
export const linkUpdate = defineUpdate<LinkResponse, []>('link');
/** The same `link` update with options (a call without arguments arrives as `undefined`). */
export const linkWithOptionsUpdate = defineUpdate<LinkResponse, [LinkRequest | undefined]>('link');

export interface LinkUsedSignal {
  /** The consult the customer came back from without a code (declined or left the wallet). */
  authState: string;
}
/**
 * The wallet redirect came back without a code: the URL is spent (Antom's URLs are single-use), so the next link gets
 * a fresh consult. Unsigned like the redirect itself; the worst a forged one does is cost a consult.
 */
export const linkUsedSignal = defineSignal<[LinkUsedSignal]>('linkUsed');

export interface DeliverAuthCodeRequest {
  authCode: string;
  authState: string;
  source: 'redirect' | 'notification';
}
export interface DeliverAuthCodeResponse {
  accepted: boolean;
  /** This authState's authCode was already delivered (the redirect and the notification both arrive). */
  duplicate: boolean;
  state: AuthorizationState;
}
/** Rejected (validator) when the authState is not the current consult's or no authCode is awaited. */
export const deliverAuthCodeUpdate = defineUpdate<DeliverAuthCodeResponse, [DeliverAuthCodeRequest]>('deliverAuthCode');

export interface CancelRequest {
  reason?: string;
}
/** Merchant cancel: revoke (non-cancellable) then REVOKED. Returns the view once settled (or parked). */
export const cancelUpdate = defineUpdate<AuthorizationView, [CancelRequest]>('cancel');
/**
 * The same cancel as a signal, for the Temporal UI's "Send signal" and `temporal workflow signal --name cancel`
 * (optional input `{"reason": "…"}`), and for the API's DELETE, which answers at once.
 */
export const cancelSignal = defineSignal<[CancelRequest?]>('cancel');

export interface ReprojectResponse {
  projected: boolean;
  state: AuthorizationState;
}
/** Re-writes the Redis projection from workflow state (payment-path fallback after a Redis loss). */
export const reprojectUpdate = defineUpdate<ReprojectResponse, []>('reproject');

// ---- signals -------------------------------------------------------------------------------------------------------

export interface WalletCanceledSignal {
  reason?: string;
}
/** The wallet's TOKEN_CANCELED notification: drop the projection, CANCELED_BY_WALLET, no revoke call. */
export const walletCanceledSignal = defineSignal<[WalletCanceledSignal]>('walletCanceled');

export interface RefreshNowSignal {
  reason?: string;
}
export const refreshNowSignal = defineSignal<[RefreshNowSignal]>('refreshNow');

export interface OperatorRetrySignal {
  note?: string;
}
/** Resumes a NEEDS_ATTENTION park in the phase it failed in. */
export const operatorRetrySignal = defineSignal<[OperatorRetrySignal]>('operatorRetry');

// ---- queries -------------------------------------------------------------------------------------------------------

export const publicStateQuery = defineQuery<AuthorizationView, []>('publicState');

export interface ServedAccessToken {
  accessToken: string;
  accessTokenExpiry: string;
  state: AuthorizationState;
  userLoginId?: string;
}
/**
 * The access token while it may be served (src/workflows/tokenServing.ts), else null. The payment path's fallback
 * when Redis cannot answer; the codec encrypts the answer in transit, and queries never reach history.
 */
export const accessTokenQuery = defineQuery<ServedAccessToken | null, []>('accessToken');

// ---- search attributes (register these on the namespace: `temporal operator search-attribute create`) ---------------

export const SEARCH_ATTRIBUTES = {
  state: defineSearchAttributeKey('AntomAuthorizationState', SearchAttributeType.KEYWORD),
  wallet: defineSearchAttributeKey('AntomWallet', SearchAttributeType.KEYWORD),
  customerId: defineSearchAttributeKey('AntomCustomerId', SearchAttributeType.KEYWORD),
  accessTokenExpiry: defineSearchAttributeKey('AntomAccessTokenExpiry', SearchAttributeType.DATETIME),
  nextRefreshAt: defineSearchAttributeKey('AntomNextRefreshAt', SearchAttributeType.DATETIME),
  /** While NEEDS_ATTENTION: the failing code and phase, so operators can retry by filter (POST /operator/retry). */
  attentionCode: defineSearchAttributeKey('AntomAttentionCode', SearchAttributeType.KEYWORD),
  attentionPhase: defineSearchAttributeKey('AntomAttentionPhase', SearchAttributeType.KEYWORD),
  /**
   * Notification routing that survives Redis loss (issue 12 §4): the latest consult's authState (not secret: the
   * wallet echoes it in the redirect URL), so AUTHCODE_CREATED finds its workflow by a visibility query...
   */
  authState: defineSearchAttributeKey('AntomAuthState', SearchAttributeType.KEYWORD),
  /**
   * ...and the routing digests (keyed HMACs, src/codec/routingDigest.ts — never the token) of the current and the
   * previous access token, so TOKEN_CANCELED finds it too, also for the token a refresh just replaced.
   */
  tokenDigests: defineSearchAttributeKey('AntomTokenDigests', SearchAttributeType.KEYWORD_LIST),
} as const;

/** Values embedded in a routing query: anything else is never looked up (no quoting games in a visibility query). */
const ROUTING_VALUE = /^[A-Za-z0-9_.:-]{1,256}$/;

/**
 * The visibility query finding the authorization that issued `authState` (any run: a continued or closed run keeps
 * its attributes; the caller delivers to the workflow id's current run). Undefined for a value outside ROUTING_VALUE.
 */
export function authStateRoutingQuery(authState: string): string | undefined {
  if (!ROUTING_VALUE.test(authState)) return undefined;
  return `${SEARCH_ATTRIBUTES.authState.name} = '${authState}'`;
}

/** The visibility query finding the authorization that recorded any of these token routing digests. */
export function tokenDigestRoutingQuery(digests: readonly string[]): string | undefined {
  const safe = digests.filter((digest) => ROUTING_VALUE.test(digest));
  if (safe.length === 0) return undefined;
  return `${SEARCH_ATTRIBUTES.tokenDigests.name} IN (${safe.map((digest) => `'${digest}'`).join(', ')})`;
}

/** A filter for the operator's bulk retry; each field narrows it (all absent: every NEEDS_ATTENTION authorization). */
export interface AttentionFilter {
  code?: string;
  wallet?: string;
  phase?: AttentionPhase;
}

/** The visibility query for a filter. Values are validated by the caller (codes, wallets and phases are [A-Za-z0-9_]). */
export function attentionQuery(filter: AttentionFilter): string {
  const clauses = [`${SEARCH_ATTRIBUTES.state.name} = 'NEEDS_ATTENTION'`, 'ExecutionStatus = \'Running\''];
  if (filter.code) clauses.push(`${SEARCH_ATTRIBUTES.attentionCode.name} = '${filter.code}'`);
  if (filter.wallet) clauses.push(`${SEARCH_ATTRIBUTES.wallet.name} = '${filter.wallet}'`);
  if (filter.phase) clauses.push(`${SEARCH_ATTRIBUTES.attentionPhase.name} = '${filter.phase}'`);
  return clauses.join(' AND ');
}

/** A static summary for the Temporal UI, set by the client at start. */
export function authorizationStaticSummary(wallet: string, customerId: string, merchant?: string): string {
  const whose = isDefaultMerchant(merchant) ? '' : ` · merchant ${merchant}`;
  return `Antom authorization${whose} · ${wallet} · customer ${customerId}`;
}
