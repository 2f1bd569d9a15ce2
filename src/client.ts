/**
 * The merchant backend's library: typed calls on the authorization workflows plus the payment path's token read.
 *
 *   const client = new AuthorizationClient({ workflowClient, redis, keyRing, keyPrefix?, taskQueue?, merchant? });
 *     merchant:       whose customers (wallet, customerId) name: a MERCHANTS_FILE id, default `default`;
 *                     client.forMerchant(id) is the same client for another merchant (README "Several merchants")
 *     workflowClient: @temporalio/client's `Client#workflow` built with createEncryptingDataConverter(keyRing)
 *                     (see connectAuthorizationClient), or any object of that shape (the offline test environment's)
 *   link(input, {newConsult?})           → LinkResponse          update-with-start, USE_EXISTING: idempotent
 *   getState(wallet, customerId)         → AuthorizationView     query (never tokens)
 *   cancel(wallet, customerId, reason?)  → AuthorizationView     revoke, then REVOKED (or NEEDS_ATTENTION if parked)
 *   deliverAuthCode({ authCode, authState, source }) → DeliverAuthCodeResult   routed by the authState index
 *   deliverAuthCodeTo(workflowId, { authCode, authState, source })  the same to a workflow found otherwise
 *   walletCanceled(wallet, customerId, reason?)      signal (TOKEN_CANCELED: no revoke call)
 *   walletCanceledByAccessToken(accessToken, reason?) → workflowId | undefined   TOKEN_CANCELED carries only the token
 *   refreshNow(wallet, customerId, reason?) / operatorRetry(wallet, customerId, note?)   signals
 *   getAccessToken(wallet, customerId)   → AccessToken | undefined   Redis projection, checked against tokenServing (state,
 *                                          expiry, withdrawal); on a miss the workflow re-projects; on a Redis error or
 *                                          an undecryptable value the workflow answers (accessToken query)
 *   expiringBefore(before, limit?, states?) → TokenMetadata[]     lifecycle index (metadata only), optionally by state
 *
 * Webhook receivers: verifyWebhook(rawBody, header, secrets, toleranceSec?) → WebhookEvent, WebhookVerificationError,
 * generateWebhookTestHeader (src/webhooks/verifyWebhook.ts; README "Webhooks").
 *
 * Failures: AuthorizationNotFoundError (no such workflow), UnknownAuthStateError (authState not in the index),
 * AuthorizationRequestRejectedError (the workflow refused the update, e.g. a wrong authState). Messages never carry
 * an authCode or a token.
 */
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowClient } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { createRedisClient, type RedisClient } from './store/redisClient';
import { clientConnectionOptions, loadTemporalConnection } from './temporalConnection';
import { createEncryptingDataConverter } from './codec/dataConverter';
import { parseKeyRingSpec, type KeyRing } from './codec/keyRing';
import type { Config } from './config';
import { AuthStateIndex } from './store/authStateIndex';
import { redisKeys } from './store/redisKeys';
import { TokenProjectionStore, type ProjectedToken, type TokenMetadata } from './store/tokenProjection';
import { isServable } from './workflows/tokenServing';
import { assertMerchantId, DEFAULT_MERCHANT_ID, isDefaultMerchant } from './workflows/authorizationIdentity';
import {
  TASK_QUEUE,
  WORKFLOW_TYPE,
  authorizationStaticSummary,
  authorizationWorkflowId,
  cancelSignal,
  cancelUpdate,
  deliverAuthCodeUpdate,
  linkUpdate,
  linkUsedSignal,
  linkWithOptionsUpdate,
  operatorRetrySignal,
  publicStateQuery,
  accessTokenQuery,
  refreshNowSignal,
  reprojectUpdate,
  walletCanceledSignal,
  type AuthorizationInput,
  type AuthorizationState,
  type AuthorizationView,
  type DeliverAuthCodeRequest,
  type DeliverAuthCodeResponse,
  type LinkResponse,
  type ServedAccessToken,
  type AttentionFilter,
  attentionQuery,
  linkResponseFromView,
} from './workflows/definitions';

export {
  DEFAULT_WEBHOOK_TOLERANCE_SEC,
  WebhookVerificationError,
  generateWebhookTestHeader,
  verifyWebhook,
  type VerifyWebhookOptions,
  type WebhookVerificationReason,
} from './webhooks/verifyWebhook';
export { WEBHOOK_EVENT_ID_HEADER, WEBHOOK_SIGNATURE_HEADER } from './webhooks/webhookSignature';
export type { WebhookAuthorizationView, WebhookEvent, WebhookEventType } from './workflows/webhookEvents';

