/**
 * The authorization entity: its one state object (`record`, also the continue-as-new input), what it shows (view,
 * search attributes, current details, the Redis projection), and the transitions every step shares (adopt a token,
 * apply the failure table, raise the refresh alert, abandon an exchange, turn the run over). The steps per state are
 * in authorizationSteps.ts, the message handlers in authorizationHandlers.ts, the decisions in pure modules
 * (failureDecision, refreshSchedule, tokenServing, policy).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  setCurrentDetails,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ApplyTokenInput, MerchantScoped, RevokeInput, TokenSet } from './activityContract';
import { DEFAULT_MERCHANT_ID, isDefaultMerchant } from './authorizationIdentity';
import { summarizeActivityFailure } from './activityFailure';
import { authorizationActivities, type AuthorizationActivityStubs } from './authorizationActivities';
import {
  SEARCH_ATTRIBUTES,
  isTerminalState,
  type AttentionInfo,
  type AttentionPhase,
  type AuthorizationInput,
  type AuthorizationRecord,
  type AuthorizationState,
  type AuthorizationView,
  type LinkResponse,
} from './definitions';
import { decideOnFailure, type FailurePhase } from './failureDecision';
import { routingAttributes } from './notificationRouting';
import { InvalidPolicyError, resolvePolicy, type AuthorizationPolicy } from './policy';
import { planRefresh, refreshGiveUpAt, refreshRetryDelay, type RefreshPlan } from './refreshSchedule';
import { webhookEventTypeFor, webhookViewOf } from './webhookEvents';
import { EMPTY_OUTBOX, appendWebhookEvent, shouldEmit, type WebhookOutbox } from './webhookOutbox';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
export const remainingMs = (deadline: number): number => Math.max(0, deadline - Date.now());

function initialRecord(): AuthorizationRecord {
  return {
    state: 'CONSULTING',
    tokenVersion: 0,
    acceptedAuthStates: [],
    authCodeDeliveries: [],
    refreshCount: 0,
    reconsults: 0,
    runCount: 0,
    publishedSearchAttributes: '',
    abandonedExchanges: [],
    requests: { cancel: false, walletCanceled: false, refreshNow: false, operatorRetry: false, newConsult: false },
  };
}

export class Authorization {
  readonly workflowId = workflowInfo().workflowId;
  readonly policy: AuthorizationPolicy;
  readonly acts: AuthorizationActivityStubs;
  /** Everything that survives continue-as-new, as it is: the next run's `input.resume`. */
  readonly record: AuthorizationRecord;
  /** Per run: the refresh plan (recomputed from the tokens), the run's deadline and refreshes, what Redis shows. */
  plan: RefreshPlan | undefined;
  runRefreshes = 0;
  /** Long waits end here and continue as new (policy.maxRunMs), so no run collects updates for years. */
  readonly runDeadline: number;
  private projectedShape: string | undefined;

  constructor(readonly input: AuthorizationInput) {
    this.policy = policyOrFail(input.policy);
    this.acts = authorizationActivities(this.policy);
    const base = initialRecord();
    const resume = input.resume;
    this.record = resume ? { ...base, ...resume, requests: { ...base.requests, ...resume.requests } } : base;
    this.record.runCount += 1;
    this.runDeadline = Date.now() + this.policy.maxRunMs;
  }

  // ---- reading the state ---------------------------------------------------------------------------------------

  /** A method, not a field comparison: TypeScript would keep `state` narrowed across the awaits in a step. */
  get state(): AuthorizationState {
    return this.record.state;
  }
  get tokens(): TokenSet | undefined {
    return this.record.tokens;
  }
  /** The merchant canceled or the wallet did: the token is withdrawn from the payment path from this moment. */
  withdrawn(): boolean {
    return this.record.requests.cancel || this.record.requests.walletCanceled;
  }
  refreshAllowed(): boolean {
    return this.record.tokens?.refreshToken !== undefined;
  }
  tokenStillValid(): boolean {
    return this.record.tokens !== undefined && Date.parse(this.record.tokens.accessTokenExpiry) > Date.now();
  }
  runExpired(): boolean {
    return Date.now() >= this.runDeadline;
  }
  /** A cancel that reached its revoke and parked there (the revoke keeps failing): waits for an operator. */
  parkedInRevoke(): boolean {
    return this.record.state === 'NEEDS_ATTENTION' && this.record.attention?.phase === 'revoke';
  }

  view(): AuthorizationView {
    const r = this.record;
    const { wallet, customerId, profile, merchantId } = this.input;
    const awaiting = r.state === 'AWAITING_AUTH_CODE';
    return {
      workflowId: this.workflowId,
      authorizationId: workflowInfo().firstExecutionRunId,
      wallet,
      customerId,
      merchant: merchantId ?? DEFAULT_MERCHANT_ID,
      profile,
      state: r.state,
      // A spent URL is not shown: the next link gets a fresh consult.
      ...(r.link && awaiting && !r.linkUsed ? { linkResult: r.link, authorizationDeadline: r.authorizationDeadline } : {}),
      ...(r.tokens?.userLoginId ? { userLoginId: r.tokens.userLoginId } : {}),
      ...(r.tokens?.walletForAccountBinding ? { walletForAccountBinding: r.tokens.walletForAccountBinding } : {}),
      ...(r.tokens ? { accessTokenExpiry: r.tokens.accessTokenExpiry } : {}),
      ...(r.tokens?.refreshTokenExpiry ? { refreshTokenExpiry: r.tokens.refreshTokenExpiry } : {}),
      ...(this.plan && (r.state === 'ACTIVE' || r.state === 'REFRESHING') ? { nextRefreshAt: iso(this.plan.at), nextAction: this.plan.kind } : {}),
      ...(r.lastError ? { lastError: r.lastError } : {}),
      ...(r.attention && r.state === 'NEEDS_ATTENTION' ? { attention: r.attention } : {}),
      refreshCount: r.refreshCount,
      runRefreshes: this.runRefreshes,
      ...(r.linkedAt ? { linkedAt: r.linkedAt } : {}),
    };
  }

  linkResponse(): LinkResponse {
    const r = this.record;
    return {
      workflowId: this.workflowId,
      state: r.state,
      // A token that is being revoked (or that the wallet canceled) is no link to report.
      alreadyLinked:
        r.tokens !== undefined && !this.withdrawn()
        && r.state !== 'AWAITING_AUTH_CODE' && r.state !== 'CONSULTING' && r.state !== 'REVOKING' && !isTerminalState(r.state),
      ...(r.link && ((r.state === 'AWAITING_AUTH_CODE' && !r.linkUsed) || (r.state === 'APPLYING_TOKEN' && !r.tokens))
        ? { link: r.link, authorizationDeadline: r.authorizationDeadline }
        : {}),
      ...(r.tokens?.userLoginId ? { userLoginId: r.tokens.userLoginId } : {}),
    };
  }

  // ---- what the Temporal UI and Redis show ---------------------------------------------------------------------

  searchAttributePairs(): SearchAttributeUpdatePair[] {
    const r = this.record;
    const alerting = r.state === 'NEEDS_ATTENTION' && r.attention;
    const nextRefresh = this.plan && (r.state === 'ACTIVE' || r.state === 'REFRESHING') ? new Date(this.plan.at) : null;
    const routing = routingAttributes(r);
    return [
      // REFRESHING lasts seconds; publishing it would cost a history event per cycle for no one to see.
      { key: SEARCH_ATTRIBUTES.state, value: r.state === 'REFRESHING' ? 'ACTIVE' : r.state },
      { key: SEARCH_ATTRIBUTES.wallet, value: this.input.wallet },
      { key: SEARCH_ATTRIBUTES.customerId, value: this.input.customerId },
      { key: SEARCH_ATTRIBUTES.accessTokenExpiry, value: r.tokens ? new Date(r.tokens.accessTokenExpiry) : null },
      { key: SEARCH_ATTRIBUTES.nextRefreshAt, value: nextRefresh },
      { key: SEARCH_ATTRIBUTES.attentionCode, value: alerting ? r.attention!.code : null },
      { key: SEARCH_ATTRIBUTES.attentionPhase, value: alerting ? r.attention!.phase : null },
      // Notification routing without Redis (notificationRouting.ts).
      { key: SEARCH_ATTRIBUTES.authState, value: routing.authState },
      { key: SEARCH_ATTRIBUTES.tokenDigests, value: routing.tokenDigests },
    ];
  }

  /** Search attributes (only when they change: each upsert is a history event) and the UI's current details. */
  publish(): void {
    const pairs = this.searchAttributePairs();
    const key = pairs.map((p) => (p.value instanceof Date ? p.value.toISOString() : Array.isArray(p.value) ? p.value.join(',') : String(p.value))).join('|');
    if (key !== this.record.publishedSearchAttributes) {
      upsertSearchAttributes(pairs);
      this.record.publishedSearchAttributes = key;
    }
    setCurrentDetails(this.details());
  }

  private details(): string {
    const r = this.record;
    const lines = [`**${r.state}** · ${this.input.wallet} · customer ${this.input.customerId}`];
    if (r.tokens?.userLoginId) lines.push(`Linked account: ${r.tokens.userLoginId}`);
    if (r.state === 'AWAITING_AUTH_CODE' && r.authorizationDeadline) lines.push(`Waiting for the customer until ${r.authorizationDeadline}`);
    if (r.tokens) lines.push(`Access token expires ${r.tokens.accessTokenExpiry}`);
    if (this.plan && r.state === 'ACTIVE') lines.push(`Next ${this.plan.kind === 'refresh' ? 'refresh' : 'reauthorization notice'}: ${iso(this.plan.at)}`);
    const attention = r.attention;
    if (attention && r.state === 'NEEDS_ATTENTION') {
      lines.push(
        attention.retrying
          ? `Needs attention: ${attention.code} during ${attention.phase} since ${attention.since}; retry ${attention.retrying.failures + 1} at ${attention.retrying.nextRetryAt}, REAUTH_REQUIRED from ${attention.retrying.giveUpAt}; operatorRetry retries now`
          : `Needs attention: ${attention.code} during ${attention.phase} (${attention.reason}) since ${attention.since}; send operatorRetry after fixing`,
      );
    }
    if (r.abandonedExchanges.length > 0) lines.push(`Checking ${r.abandonedExchanges.length} abandoned exchange(s) for a token to revoke`);
    if (r.lastError) lines.push(`Last error: ${r.lastError.code} (${r.lastError.phase}) at ${r.lastError.at}`);
    lines.push(`Refreshes: ${r.refreshCount} (run ${r.runCount})`);
    return lines.join('\n');
  }

  /**
   * The one place a state is entered: published (search attributes, details) and, when the change is one the
   * merchant hears of (webhookEvents.ts), appended to the webhook outbox. `refreshed`: ACTIVE reached by a refresh.
   */
  enter(next: AuthorizationState, cause: { refreshed?: boolean } = {}): void {
    const from = this.record.state;
    this.record.state = next;
    this.publish();
    this.emitWebhook(from, next, cause.refreshed === true);
  }

  // ---- webhooks ------------------------------------------------------------------------------------------------

  get outbox(): WebhookOutbox {
    return this.record.webhooks ?? EMPTY_OUTBOX;
  }

  /** The worker answered that WEBHOOK_URL is not set: nothing is emitted (webhookOutbox.ts, `off`). */
  get webhooksOff(): boolean {
    return this.outbox.off === true;
  }

  private emitWebhook(from: AuthorizationState, to: AuthorizationState, refreshed: boolean): void {
    const outbox = this.outbox;
    const attention = this.record.attention;
    const type = webhookEventTypeFor({
      from,
      to,
      refreshed,
      ...(outbox.lastAttention ? { attentionBefore: outbox.lastAttention } : {}),
      ...(attention ? { attentionAfter: { code: attention.code, phase: attention.phase } } : {}),
    });
    if (!type || !shouldEmit(outbox, type)) return;
    const before = outbox.dropped;
    const next = appendWebhookEvent(outbox, { type, occurredAt: new Date(Date.now()).toISOString(), authorization: webhookViewOf(this.view()) }, this.policy.webhookOutboxLimit);
    this.record.webhooks = to === 'NEEDS_ATTENTION' && attention
      ? { ...next, lastAttention: { code: attention.code, phase: attention.phase } }
      : next;
    if (next.dropped > before) log.warn('webhook outbox full: the oldest waiting event was dropped', { workflowId: this.workflowId, dropped: next.dropped });
  }

  recordError(code: string, phase: FailurePhase): void {
    this.record.lastError = { code, phase, at: new Date(Date.now()).toISOString() };
  }

  /** The next action the read model shows: the planned refresh, or the next retry while a refresh alert is raised. */
  private projectedNextAt(): string | undefined {
    const r = this.record;
    return r.state === 'NEEDS_ATTENTION' && r.attention?.retrying ? r.attention.retrying.nextRetryAt : this.plan ? iso(this.plan.at) : undefined;
  }

  /** Writes the token and its state to Redis. A failure is recorded, never fatal: the read path falls back here. */
  async project(): Promise<boolean> {
    const r = this.record;
    if (!r.tokens) return false;
    const nextRefreshAt = this.projectedNextAt();
    try {
      await this.acts.projectToken({
        workflowId: this.workflowId,
        wallet: this.input.wallet,
        customerId: this.input.customerId,
        tokens: r.tokens,
        ...(nextRefreshAt ? { nextRefreshAt } : {}),
        state: r.state,
        version: r.tokenVersion,
        authorizationId: workflowInfo().firstExecutionRunId,
      });
      this.projectedShape = `${r.state}|${nextRefreshAt ?? ''}`;
      return true;
    } catch (error) {
      this.recordError(summarizeActivityFailure(error).code, 'projection');
      log.warn('token projection failed; the payment path falls back to the workflow', { workflowId: this.workflowId });
      return false;
    }
  }

  /** Re-projects when what the read model shows is stale (never once withdrawn or expired). */
  async projectStateIfChanged(): Promise<void> {
    if (this.projectedShape !== `${this.record.state}|${this.projectedNextAt() ?? ''}` && !this.withdrawn() && this.tokenStillValid()) {
      await this.project();
    }
  }

  /** Returns only once the projection is gone: the activity retries without a budget, and nothing swallows it. */
  async removeProjection(): Promise<void> {
    const r = this.record;
    await this.acts.removeProjection({
      workflowId: this.workflowId,
      wallet: this.input.wallet,
      customerId: this.input.customerId,
      ...(r.tokens ? { version: r.tokenVersion } : {}),
    });
  }

  // ---- transitions the steps share -----------------------------------------------------------------------------

  computePlan(): RefreshPlan | undefined {
    const tokens = this.record.tokens;
    if (!tokens) return undefined;
    const obtained = Date.parse(tokens.obtainedAt);
    return planRefresh(
      {
        issuedAt: Number.isFinite(obtained) ? obtained : Date.now(),
        accessTokenExpiry: Date.parse(tokens.accessTokenExpiry),
        ...(tokens.refreshTokenExpiry ? { refreshTokenExpiry: Date.parse(tokens.refreshTokenExpiry) } : {}),
        hasRefreshToken: this.refreshAllowed(),
        jitterSeed: this.workflowId,
      },
      this.policy,
    );
  }

  /** A new token: bump the version, plan the next step, project it (unless the authorization is being torn down). */
  async adoptTokens(fresh: TokenSet, previous: TokenSet | undefined): Promise<void> {
    const r = this.record;
    // A refresh keeps the replaced token routable (a TOKEN_CANCELED may name it); a new consent starts afresh.
    if (previous?.routingDigest) r.previousTokenDigest = previous.routingDigest;
    else delete r.previousTokenDigest;
    // A refresh answer without a refresh token from a wallet that does not rotate: the old one still stands.
    r.tokens = fresh.refreshToken || !previous?.refreshToken
      ? fresh
      : { ...fresh, refreshToken: previous.refreshToken, ...(previous.refreshTokenExpiry ? { refreshTokenExpiry: previous.refreshTokenExpiry } : {}) };
    delete r.exchange;
    // Workflow time, not a counter: a later authorization under this workflow id must project above the tombstone
    // the previous one's removal left (ProjectTokenInput.version).
    r.tokenVersion = Math.max(r.tokenVersion + 1, Date.now());
    this.plan = this.computePlan();
    delete r.attention;
    this.enter('ACTIVE', { refreshed: previous !== undefined });
    if (!this.withdrawn()) await this.project();
  }

  /**
   * The applyToken request for a grant, built once: every retry (Temporal's, a refresh alert's next round, an
   * operator's) sends this identical request, until the grant's secret changes. A different grant abandons the
   * previous exchange.
   */
  exchangeFor(grant: { grantType: 'AUTHORIZATION_CODE'; authCode: string } | { grantType: 'REFRESH_TOKEN'; refreshToken: string }): ApplyTokenInput {
    const current = this.record.exchange;
    const same = current?.grantType === grant.grantType
      && (grant.grantType === 'AUTHORIZATION_CODE' ? current.authCode === grant.authCode : current.refreshToken === grant.refreshToken);
    if (same && current) return current;
    this.abandonExchange();
    const { profile, wallet } = this.input;
    this.record.exchange = { requestId: uuid4(), profile, wallet, ...merchantScope(this.input), ...grant, ...grantExtras(this.input) };
    return this.record.exchange;
  }

  /**
   * Gives the current exchange up without its answer. An attempt may have been answered after all (journaled, never
   * seen here): the disposal loop (authorizationWorkflow.ts) revokes any such token, so none is orphaned.
   */
  abandonExchange(): void {
    const exchange = this.record.exchange;
    if (!exchange) return;
    delete this.record.exchange;
    this.record.abandonedExchanges = [...this.record.abandonedExchanges, exchange];
  }

  /**
   * The failure table (failureDecision.ts), applied: record the error and enter the state it decides. Refresh
   * failures that can still succeed raise the refresh alert and keep retrying; a dead authCode gets a fresh consult.
   */
  onFailure(phase: AttentionPhase, error: unknown): void {
    const r = this.record;
    const { code, outcome, mayHaveSucceeded } = summarizeActivityFailure(error);
    this.recordError(code, phase);
    const action = decideOnFailure({ phase, code, ...(outcome ? { outcome } : {}), reconsultsSoFar: r.reconsults, maxReconsults: this.policy.maxReconsults });
    log.warn('activity failed', { workflowId: this.workflowId, phase, code, action: action.kind });
    // An "invalid refresh token" answering a retry of an exchange already sent may only mean the earlier attempt
    // succeeded (its answer lost): an alert for an operator, not the customer's problem (yet).
    if (phase === 'refresh' && r.tokens && (action.kind === 'needs-attention' || mayHaveSucceeded)) {
      this.raiseRefreshAlert(code, action.kind === 'needs-attention' ? action.reason : 'may-have-succeeded');
      return;
    }
    if (phase === 'refresh' || phase === 'authCodeApply') this.abandonExchange();
    switch (action.kind) {
      case 'needs-attention':
        if (phase === 'authCodeApply') {
          // The code is dead (single-use, one minute): a fresh consult the customer can use at once, not a park that
          // keeps a dead code for an operator retry hours later.
          this.freshConsult();
          return;
        }
        this.park(phase, code, action.reason);
        return;
      case 'reconsult':
        this.freshConsult();
        return;
      case 'reauth-required':
        this.enter('REAUTH_REQUIRED');
        return;
      case 'failed':
        delete r.requests.authCode;
        // A failed relink leaves the old, still valid token in place: the customer may try again.
        this.enter(this.tokenStillValid() ? 'REAUTH_REQUIRED' : 'FAILED');
        return;
      case 'already-revoked':
      case 'record-and-continue':
        // Handled by the callers (revoke / projection); reaching here means a caller bug: park rather than guess.
        this.park(phase, code, 'systemic');
        return;
    }
  }

  private freshConsult(): void {
    this.record.reconsults += 1;
    delete this.record.requests.authCode;
    this.enter('CONSULTING');
  }

  /** Waits for an operator (operatorRetry resumes the phase). */
  private park(phase: AttentionPhase, code: string, reason: AttentionInfo['reason']): void {
    this.record.attention = { phase, code, since: new Date(Date.now()).toISOString(), reason };
    this.enter('NEEDS_ATTENTION');
  }

  /**
   * A refresh that failed with an unknown or systemic answer (or an INVALID_* that may only mean an earlier attempt
   * succeeded): raise the alert (NEEDS_ATTENTION, retrying) and plan the next round of the identical request.
   */
  raiseRefreshAlert(code: string, reason: AttentionInfo['reason']): void {
    const previous = this.record.attention?.phase === 'refresh' ? this.record.attention : undefined;
    const failures = (previous?.retrying?.failures ?? 0) + 1;
    const refreshPlan = this.plan ?? this.computePlan()!;
    const giveUpAt = refreshGiveUpAt(refreshPlan.at, refreshPlan.deadline, this.policy.reauthNoticeMs);
    const nextRetryAt = Math.min(Date.now() + refreshRetryDelay(failures, this.policy.refreshRetryInitialIntervalMs, this.policy.refreshRetryMaximumIntervalMs), giveUpAt);
    this.record.attention = {
      phase: 'refresh',
      code,
      since: previous?.since ?? new Date(Date.now()).toISOString(),
      reason,
      retrying: { failures, nextRetryAt: iso(nextRetryAt)!, giveUpAt: iso(giveUpAt)! },
    };
    this.enter('NEEDS_ATTENTION');
  }

  // ---- turning the run over ------------------------------------------------------------------------------------

  /** Continue-as-new once no handler is mid-flight; returns (stays in this run) when `interrupted` turns true first. */
  async continueAsNewUnless(interrupted: () => boolean): Promise<void> {
    await condition(() => allHandlersFinished() || interrupted());
    if (interrupted()) return;
    await makeContinueAsNewFunc<(input: AuthorizationInput) => Promise<AuthorizationView>>({
      typedSearchAttributes: this.searchAttributePairs().filter((p) => p.value !== null) as never,
    })({ ...this.input, resume: this.record });
  }

  /** Continue-as-new unless a cancel came first (the steps handle it in this run). */
  continueAsNewIfQuiet(): Promise<void> {
    return this.continueAsNewUnless(() => this.withdrawn());
  }

  revokeExtras(): Pick<RevokeInput, 'authClientId' | 'merchantAccountId' | 'passThroughInfo'> {
    const { merchantRegion: _merchantRegion, ...rest } = grantExtras(this.input);
    return rest;
  }
}

