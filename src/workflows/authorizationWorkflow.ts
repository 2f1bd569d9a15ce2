/**
 * One authorization (wallet, customer) for its whole life: consult → authCode → applyToken → ACTIVE → refresh → …
 * → continue-as-new per cycle. Orchestration only; the decisions live in pure modules (refreshSchedule,
 * failureDecision, policy) and the side effects in activities.
 *
 * Cancellation: the main loop runs in a non-cancellable scope and a Temporal cancel only raises a flag, exactly like
 * the `cancel` update. So an in-flight applyToken always completes and the token it brings is revoked (no orphan),
 * and the revoke itself can never be interrupted.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  ApplicationFailure,
  log,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ActivityOptions } from '@temporalio/workflow';
import type { ApplyTokenInput, AuthorizationActivities, LinkResult, RevokeInput, TokenSet } from './activityContract';
import {
  SEARCH_ATTRIBUTES,
  cancelSignal,
  cancelUpdate,
  deliverAuthCodeUpdate,
  isTerminalState,
  linkUpdate,
  operatorRetrySignal,
  publicStateQuery,
  accessTokenQuery,
  refreshNowSignal,
  reprojectUpdate,
  walletCanceledSignal,
  type AttentionInfo,
  type AttentionPhase,
  type AuthorizationError,
  type AuthorizationInput,
  type AuthorizationState,
  type AuthorizationView,
  type DeliverAuthCodeRequest,
  type LinkResponse,
  type ResumeState,
} from './definitions';
import { decideOnFailure, type FailurePhase } from './failureDecision';
import { summarizeActivityFailure } from './activityFailure';
import { InvalidPolicyError, resolvePolicy, type AuthorizationPolicy } from './policy';
import { planRefresh, refreshGiveUpAt, refreshRetryDelay, type RefreshPlan } from './refreshSchedule';
import { isServable } from './tokenServing';
import { codeFingerprint } from './codeFingerprint';

/** authStates remembered for duplicate detection; older ones can only come from long-dead consults. */
const ACCEPTED_AUTH_STATES_KEPT = 8;
/** One attempt of an Antom call: the transport's own deadline is shorter; this only catches a hung worker. */
const ANTOM_ATTEMPT_TIMEOUT_MS = 30_000;
const AUTH_CODE_ATTEMPT_TIMEOUT_MS = 15_000;
const STORE_ATTEMPT_TIMEOUT_MS = 10_000;
const REMOVAL_RETRY_MAXIMUM_INTERVAL_MS = 60_000;

const RESUME_STATE_OF_PHASE: Record<AttentionPhase, AuthorizationState> = {
  consult: 'CONSULTING',
  authCodeApply: 'APPLYING_TOKEN',
  refresh: 'REFRESHING',
  revoke: 'REVOKING',
};