/** What the merchant passes to link; `resume` is the workflow's own continue-as-new business. */
export type LinkInput = Omit<AuthorizationInput, 'resume'>;
/** How to link: `newConsult` asks for a fresh authorization URL even though the current one is still open. */
export interface LinkOptions {
  newConsult?: boolean;
}

/** The parts of @temporalio/client's WorkflowClient this library uses. */
export type AuthorizationWorkflowClient = Pick<WorkflowClient, 'executeUpdateWithStart' | 'getHandle'> & Partial<Pick<WorkflowClient, 'list'>>;

export interface AuthorizationClientOptions {
  workflowClient: AuthorizationWorkflowClient;
  redis: RedisClient;
  /** The same key ring as the worker: Redis values are sealed with it. */
  keyRing: KeyRing;
  /** config.redis.keyPrefix; default the store's default. */
  keyPrefix?: string;
  /** config.temporal.taskQueue; default TASK_QUEUE. */
  taskQueue?: string;
  /** Now in ms for the token-expiry check (tests with a virtual clock); default Date.now. */
  clock?: () => number;
  /**
   * Whose authorizations this client acts on: a MERCHANTS_FILE merchant id. Default `default` (the single-merchant
   * ANTOM_* variables). `forMerchant(id)` gives the same client for another merchant.
   */
  merchant?: string;
}

export interface DeliverAuthCodeResult extends DeliverAuthCodeResponse {
  workflowId: string;
}

/** The payment path's answer. */
export interface AccessToken {
  workflowId: string;
  accessToken: string;
  /** ISO 8601. */
  accessTokenExpiry: string;
  userLoginId?: string;
  /** The workflow state when the token was projected. */
  state: string;
  /** 'redis' when the projection was there; 'workflow' when it had to be rebuilt from the workflow first. */
  source: 'redis' | 'workflow';
}

export class AuthorizationNotFoundError extends Error {
  override readonly name = 'AuthorizationNotFoundError';
  constructor(readonly workflowId: string) {
    super(`no authorization workflow ${workflowId}`);
  }
}

export class UnknownAuthStateError extends Error {
  override readonly name = 'UnknownAuthStateError';
  constructor(readonly authState: string) {
    // authState is not secret: it travels in the redirect URL.
    super(`authState ${authState} belongs to no known authorization (expired, or never issued here)`);
  }
}

/** The workflow refused an update (its validator or handler threw): the reason is the workflow's message. */
export class AuthorizationRequestRejectedError extends Error {
  override readonly name = 'AuthorizationRequestRejectedError';
  constructor(readonly workflowId: string, readonly request: string, reason: string) {
    super(`${request} rejected by ${workflowId}: ${reason}`);
  }
}

export class AuthorizationClient {
  readonly taskQueue: string;
  readonly #workflows: AuthorizationWorkflowClient;
  readonly #tokens: TokenProjectionStore;
  readonly #authStates: AuthStateIndex;
  readonly #now: () => number;
  readonly #options: AuthorizationClientOptions;
  /** The merchant every (wallet, customerId) of this client belongs to. */
  readonly merchant: string;

  constructor(options: AuthorizationClientOptions) {
    this.#options = options;
    this.merchant = options.merchant ?? DEFAULT_MERCHANT_ID;
    assertMerchantId(this.merchant);
    this.#now = options.clock ?? Date.now;
    const keys = redisKeys(options.keyPrefix);
    this.taskQueue = options.taskQueue ?? TASK_QUEUE;
    this.#workflows = options.workflowClient;
    this.#tokens = new TokenProjectionStore(options.redis, { keyRing: options.keyRing, keys });
    this.#authStates = new AuthStateIndex(options.redis, { keys });
  }