/**
 * Bad overrides fail the workflow (and so the link call) at once. A plain Error would instead fail the workflow
 * task, which Temporal retries forever.
 */
function policyOrFail(overrides: AuthorizationInput['policy']): AuthorizationPolicy {
  try {
    return resolvePolicy(overrides);
  } catch (error) {
    if (error instanceof InvalidPolicyError) throw ApplicationFailure.nonRetryable(error.message, 'INVALID_POLICY');
    throw error;
  }
}

/** Request fields both grants (and revoke) carry over from the consult options, fixed for the authorization's life. */
/** The merchant part of an activity input: nothing for the default merchant, so its inputs are as they always were. */
export function merchantScope(input: AuthorizationInput): MerchantScoped {
  return isDefaultMerchant(input.merchantId) ? {} : { merchantId: input.merchantId! };
}

function grantExtras(input: AuthorizationInput): Pick<ApplyTokenInput, 'merchantRegion' | 'authClientId' | 'merchantAccountId' | 'passThroughInfo'> {
  const { merchantRegion, authClientId, merchantAccountId, passThroughInfo } = input.consult;
  return {
    ...(merchantRegion !== undefined ? { merchantRegion } : {}),
    ...(authClientId !== undefined ? { authClientId } : {}),
    ...(merchantAccountId !== undefined ? { merchantAccountId } : {}),
    ...(passThroughInfo !== undefined ? { passThroughInfo } : {}),
  };
}