function activityProxies(policy: AuthorizationPolicy) {
  const retry = (initialMs: number, maximumMs: number): ActivityOptions['retry'] => ({
    initialInterval: initialMs,
    maximumInterval: Math.max(initialMs, maximumMs),
    backoffCoefficient: 2,
  });
  const standardRetry = retry(policy.retryInitialIntervalMs, policy.retryMaximumIntervalMs);
  const antom = (budgetMs: number, summary: string, attemptMs = ANTOM_ATTEMPT_TIMEOUT_MS) =>
    proxyActivities<AuthorizationActivities>({
      scheduleToCloseTimeout: budgetMs,
      startToCloseTimeout: Math.min(attemptMs, budgetMs),
      retry: standardRetry,
      summary,
    });
  return {
    consult: antom(policy.consultBudgetMs, 'consult: get the authorization URL / QR').consult,
    // The authCode dies a minute after issue: short backoff so several identical attempts fit the budget.
    applyAuthCode: proxyActivities<AuthorizationActivities>({
      scheduleToCloseTimeout: policy.authCodeApplyBudgetMs,
      startToCloseTimeout: Math.min(AUTH_CODE_ATTEMPT_TIMEOUT_MS, policy.authCodeApplyBudgetMs),
      retry: retry(500, 5_000),
      summary: 'applyToken: exchange the authCode',
    }).applyToken,
    refresh: antom(policy.refreshBudgetMs, 'applyToken: refresh with the latest refresh token').applyToken,
    revoke: antom(policy.revokeBudgetMs, 'revoke the access token').revoke,
    projectToken: proxyActivities<AuthorizationActivities>({
      scheduleToCloseTimeout: policy.projectionBudgetMs,
      startToCloseTimeout: Math.min(STORE_ATTEMPT_TIMEOUT_MS, policy.projectionBudgetMs),
      retry: standardRetry,
      summary: 'project the token to Redis',
    }).projectToken,
    // No budget: a removal is retried until it succeeds (a token left in Redis could reach the payment path), with
    // the backoff capped at a minute so Redis coming back is noticed quickly.
    removeProjection: proxyActivities<AuthorizationActivities>({
      startToCloseTimeout: STORE_ATTEMPT_TIMEOUT_MS,
      retry: retry(policy.retryInitialIntervalMs, REMOVAL_RETRY_MAXIMUM_INTERVAL_MS),
      summary: 'remove the Redis projection (retried until it succeeds)',
    }).removeProjection,
  };
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const ms = (value: string | undefined): number | undefined => (value === undefined ? undefined : Date.parse(value));
const remainingMs = (deadline: number): number => Math.max(0, deadline - Date.now());

export async function authorizationWorkflow(input: AuthorizationInput): Promise<AuthorizationView> {
  const { workflowId } = workflowInfo();
  const { wallet, customerId, profile } = input;
  const policy = policyOrFail(input.policy);
  const acts = activityProxies(policy);
  const resume: ResumeState | undefined = input.resume;

  // ---- state (everything in ResumeState survives continue-as-new) ----
  let state: AuthorizationState = resume?.state ?? 'CONSULTING';
  let tokens: TokenSet | undefined = resume?.tokens;
  let tokenVersion = resume?.tokenVersion ?? 0;
  let link: LinkResult | undefined = resume?.link;
  let acceptedAuthStates: string[] = [...(resume?.acceptedAuthStates ?? [])];
  /**
   * authCode deliveries seen, as `authState|fingerprint|source`: a duplicate is the same code for the same authState
   * (the redirect and the notification both bring it), not merely the same authState.
   */
  let deliveries: string[] = [...(resume?.authCodeDeliveries ?? [])];
  /** A signed notification's code that arrived while an unsigned redirect's code for the same authState was applied. */
  let signedCodeWaiting: DeliverAuthCodeRequest | undefined;
  let authorizationDeadline = ms(resume?.authorizationDeadline);
  let plan: RefreshPlan | undefined;
  let refreshCount = resume?.refreshCount ?? 0;
  let reconsults = resume?.reconsults ?? 0;
  const runCount = (resume?.runCount ?? 0) + 1;
  /** Long waits end here and continue as new (policy.maxRunMs). */
  const runDeadline = Date.now() + policy.maxRunMs;
  const runExpired = (): boolean => Date.now() >= runDeadline;
  let runRefreshes = 0;
  let lastError: AuthorizationError | undefined = resume?.lastError;
  let attention: AttentionInfo | undefined = resume?.attention;
  let linkedAt: string | undefined = resume?.linkedAt;

  // ---- requests raised by handlers, consumed by the main loop ----
  let pendingAuthCode: DeliverAuthCodeRequest | undefined;
  /** The applyToken request in progress (kept across a NEEDS_ATTENTION park so the retry is the identical request). */
  let exchange: ApplyTokenInput | undefined = resume?.exchange;
  let cancelRequested = false;
  let walletCanceled = false;
  let refreshNowRequested = resume?.pendingRefreshNow ?? false;
  let operatorRetryRequested = false;
  let relinkRequested = false;

  // A function, not an inline comparison: TypeScript would keep `state` narrowed across the awaits in the loop.
  const parked = (): boolean => state === 'NEEDS_ATTENTION';
  const refreshAllowed = (): boolean => tokens?.refreshToken !== undefined;

  const view = (): AuthorizationView => ({
    workflowId,
    authorizationId: workflowInfo().firstExecutionRunId,
    wallet,
    customerId,
    profile,
    state,
    ...(link && state === 'AWAITING_AUTH_CODE' ? { linkResult: link, authorizationDeadline: iso(authorizationDeadline) } : {}),
    ...(tokens?.userLoginId ? { userLoginId: tokens.userLoginId } : {}),
    ...(tokens?.walletForAccountBinding ? { walletForAccountBinding: tokens.walletForAccountBinding } : {}),
    ...(tokens ? { accessTokenExpiry: tokens.accessTokenExpiry } : {}),
    ...(tokens?.refreshTokenExpiry ? { refreshTokenExpiry: tokens.refreshTokenExpiry } : {}),
    ...(plan && (state === 'ACTIVE' || state === 'REFRESHING') ? { nextRefreshAt: iso(plan.at), nextAction: plan.kind } : {}),
    ...(lastError ? { lastError } : {}),
    ...(attention && state === 'NEEDS_ATTENTION' ? { attention } : {}),
    refreshCount,
    runRefreshes,
    ...(linkedAt ? { linkedAt } : {}),
  });

  // ---- Temporal UI: search attributes (only when they change: each upsert is a history event) + current details ----
  let publishedKey = '';
  const searchAttributePairs = (): SearchAttributeUpdatePair[] => {
    const nextRefresh = plan && (state === 'ACTIVE' || state === 'REFRESHING') ? new Date(plan.at) : null;
    return [
      // REFRESHING lasts seconds; publishing it would cost a history event per cycle for no one to see.
      { key: SEARCH_ATTRIBUTES.state, value: state === 'REFRESHING' ? 'ACTIVE' : state },
      { key: SEARCH_ATTRIBUTES.wallet, value: wallet },
      { key: SEARCH_ATTRIBUTES.customerId, value: customerId },
      { key: SEARCH_ATTRIBUTES.accessTokenExpiry, value: tokens ? new Date(tokens.accessTokenExpiry) : null },
      { key: SEARCH_ATTRIBUTES.nextRefreshAt, value: nextRefresh },
      { key: SEARCH_ATTRIBUTES.attentionCode, value: state === 'NEEDS_ATTENTION' && attention ? attention.code : null },
      { key: SEARCH_ATTRIBUTES.attentionPhase, value: state === 'NEEDS_ATTENTION' && attention ? attention.phase : null },
    ];
  };
  const searchAttributeKey = (pairs: SearchAttributeUpdatePair[]): string =>
    pairs.map((p) => (p.value instanceof Date ? p.value.toISOString() : String(p.value))).join('|');
  if (resume) publishedKey = resume.publishedSearchAttributes ?? '';

  const publish = (): void => {
    const pairs = searchAttributePairs();
    const key = searchAttributeKey(pairs);
    if (key !== publishedKey) {
      upsertSearchAttributes(pairs);
      publishedKey = key;
    }
    const lines = [`**${state}** · ${wallet} · customer ${customerId}`];
    if (tokens?.userLoginId) lines.push(`Linked account: ${tokens.userLoginId}`);
    if (state === 'AWAITING_AUTH_CODE' && authorizationDeadline) lines.push(`Waiting for the customer until ${iso(authorizationDeadline)}`);
    if (tokens) lines.push(`Access token expires ${tokens.accessTokenExpiry}`);
    if (plan && state === 'ACTIVE') lines.push(`Next ${plan.kind === 'refresh' ? 'refresh' : 'reauthorization notice'}: ${iso(plan.at)}`);
    if (attention && state === 'NEEDS_ATTENTION') {
      lines.push(
        attention.retrying
          ? `Needs attention: ${attention.code} during ${attention.phase} since ${attention.since}; retry ${attention.retrying.failures + 1} at ${attention.retrying.nextRetryAt}, REAUTH_REQUIRED from ${attention.retrying.giveUpAt}; operatorRetry retries now`
          : `Needs attention: ${attention.code} during ${attention.phase} (${attention.reason}) since ${attention.since}; send operatorRetry after fixing`,
      );
    }
    if (lastError) lines.push(`Last error: ${lastError.code} (${lastError.phase}) at ${lastError.at}`);
    lines.push(`Refreshes: ${refreshCount} (run ${runCount})`);
    setCurrentDetails(lines.join('\n'));
  };

  const enter = (next: AuthorizationState): void => {
    state = next;
    publish();
  };

  const recordError = (code: string, phase: FailurePhase): void => {
    lastError = { code, phase, at: new Date(Date.now()).toISOString() };
  };

  /** What the Redis projection last showed (per run): the read model shows the real state, not ACTIVE for ever. */
  let projectedShape: string | undefined;
  // Next action for the lifecycle table: the planned refresh, or the next retry while a refresh alert is raised.
  const projectedNextAt = (): string | undefined =>
    state === 'NEEDS_ATTENTION' && attention?.retrying ? attention.retrying.nextRetryAt : plan ? iso(plan.at) : undefined;
  const project = async (): Promise<boolean> => {
    if (!tokens) return false;
    const nextRefreshAt = projectedNextAt();
    try {
      await acts.projectToken({
        workflowId,
        wallet,
        customerId,
        tokens,
        ...(nextRefreshAt ? { nextRefreshAt } : {}),
        state,
        version: tokenVersion,
        authorizationId: workflowInfo().firstExecutionRunId,
      });
      projectedShape = `${state}|${nextRefreshAt ?? ''}`;
      return true;
    } catch (error) {
      recordError(summarizeActivityFailure(error).code, 'projection');
      log.warn('token projection failed; the payment path falls back to the workflow', { workflowId });
      return false;
    }
  };

  /** Re-projects when the state the read model shows is stale (never after a cancel: the token is withdrawn). */
  const projectStateIfChanged = async (): Promise<void> => {
    if (projectedShape !== `${state}|${projectedNextAt() ?? ''}` && tokens && !cancelRequested && !walletCanceled && Date.parse(tokens.accessTokenExpiry) > Date.now()) {
      await project();
    }
  };

  /** Returns only once the projection is gone: the activity retries without a budget, and nothing swallows it. */
  const removeProjection = async (): Promise<void> => {
    await acts.removeProjection({ workflowId, wallet, customerId, ...(tokens ? { version: tokenVersion } : {}) });
  };

  const computePlan = (): RefreshPlan | undefined => {
    if (!tokens) return undefined;
    const obtained = Date.parse(tokens.obtainedAt);
    return planRefresh(
      {
        issuedAt: Number.isFinite(obtained) ? obtained : Date.now(),
        accessTokenExpiry: Date.parse(tokens.accessTokenExpiry),
        ...(tokens.refreshTokenExpiry ? { refreshTokenExpiry: Date.parse(tokens.refreshTokenExpiry) } : {}),
        hasRefreshToken: refreshAllowed(),
        jitterSeed: workflowId,
      },
      policy,
    );
  };

  /** A new token: bump the version, plan the next step, project it (unless the authorization is being torn down). */
  const adoptTokens = async (fresh: TokenSet, previous: TokenSet | undefined): Promise<void> => {
    // A refresh answer without a refresh token from a wallet that does not rotate: the old one still stands.
    tokens = fresh.refreshToken || !previous?.refreshToken
      ? fresh
      : { ...fresh, refreshToken: previous.refreshToken, ...(previous.refreshTokenExpiry ? { refreshTokenExpiry: previous.refreshTokenExpiry } : {}) };
    // Workflow time, not a counter: a later authorization under this workflow id must project above the tombstone
    // the previous one's removal left (ProjectTokenInput.version).
    tokenVersion = Math.max(tokenVersion + 1, Date.now());
    plan = computePlan();
    attention = undefined;
    enter('ACTIVE');
    if (!cancelRequested && !walletCanceled) await project();
  };

  /** Applies the failure table: records the error and enters the state it decides. */
  const onFailure = (phase: AttentionPhase, error: unknown): void => {
    const { code, outcome, mayHaveSucceeded } = summarizeActivityFailure(error);
    recordError(code, phase);
    const action = decideOnFailure({ phase, code, ...(outcome ? { outcome } : {}), reconsultsSoFar: reconsults, maxReconsults: policy.maxReconsults });
    log.warn('activity failed', { workflowId, phase, code, action: action.kind });
    // A refresh keeps being retried through the lead window while the alert is raised; an "invalid refresh token"
    // answering a retry of an exchange already sent may only mean the earlier attempt succeeded (its answer lost):
    // an alert for an operator, not the customer's problem (yet).
    if (phase === 'refresh' && tokens && (action.kind === 'needs-attention' || mayHaveSucceeded)) {
      raiseRefreshAlert(code, action.kind === 'needs-attention' ? action.reason : 'may-have-succeeded');
      return;
    }
    switch (action.kind) {
      case 'needs-attention':
        if (phase === 'authCodeApply') {
          // The code is dead (single-use, one minute): a fresh consult the customer can use at once, not a park that
          // keeps a dead code for an operator retry hours later.
          reconsults += 1;
          pendingAuthCode = undefined;
          enter('CONSULTING');
          return;
        }
        attention = { phase, code, since: new Date(Date.now()).toISOString(), reason: action.reason };
        enter('NEEDS_ATTENTION');
        return;
      case 'reconsult':
        reconsults += 1;
        pendingAuthCode = undefined;
        enter('CONSULTING');
        return;
      case 'reauth-required':
        enter('REAUTH_REQUIRED');
        return;
      case 'failed':
        pendingAuthCode = undefined;
        // A failed relink leaves the old, still valid token in place: the customer may try again.
        enter(tokens && Date.parse(tokens.accessTokenExpiry) > Date.now() ? 'REAUTH_REQUIRED' : 'FAILED');
        return;
      case 'already-revoked':
      case 'record-and-continue':
        // Handled by the callers (revoke / projection); reaching here means a caller bug: park rather than guess.
        attention = { phase, code, since: new Date(Date.now()).toISOString(), reason: 'systemic' };
        enter('NEEDS_ATTENTION');
        return;
    }
  };

  /**
   * The applyToken request for a grant, built once: every retry (Temporal's, a refresh alert's next round, an
   * operator's) sends this identical request, until the grant's secret changes.
   */
  const exchangeFor = (grant: { grantType: 'AUTHORIZATION_CODE'; authCode: string } | { grantType: 'REFRESH_TOKEN'; refreshToken: string }): ApplyTokenInput => {
    const same = exchange?.grantType === grant.grantType
      && (grant.grantType === 'AUTHORIZATION_CODE' ? exchange.authCode === grant.authCode : exchange.refreshToken === grant.refreshToken);
    return same && exchange ? exchange : { requestId: uuid4(), profile, wallet, ...grant, ...grantExtras(input) };
  };

  /**
   * A refresh that failed with an unknown or systemic answer (or an INVALID_* that may only mean an earlier attempt
   * succeeded): raise the alert (NEEDS_ATTENTION, retrying) and plan the next round of the identical request.
   */
  const raiseRefreshAlert = (code: string, reason: AttentionInfo['reason']): void => {
    const failures = (attention?.phase === 'refresh' ? (attention.retrying?.failures ?? 0) : 0) + 1;
    const refreshPlan = plan ?? computePlan()!;
    const giveUpAt = refreshGiveUpAt(refreshPlan.at, refreshPlan.deadline, policy.reauthNoticeMs);
    const nextRetryAt = Math.min(Date.now() + refreshRetryDelay(failures, policy.refreshRetryInitialIntervalMs, policy.refreshRetryMaximumIntervalMs), giveUpAt);
    attention = {
      phase: 'refresh',
      code,
      since: attention?.phase === 'refresh' ? attention.since : new Date(Date.now()).toISOString(),
      reason,
      retrying: { failures, nextRetryAt: iso(nextRetryAt)!, giveUpAt: iso(giveUpAt)! },
    };
    enter('NEEDS_ATTENTION');
  };

  /**
   * One round of the refresh: the identical request (built once per refresh token, carried across runs), Temporal
   * retrying it for refreshBudgetMs. Success adopts the tokens and ends the run; a failure goes through the failure
   * table (onFailure), which raises the refresh alert for unknown and systemic answers.
   */
  const refreshOnce = async (): Promise<void> => {
    const previous = tokens;
    if (!previous?.refreshToken) {
      enter(previous ? 'REAUTH_REQUIRED' : 'CONSULTING');
      return;
    }
    exchange = exchangeFor({ grantType: 'REFRESH_TOKEN', refreshToken: previous.refreshToken });
    let fresh: TokenSet;
    try {
      fresh = await acts.refresh(exchange);
    } catch (error) {
      onFailure('refresh', error);
      if (!parked()) exchange = undefined; // a refresh alert keeps it: every round repeats it exactly
      return;
    }
    exchange = undefined;
    refreshCount += 1;
    runRefreshes += 1;
    await adoptTokens(fresh, previous);
    // One cycle per run keeps each run's history small and bounded however many years pass.
    await continueAsNewIfQuiet();
  };

  const linkResponse = (): LinkResponse => ({
    workflowId,
    state,
    // A token that is being revoked (or that the wallet canceled) is no link to report.
    alreadyLinked:
      tokens !== undefined && !cancelRequested && !walletCanceled
      && state !== 'AWAITING_AUTH_CODE' && state !== 'CONSULTING' && state !== 'REVOKING' && !isTerminalState(state),
    ...(link && (state === 'AWAITING_AUTH_CODE' || (state === 'APPLYING_TOKEN' && !tokens))
      ? { link, authorizationDeadline: iso(authorizationDeadline) }
      : {}),
    ...(tokens?.userLoginId ? { userLoginId: tokens.userLoginId } : {}),
  });

  // ---- handlers (registered before the first await so update-with-start finds them) ----
  setHandler(publicStateQuery, view);
  // The payment path's fallback when Redis cannot answer: the token, only while tokenServing allows it.
  setHandler(accessTokenQuery, () => {
    const facts = { state, accessTokenExpiry: tokens?.accessTokenExpiry, withdrawn: cancelRequested || walletCanceled, nowMs: Date.now() };
    if (!tokens || !isServable(facts)) return null;
    return { accessToken: tokens.accessToken, accessTokenExpiry: tokens.accessTokenExpiry, state, ...(tokens.userLoginId ? { userLoginId: tokens.userLoginId } : {}) };
  });

  // Update handlers run in the root scope, which a Temporal cancel request (the UI's Cancel button) cancels; a
  // Temporal cancel means the same as the merchant's cancel, so the handlers that wait do so non-cancellably and keep
  // answering (tested on both servers: serverFidelity / cancellation scenarios).
  setHandler(linkUpdate, () =>
    CancellationScope.nonCancellable(async () => {
      if (state === 'REAUTH_REQUIRED') relinkRequested = true;
      await condition(() => isTerminalState(state) || (!relinkRequested && state !== 'CONSULTING'));
      return linkResponse();
    }),
  );

  const deliveryKey = (request: DeliverAuthCodeRequest): string => `${request.authState}|${codeFingerprint(request.authCode)}`;
  const deliveriesOf = (authState: string): string[] => deliveries.filter((d) => d.startsWith(`${authState}|`));
  /**
   * The redirect is unsigned (anyone can call it with any code); AUTHCODE_CREATED is signed by Antom. A signed code
   * for an authState whose only code so far came by redirect prevails, while that authorization attempt is still
   * open: being applied, or just failed and re-consulted.
   */
  const signedMayOverride = (request: DeliverAuthCodeRequest): boolean =>
    request.source === 'notification'
    && acceptedAuthStates.includes(request.authState)
    && deliveriesOf(request.authState).every((d) => d.endsWith('|redirect'))
    && (state === 'APPLYING_TOKEN' || state === 'CONSULTING' || state === 'AWAITING_AUTH_CODE');

  setHandler(
    deliverAuthCodeUpdate,
    (request) => {
      const key = deliveryKey(request);
      if (deliveries.some((d) => d.startsWith(`${key}|`))) return { accepted: false, duplicate: true, state };
      deliveries = [...deliveries, `${key}|${request.source}`].slice(-2 * ACCEPTED_AUTH_STATES_KEPT);
      if (state === 'APPLYING_TOKEN' && pendingAuthCode && pendingAuthCode.authState === request.authState) {
        // The redirect's code is being exchanged; the signed one is applied if that exchange fails.
        signedCodeWaiting = request;
        return { accepted: true, duplicate: false, state };
      }
      pendingAuthCode = request;
      if (!acceptedAuthStates.includes(request.authState)) {
        acceptedAuthStates = [...acceptedAuthStates, request.authState].slice(-ACCEPTED_AUTH_STATES_KEPT);
      }
      enter('APPLYING_TOKEN');
      return { accepted: true, duplicate: false, state };
    },
    {
      validator: (request) => {
        if (!request || typeof request.authCode !== 'string' || request.authCode === '' || typeof request.authState !== 'string') {
          throw new Error('authCode and authState are required');
        }
        if (deliveries.some((d) => d.startsWith(`${deliveryKey(request)}|`))) return; // a duplicate, answered as such
        if (signedMayOverride(request)) return;
        if (acceptedAuthStates.includes(request.authState)) throw new Error('a code for this authState was already applied');
        if (state !== 'AWAITING_AUTH_CODE' || !link) throw new Error(`no authCode is awaited (state ${state})`);
        if (request.authState !== link.authState) throw new Error('authState does not match the current authorization');
      },
    },
  );

  setHandler(cancelUpdate, () =>
    CancellationScope.nonCancellable(async () => {
      if (!isTerminalState(state)) cancelRequested = true;
      await condition(() => isTerminalState(state) || (state === 'NEEDS_ATTENTION' && attention?.phase === 'revoke'));
      return view();
    }),
  );

  setHandler(reprojectUpdate, () =>
    CancellationScope.nonCancellable(async () => {
      if (!tokens || isTerminalState(state) || state === 'REVOKING' || cancelRequested || walletCanceled) {
        return { projected: false, state };
      }
      if (!(await project())) {
        throw ApplicationFailure.create({ type: 'PROJECTION_FAILED', message: 'the token projection could not be written', nonRetryable: true });
      }
      return { projected: true, state };
    }),
  );

  setHandler(cancelSignal, () => {
    if (!isTerminalState(state)) cancelRequested = true;
  });
  setHandler(walletCanceledSignal, () => {
    if (!isTerminalState(state)) walletCanceled = true;
  });
  setHandler(refreshNowSignal, () => {
    refreshNowRequested = true;
  });
  setHandler(operatorRetrySignal, () => {
    if (state === 'NEEDS_ATTENTION') operatorRetryRequested = true;
  });

  // A Temporal cancel (UI, CLI) means the same as the merchant's cancel update.
  CancellationScope.current().cancelRequested.catch(() => {
    if (!isTerminalState(state)) cancelRequested = true;
  });

  const continueAsNewWith = (next: ResumeState) =>
    makeContinueAsNewFunc<typeof authorizationWorkflow>({ typedSearchAttributes: searchAttributePairs().filter((p) => p.value !== null) as never })({
      ...input,
      resume: next,
    });

  const snapshot = (): ResumeState => ({
    state,
    ...(tokens ? { tokens } : {}),
    tokenVersion,
    ...(link ? { link } : {}),
    acceptedAuthStates,
    authCodeDeliveries: deliveries,
    ...(authorizationDeadline !== undefined ? { authorizationDeadline: iso(authorizationDeadline) } : {}),
    refreshCount,
    reconsults,
    runCount,
    ...(lastError ? { lastError } : {}),
    ...(attention ? { attention } : {}),
    pendingRefreshNow: refreshNowRequested,
    ...(linkedAt ? { linkedAt } : {}),
    publishedSearchAttributes: publishedKey,
    ...(exchange ? { exchange } : {}),
  });

  /** Continue-as-new once no handler is mid-flight; returns (stays in this run) when `interrupted` turns true first. */
  const continueAsNewUnless = async (interrupted: () => boolean): Promise<void> => {
    await condition(() => allHandlersFinished() || interrupted());
    if (interrupted()) return;
    await continueAsNewWith(snapshot());
  };
  /** Continue-as-new unless a cancel came first (the loop handles it in this run). */
  const continueAsNewIfQuiet = (): Promise<void> => continueAsNewUnless(() => cancelRequested || walletCanceled);

  // ---- main loop ----
  const mainLoop = async (): Promise<void> => {
    plan = computePlan();
    publish();
    while (!isTerminalState(state)) {
      if (walletCanceled) {
        // The wallet already invalidated the token: no revoke call, just drop what the payment path could use.
        await removeProjection();
        enter('CANCELED_BY_WALLET');
        break;
      }
      if (cancelRequested && state !== 'REVOKING' && !(state === 'NEEDS_ATTENTION' && attention?.phase === 'revoke')) {
        enter('REVOKING');
      }

      switch (state) {
        case 'CONSULTING': {
          const authState = uuid4();
          try {
            link = await acts.consult({ profile, wallet, authState, options: input.consult });
            authorizationDeadline = Date.now() + policy.authorizationWaitMs;
            enter('AWAITING_AUTH_CODE');
          } catch (error) {
            onFailure('consult', error);
          }
          break;
        }

        case 'AWAITING_AUTH_CODE': {
          const deadline = authorizationDeadline ?? Date.now();
          const woken = remainingMs(deadline) > 0
            && (await condition(() => pendingAuthCode !== undefined || cancelRequested || walletCanceled, remainingMs(deadline), {
              summary: 'wait for the customer to approve (authCode)',
            }));
          if (woken) break; // APPLYING_TOKEN (set by the handler) or a cancel, handled at the loop top
          link = undefined;
          authorizationDeadline = undefined;
          // A relink that timed out leaves the old token valid until it expires.
          enter(tokens && Date.parse(tokens.accessTokenExpiry) > Date.now() ? 'REAUTH_REQUIRED' : 'AUTHORIZATION_EXPIRED');
          break;
        }

        case 'APPLYING_TOKEN': {
          if (!pendingAuthCode) {
            enter('CONSULTING');
            break;
          }
          exchange = exchangeFor({ grantType: 'AUTHORIZATION_CODE', authCode: pendingAuthCode.authCode });
          let fresh: TokenSet;
          try {
            fresh = await acts.applyAuthCode(exchange);
          } catch (error) {
            exchange = undefined; // the code is single-use and dead within a minute: never retried later
            if (signedCodeWaiting) {
              // The unsigned redirect's code failed; Antom's signed notification brought the genuine one.
              recordError(summarizeActivityFailure(error).code, 'authCodeApply');
              pendingAuthCode = signedCodeWaiting;
              signedCodeWaiting = undefined;
              break;
            }
            onFailure('authCodeApply', error);
            break;
          }
          signedCodeWaiting = undefined;
          exchange = undefined;
          pendingAuthCode = undefined;
          reconsults = 0;
          link = undefined;
          authorizationDeadline = undefined;
          linkedAt = new Date(Date.now()).toISOString();
          await adoptTokens(fresh, undefined);
          break;
        }

        case 'ACTIVE': {
          if (!tokens) {
            enter('CONSULTING');
            break;
          }
          plan = plan ?? computePlan();
          if (!refreshAllowed()) refreshNowRequested = false;
          publish();
          if (workflowInfo().continueAsNewSuggested || runExpired()) {
            await continueAsNewIfQuiet();
            break;
          }
          const at = plan!.at;
          const woken = remainingMs(at) > 0
            && (await condition(() => cancelRequested || walletCanceled || (refreshNowRequested && refreshAllowed()), Math.min(remainingMs(at), remainingMs(runDeadline)), {
              summary: plan!.kind === 'refresh' ? 'sleep until the refresh time' : 'sleep until the reauthorization notice',
            }));
          if (cancelRequested || walletCanceled) break;
          if (!woken && remainingMs(at) > 0 && runExpired()) {
            await continueAsNewIfQuiet();
            break;
          }
          if (woken || plan!.kind === 'refresh') {
            refreshNowRequested = false;
            enter('REFRESHING');
          } else {
            enter('REAUTH_REQUIRED');
          }
          break;
        }

        case 'REFRESHING':
          await refreshOnce();
          break;

        case 'NEEDS_ATTENTION': {
          if (attention?.retrying) {
            // A refresh alert: wait for the next round (an operator retry or a cancel comes first), then repeat the
            // identical request — or, past the give-up instant, hand over to the customer (REAUTH_REQUIRED).
            const { nextRetryAt, giveUpAt } = attention.retrying;
            await projectStateIfChanged();
            const interrupted = () => operatorRetryRequested || walletCanceled || cancelRequested;
            const retryAt = Date.parse(nextRetryAt);
            if (runExpired()) {
              await continueAsNewUnless(interrupted);
              break;
            }
            const woken = remainingMs(retryAt) > 0
              && (await condition(interrupted, Math.min(remainingMs(retryAt), remainingMs(runDeadline)), { summary: 'wait for the next refresh retry' }));
            if (cancelRequested || walletCanceled) break;
            if (!woken && remainingMs(retryAt) > 0) {
              await continueAsNewUnless(interrupted);
              break;
            }
            const operatorAsked = operatorRetryRequested;
            operatorRetryRequested = false;
            if (!operatorAsked && Date.now() >= Date.parse(giveUpAt)) {
              log.warn('refresh given up before expiry; the customer must relink', { workflowId });
              enter('REAUTH_REQUIRED');
            } else {
              // The alert stays raised while the round runs (state NEEDS_ATTENTION); success clears it.
              await refreshOnce();
            }
            break;
          }
          const parkedPhase = attention?.phase ?? 'consult';
          // Parked until a human acts; the run itself still turns over every policy.maxRunMs. A cancel parked in its
          // revoke is carried by attention.phase, so it does not keep the run from turning over.
          const acted = () => operatorRetryRequested || walletCanceled || (cancelRequested && parkedPhase !== 'revoke');
          if (runExpired() || !(await condition(acted, remainingMs(runDeadline)))) {
            await continueAsNewUnless(acted);
            break;
          }
          if (operatorRetryRequested) {
            operatorRetryRequested = false;
            attention = undefined;
            enter(RESUME_STATE_OF_PHASE[parkedPhase]);
          }
          break;
        }

        case 'REAUTH_REQUIRED': {
          plan = undefined;
          publish();
          await projectStateIfChanged();
          const expiry = tokens ? Date.parse(tokens.accessTokenExpiry) : Date.now();
          if (remainingMs(expiry) > 0 && runExpired()) {
            await continueAsNewUnless(() => relinkRequested || cancelRequested || walletCanceled);
            break;
          }
          const woken = remainingMs(expiry) > 0
            && (await condition(() => relinkRequested || cancelRequested || walletCanceled, Math.min(remainingMs(expiry), remainingMs(runDeadline)), {
              summary: 'wait for the customer to relink before the access token expires',
            }));
          if (!woken && remainingMs(expiry) > 0 && runExpired()) {
            await continueAsNewUnless(() => relinkRequested || cancelRequested || walletCanceled);
            break;
          }
          if (relinkRequested) {
            relinkRequested = false;
            reconsults = 0;
            enter('CONSULTING');
          } else if (!woken) {
            await removeProjection();
            enter('TOKEN_EXPIRED');
          }
          break;
        }

        case 'REVOKING': {
          // Out of the payment path first: from here on the token is never served, whatever the revoke answers.
          await removeProjection();
          if (tokens) {
            try {
              await acts.revoke({ profile, wallet, accessToken: tokens.accessToken, ...revokeExtras(input) });
            } catch (error) {
              const { code, outcome } = summarizeActivityFailure(error);
              const action = decideOnFailure({ phase: 'revoke', code, ...(outcome ? { outcome } : {}), reconsultsSoFar: 0, maxReconsults: 0 });
              if (action.kind !== 'already-revoked') {
                onFailure('revoke', error);
                break;
              }
            }
          }
          enter('REVOKED');
          break;
        }

        default:
          // Unreachable for non-terminal states; terminal ones end the loop.
          break;
      }
    }
  };

  return CancellationScope.nonCancellable(async () => {
    await mainLoop();
    // Let in-flight update handlers (cancel, link) see the final state before the run closes. Non-cancellable too:
    // after a Temporal cancel the workflow completes with its REVOKED view instead of failing as cancelled.
    await condition(allHandlersFinished);
    return view();
  });
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
function grantExtras(input: AuthorizationInput): Pick<ApplyTokenInput, 'merchantRegion' | 'authClientId' | 'merchantAccountId' | 'passThroughInfo'> {
  const { merchantRegion, authClientId, merchantAccountId, passThroughInfo } = input.consult;
  return {
    ...(merchantRegion !== undefined ? { merchantRegion } : {}),
    ...(authClientId !== undefined ? { authClientId } : {}),
    ...(merchantAccountId !== undefined ? { merchantAccountId } : {}),
    ...(passThroughInfo !== undefined ? { passThroughInfo } : {}),
  };
}

function revokeExtras(input: AuthorizationInput): Pick<RevokeInput, 'authClientId' | 'merchantAccountId' | 'passThroughInfo'> {
  const { merchantRegion: _merchantRegion, ...rest } = grantExtras(input);
  return rest;
}