  /** This client, acting on another merchant's authorizations (same connections). */
  forMerchant(merchant: string): AuthorizationClient {
    return merchant === this.merchant ? this : new AuthorizationClient({ ...this.#options, merchant });
  }

  /** The workflow id of one of this merchant's customers. */
  workflowId(wallet: string, customerId: string): string {
    return authorizationWorkflowId(wallet, customerId, this.merchant);
  }

  /**
   * Starts the authorization (or joins the running one) and returns its link: the URL/QR while the customer has to
   * act, { alreadyLinked } when a token is held, a fresh consult when a relink is needed. Calling it twice is safe.
   */
  async link(input: LinkInput, options: LinkOptions = {}): Promise<LinkResponse> {
    if (input.merchantId !== undefined && input.merchantId !== this.merchant) return this.forMerchant(input.merchantId).link(input, options);
    const { merchantId: _given, ...rest } = input;
    // The default merchant's input is as it always was (no merchantId): its histories replay unchanged.
    input = isDefaultMerchant(this.merchant) ? rest : { ...rest, merchantId: this.merchant };
    const workflowId = this.workflowId(input.wallet, input.customerId);
    // Nothing to change (active, or waiting on an open consult): answered from a query, so a backend that links on
    // every visit adds nothing to the run's history or its update count (the server caps both).
    // Any query failure (not started yet, a first task still pending) leaves it to the update, which is authoritative.
    if (!options.newConsult) {
      const view = await this.#handle(workflowId).query(publicStateQuery).catch(() => undefined);
      const unchanged = view ? linkResponseFromView(view, this.#now()) : undefined;
      if (unchanged) return unchanged;
    }
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: authorizationStaticSummary(input.wallet, input.customerId, this.merchant),
    });
    return this.#rejections(workflowId, 'link', () =>
      options.newConsult
        ? this.#workflows.executeUpdateWithStart(linkWithOptionsUpdate, { args: [{ newConsult: true }], startWorkflowOperation })
        : this.#workflows.executeUpdateWithStart(linkUpdate, { startWorkflowOperation }));
  }

  /**
   * The wallet sent the customer back without a code (declined, or left the wallet): that consult's URL is spent, so
   * the next link gets a fresh one. Unknown authorizations are ignored (the redirect is unsigned).
   */
  async linkUsed(workflowId: string, authState: string): Promise<void> {
    await this.#signal(workflowId, 'linkUsed', (handle) => handle.signal(linkUsedSignal, { authState }));
  }

  async getState(wallet: string, customerId: string): Promise<AuthorizationView> {
    const workflowId = this.workflowId(wallet, customerId);
    return this.#rejections(workflowId, 'getState', () => this.#handle(workflowId).query(publicStateQuery));
  }

  /**
   * Merchant cancel: the token leaves the payment path at once (withdrawn in Redis before the workflow is told, so
   * nothing serves it from the moment the cancel is accepted), then the workflow revokes it and ends REVOKED. When
   * Redis cannot withdraw it the cancel is not accepted (the error propagates; retry it).
   */
  async cancel(wallet: string, customerId: string, reason?: string): Promise<AuthorizationView> {
    const workflowId = this.workflowId(wallet, customerId);
    await this.#withdraw(workflowId);
    return this.#rejections(workflowId, 'cancel', () =>
      this.#handle(workflowId).executeUpdate(cancelUpdate, { args: [reason === undefined ? {} : { reason }] }),
    );
  }

  /**
   * The same cancel, answered at once: the token is withdrawn, the `cancel` signal sent, and the current view returned
   * (REVOKING until the revoke is done; poll getState, or use cancel() to wait).
   */
  async requestCancel(wallet: string, customerId: string, reason?: string): Promise<AuthorizationView> {
    const workflowId = this.workflowId(wallet, customerId);
    await this.#withdraw(workflowId);
    await this.#signal(workflowId, 'cancel', (handle) => handle.signal(cancelSignal, reason === undefined ? {} : { reason }));
    return this.#rejections(workflowId, 'getState', () => this.#handle(workflowId).query(publicStateQuery));
  }

