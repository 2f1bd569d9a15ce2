/**
 * What the HTTP routes need from the workflow side, as one injected object. In the service it is backed by the
 * typed client (src/client.ts, see fromAuthorizationClient); tests can back it with the offline environment's
 * client the same way. Keeping the routes on this seam means they never touch Temporal types directly.
 *
 * Failures the routes must tell apart are thrown as the typed errors below; anything else is a delivery failure
 * (Temporal unreachable, timeout) and the routes answer 503 without losing the request.
 */
import type { AttentionFilter, AuthorizationState } from '../workflows/definitions';
import type {
  AuthorizationView,
  ConsultOptions,
  DeliverAuthCodeRequest,
  DeliverAuthCodeResponse,
  LinkResponse,
  PolicyOverrides,
  Profile,
} from '../workflows/definitions';
import type { TokenMetadata } from '../store/tokenProjection';

export interface LinkCommand {
  wallet: string;
  customerId: string;
  profile: Profile;
  /** The merchant (MERCHANTS_FILE id); absent: the default merchant. */
  merchantId?: string;
  consult: ConsultOptions;
  policy?: PolicyOverrides;
  /** A fresh consult even though the current URL is still open (the customer says it no longer works). */
  newConsult?: boolean;
}

/** The payment path's answer (the shape of src/client.ts AccessToken). */
export interface AccessTokenRead {
  workflowId: string;
  accessToken: string;
  /** ISO 8601. */
  accessTokenExpiry: string;
  userLoginId?: string;
  state: string;
}

export interface AuthorizationOperations {
  link(command: LinkCommand): Promise<LinkResponse>;
  /** undefined when no such authorization exists. */
  getState(wallet: string, customerId: string): Promise<AuthorizationView | undefined>;
  /** Cancel and wait for the outcome (REVOKED, or parked in the revoke). */
  cancel(wallet: string, customerId: string, reason?: string): Promise<AuthorizationView>;
  /** Cancel and answer at once with the current view (the cancel signal). */
  requestCancel(wallet: string, customerId: string, reason?: string): Promise<AuthorizationView>;
  refreshNow(wallet: string, customerId: string, reason?: string): Promise<void>;
  operatorRetry(wallet: string, customerId: string, note?: string): Promise<void>;
  /** Bulk retry of NEEDS_ATTENTION authorizations by code / wallet / phase; the workflow ids signalled. */
  operatorRetryWhere(filter: AttentionFilter, note?: string): Promise<string[]>;
  /** The projected token (re-projected from the workflow on a Redis miss); undefined when none is usable. */
  getAccessToken(wallet: string, customerId: string): Promise<AccessTokenRead | undefined>;
  expiringBefore(before: Date, limit: number, states?: readonly AuthorizationState[]): Promise<TokenMetadata[]>;
  deliverAuthCode(workflowId: string, request: DeliverAuthCodeRequest): Promise<DeliverAuthCodeResponse>;
  walletCanceled(workflowId: string, reason?: string): Promise<void>;
  /** The customer came back from this consult without a code: its URL is spent, the next link gets a fresh one. */
  linkUsed(workflowId: string, authState: string): Promise<void>;
  /**
   * The same operations on another merchant's authorizations ((wallet, customerId) then names that merchant's
   * customer). Absent: only the default merchant exists.
   */
  forMerchant?(merchant: string): AuthorizationOperations;
}

/** No workflow with that id (never started, or finished and gone). */
export class AuthorizationNotFoundError extends Error {
  override readonly name = 'AuthorizationNotFoundError';
  constructor(readonly workflowId: string) {
    super(`no authorization ${workflowId}`);
  }
}

/**
 * The workflow refused the request (an update validator: wrong authState, no authCode awaited, already finished).
 * The message comes from our workflow code and holds no secret.
 */
export class AuthorizationRejectedError extends Error {
  override readonly name = 'AuthorizationRejectedError';
}