  /**
   * Withdraws the token of the workflow's current authorization. The authorization is named by the projection when
   * there is one, else asked of the workflow (a token may be projected by a write already in flight).
   */
  async #withdraw(workflowId: string): Promise<void> {
    if ((await this.#tokens.withdraw(workflowId)) === 'withdrawn') return;
    let authorizationId: string | undefined;
    try {
      authorizationId = (await this.#handle(workflowId).query(publicStateQuery)).authorizationId;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return; // nothing to withdraw; the update below reports the absence
      throw error;
    }
    if (authorizationId) await this.#tokens.withdraw(workflowId, authorizationId);
  }

  /**
   * Hands an authCode (from the wallet redirect or the AUTHCODE_CREATED notification) to its workflow. Both arrive;
   * the second is answered { duplicate: true }. A wrong authState is rejected by the workflow.
   */
  async deliverAuthCode(request: DeliverAuthCodeRequest): Promise<DeliverAuthCodeResult> {
    return this.deliverAuthCodeTo(await this.workflowIdForAuthState(request.authState), request);
  }

  /** deliverAuthCode to a workflow already found (the API routes by Redis, then Temporal visibility). */
  async deliverAuthCodeTo(workflowId: string, request: DeliverAuthCodeRequest): Promise<DeliverAuthCodeResult> {
    const response = await this.#rejections(workflowId, 'deliverAuthCode', () =>
      this.#handle(workflowId).executeUpdate(deliverAuthCodeUpdate, {
        args: [{ authCode: request.authCode, authState: request.authState, source: request.source }],
      }),
    );
    return { ...response, workflowId };
  }

  /**
   * The workflow an authState was issued by. The index is written by the consult activity before Antom is even
   * called; authStates are random UUIDs, so without the index there is nothing to derive the workflow from.
   */
  async workflowIdForAuthState(authState: string): Promise<string> {
    const workflowId = await this.#authStates.get(authState);
    if (workflowId === undefined) throw new UnknownAuthStateError(authState);
    return workflowId;
  }

  /** The wallet's TOKEN_CANCELED: withdraw the token at once, then end CANCELED_BY_WALLET without calling revoke. */
  async walletCanceled(wallet: string, customerId: string, reason?: string): Promise<void> {
    const workflowId = this.workflowId(wallet, customerId);
    await this.#withdraw(workflowId);
    await this.#signal(workflowId, 'walletCanceled', (handle) => handle.signal(walletCanceledSignal, reason === undefined ? {} : { reason }));
  }

  /** TOKEN_CANCELED identifies the authorization only by its access token: found via the token-digest index. */
  async walletCanceledByAccessToken(accessToken: string, reason?: string): Promise<string | undefined> {
    const workflowId = await this.#tokens.workflowIdForAccessToken(accessToken);
    if (workflowId === undefined) return undefined;
    await this.#withdraw(workflowId);
    await this.#signal(workflowId, 'walletCanceled', (handle) => handle.signal(walletCanceledSignal, reason === undefined ? {} : { reason }));
    return workflowId;
  }

  async refreshNow(wallet: string, customerId: string, reason?: string): Promise<void> {
    await this.#signal(this.workflowId(wallet, customerId), 'refreshNow', (handle) =>
      handle.signal(refreshNowSignal, reason === undefined ? {} : { reason }),
    );
  }

  /** Resumes a NEEDS_ATTENTION authorization in the phase it failed in (after the operator fixed the cause). */
  async operatorRetry(wallet: string, customerId: string, note?: string): Promise<void> {
    await this.#signal(this.workflowId(wallet, customerId), 'operatorRetry', (handle) =>
      handle.signal(operatorRetrySignal, note === undefined ? {} : { note }),
    );
  }

  /**
   * The access token for a payment. Read from the Redis projection; when it is missing (Redis flushed, a failed
   * projection) the workflow — the source of truth — re-projects it and it is read again. Undefined when the
   * authorization holds no token (not linked yet, revoked, canceled) or does not exist.
   */
  async getAccessToken(wallet: string, customerId: string): Promise<AccessToken | undefined> {
    const workflowId = this.workflowId(wallet, customerId);
    let projected: ProjectedToken | undefined;
    let withdrawn: boolean;
    try {
      projected = await this.#tokens.get(workflowId);
      withdrawn = projected === undefined && (await this.#tokens.isWithdrawn(workflowId));
    } catch {
      // Redis down, or a value sealed with a key no longer in ENCRYPTION_KEYS: the workflow is the source of truth.
      return this.#tokenFromWorkflow(workflowId);
    }
    if (withdrawn) return undefined;
    // The projection's state and expiry are checked on every read (tokenServing), not trusted to be current.
    if (projected) return this.#servable(projected) ? accessTokenFrom(projected, 'redis') : undefined;
    let reprojected: { projected: boolean; state: AuthorizationState };
    try {
      reprojected = await this.#rejections(workflowId, 'reproject', () => this.#handle(workflowId).executeUpdate(reprojectUpdate));
    } catch (error) {
      if (error instanceof AuthorizationNotFoundError) return undefined;
      // The projection could not be written (Redis failing between the two calls): answer from the workflow.
      if (error instanceof AuthorizationRequestRejectedError) return this.#tokenFromWorkflow(workflowId);
      throw error;
    }
    if (!reprojected.projected) return undefined;
    const rebuilt = await this.#tokens.get(workflowId).catch(() => undefined);
    if (!rebuilt) return this.#tokenFromWorkflow(workflowId);
    return this.#servable(rebuilt) ? accessTokenFrom(rebuilt, 'workflow') : undefined;
  }

  /** A projection found in Redis is not withdrawn (a withdrawal removes it); its state and expiry still decide. */
  #servable(projected: ProjectedToken): boolean {
    return isServable({ state: projected.state, accessTokenExpiry: projected.accessTokenExpiry, withdrawn: false, nowMs: this.#now() });
  }

  /** The token as the workflow holds it, when tokenServing allows it (its accessToken query); then re-projected. */
  async #tokenFromWorkflow(workflowId: string): Promise<AccessToken | undefined> {
    let served: ServedAccessToken | null;
    try {
      served = await this.#handle(workflowId).query(accessTokenQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
    if (!served) return undefined;
    // Rebuild the projection in the background; the answer does not wait for (or depend on) Redis.
    this.#handle(workflowId).executeUpdate(reprojectUpdate).catch(() => undefined);
    return accessTokenFrom({ workflowId, ...served }, 'workflow');
  }

  /**
   * The operator's bulk retry: every running NEEDS_ATTENTION authorization matching `filter` (found by a visibility
   * query on the search attributes) gets an operatorRetry. Returns the workflow ids signalled. Needs a Temporal client
   * with visibility (`list`).
   */
  async operatorRetryWhere(filter: AttentionFilter, note?: string): Promise<string[]> {
    if (!this.#workflows.list) throw new Error('the bulk retry needs a Temporal client with visibility (WorkflowClient.list)');
    const retried: string[] = [];
    for await (const execution of this.#workflows.list({ query: attentionQuery(filter) })) {
      try {
        await this.#handle(execution.workflowId).signal(operatorRetrySignal, note === undefined ? {} : { note });
        retried.push(execution.workflowId);
      } catch (error) {
        // Closed between the query and the signal: nothing to retry.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    return retried;
  }

  /** Authorizations whose access token expires before `before`, earliest first (metadata, no tokens). */
  async expiringBefore(before: Date | number, limit?: number, states?: readonly AuthorizationState[]): Promise<TokenMetadata[]> {
    return this.#tokens.expiringBefore(before, limit, states ? { states } : {});
  }

  #handle(workflowId: string) {
    return this.#workflows.getHandle(workflowId);
  }

  async #signal(workflowId: string, request: string, send: (handle: ReturnType<AuthorizationWorkflowClient['getHandle']>) => Promise<void>): Promise<void> {
    await this.#rejections(workflowId, request, () => send(this.#handle(workflowId)));
  }

  /** Temporal's errors, translated into this library's (no update payloads are ever echoed). */
  async #rejections<T>(workflowId: string, request: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new AuthorizationNotFoundError(workflowId);
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause as { message?: unknown } | undefined;
        throw new AuthorizationRequestRejectedError(workflowId, request, typeof cause?.message === 'string' ? cause.message : 'update failed');
      }
      throw error;
    }
  }
}

function accessTokenFrom(
  projected: { workflowId: string; accessToken: string; accessTokenExpiry: string; userLoginId?: string; state: string },
  source: AccessToken['source'],
): AccessToken {
  return {
    workflowId: projected.workflowId,
    accessToken: projected.accessToken,
    accessTokenExpiry: projected.accessTokenExpiry,
    ...(projected.userLoginId ? { userLoginId: projected.userLoginId } : {}),
    state: projected.state,
    source,
  };
}

export interface ConnectedAuthorizationClient {
  client: AuthorizationClient;
  close(): Promise<void>;
}

/**
 * Connects to Temporal (config.temporal.address) and Redis with the encrypting data converter, for a merchant
 * backend using the library directly. `npm start`'s embedded dev server passes its own address.
 */
export async function connectAuthorizationClient(
  config: Config,
  options: { keyRing?: KeyRing; temporalAddress?: string; merchant?: string } = {},
): Promise<ConnectedAuthorizationClient> {
  const keyRing = options.keyRing ?? (config.encryptionKeys ? parseKeyRingSpec(config.encryptionKeys) : undefined);
  if (!keyRing) throw new Error('ENCRYPTION_KEYS is required: the client must encrypt payloads exactly as the worker does');
  const address = options.temporalAddress ?? config.temporal.address;
  if (!address) throw new Error('TEMPORAL_ADDRESS is required to connect the client');
  // TLS / mTLS / API key exactly as the worker connects (TEMPORAL_TLS*, TEMPORAL_API_KEY); a TemporalConnectionConfigError names the setting.
  const connection = await Connection.connect(clientConnectionOptions(loadTemporalConnection(config.temporal, address)));
  const redis = createRedisClient(config.redis, { maxRetriesPerRequest: 2 });
  const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: createEncryptingDataConverter(keyRing) });
  const client = new AuthorizationClient({
    workflowClient: temporal.workflow,
    redis,
    keyRing,
    keyPrefix: config.redis.keyPrefix,
    taskQueue: config.temporal.taskQueue,
    ...(options.merchant ? { merchant: options.merchant } : {}),
  });
  return {
    client,
    async close() {
      // Redis is released even when closing the Temporal connection fails.
      try {
        await connection.close();
      } finally {
        redis.disconnect();
      }
    },
  };
}
