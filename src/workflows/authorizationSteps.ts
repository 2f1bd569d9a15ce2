/**
 * One step per state: what the authorization does while in it, and where it goes next. The workflow's loop
 * (authorizationWorkflow.ts) runs `nextStep(a)` until a terminal state. Failures go through `a.onFailure`, the failure
 * table (failureDecision.ts) applied.
 *
 * Where to look:
 *   consult fails                → consult → onFailure: retried within its budget, then NEEDS_ATTENTION (operator)
 *   the customer never approves  → awaitAuthCode: AUTHORIZATION_EXPIRED (or REAUTH_REQUIRED on a relink)
 *   the authCode is refused/dies → exchangeAuthCode → onFailure: a fresh consult the customer can use at once
 *   a refresh keeps failing      → refresh / retryRefresh: the refresh alert, retried until the give-up instant,
 *                                  then REAUTH_REQUIRED; at expiry TOKEN_EXPIRED (awaitRelink)
 *   revoke keeps failing         → revoke → onFailure: retried within revokeBudgetMs, then NEEDS_ATTENTION (phase
 *                                  revoke, token already out of Redis), resumed by operatorRetry (waitForOperator)
 *   an exchange is given up      → Authorization.abandonExchange: any token it was issued is revoked
 */
import { condition, log, uuid4, workflowInfo } from '@temporalio/workflow';
import type { TokenSet } from './activityContract';
import { Authorization, merchantScope, remainingMs } from './authorization';
import type { AttentionPhase, AuthorizationState } from './definitions';
import { summarizeActivityFailure } from './activityFailure';
import { decideOnFailure } from './failureDecision';

type Step = (a: Authorization) => Promise<void>;

/** The state an operator retry resumes, per parked phase. */
const RESUME_STATE_OF_PHASE: Record<AttentionPhase, AuthorizationState> = {
  consult: 'CONSULTING',
  authCodeApply: 'APPLYING_TOKEN',
  refresh: 'REFRESHING',
  revoke: 'REVOKING',
};

/** The step to run now: a wallet cancel or a merchant cancel first, else the current state's step. */
export function nextStep(a: Authorization): Step {
  if (a.record.requests.walletCanceled) return canceledByWallet;
  if (a.record.requests.cancel && a.state !== 'REVOKING' && !a.parkedInRevoke()) a.enter('REVOKING');
  switch (a.state) {
    case 'CONSULTING':
      return consult;
    case 'AWAITING_AUTH_CODE':
      return awaitAuthCode;
    case 'APPLYING_TOKEN':
      return exchangeAuthCode;
    case 'ACTIVE':
      return sleepUntilRefresh;
    case 'REFRESHING':
      return refresh;
    case 'NEEDS_ATTENTION':
      return a.record.attention?.retrying ? retryRefresh : waitForOperator;
    case 'REAUTH_REQUIRED':
      return awaitRelink;
    case 'REVOKING':
      return revoke;
    default:
      throw new Error(`no step for the terminal state ${a.state}`);
  }
}

/** Asks Antom for the authorization URL / QR the customer opens. */
async function consult(a: Authorization): Promise<void> {
  const r = a.record;
  r.requests.newConsult = false;
  const authState = uuid4();
  try {
    r.link = await a.acts.consult({ profile: a.input.profile, wallet: a.input.wallet, ...merchantScope(a.input), authState, options: a.input.consult });
    delete r.linkUsed;
    r.authorizationDeadline = new Date(Date.now() + a.policy.authorizationWaitMs).toISOString();
    // A signed code for the previous consult may have arrived meanwhile and be applying already (APPLYING_TOKEN).
    if (a.state === 'CONSULTING') a.enter('AWAITING_AUTH_CODE');
  } catch (error) {
    a.onFailure('consult', error);
  }
}

/** Waits for the customer's approval (deliverAuthCode moves on to APPLYING_TOKEN) until the consult's deadline. */
async function awaitAuthCode(a: Authorization): Promise<void> {
  const r = a.record;
  const deadline = r.authorizationDeadline ? Date.parse(r.authorizationDeadline) : Date.now();
  const woken = remainingMs(deadline) > 0
    && (await condition(() => r.requests.authCode !== undefined || r.requests.newConsult || a.withdrawn(), remainingMs(deadline), {
      summary: 'wait for the customer to approve (authCode)',
    }));
  if (woken) {
    // Each wake moves the state on (or the next step would wait on a condition that is already true, for ever).
    if (a.withdrawn() || a.state !== 'AWAITING_AUTH_CODE') return; // a cancel (next step), or APPLYING_TOKEN
    a.enter(r.requests.authCode ? 'APPLYING_TOKEN' : 'CONSULTING');
    return;
  }
  delete r.link;
  delete r.authorizationDeadline;
  // A relink that timed out leaves the old token valid until it expires.
  a.enter(a.tokenStillValid() ? 'REAUTH_REQUIRED' : 'AUTHORIZATION_EXPIRED');
}

/** Exchanges the customer's authCode (single-use, one minute) for the token. */
async function exchangeAuthCode(a: Authorization): Promise<void> {
  const r = a.record;
  const code = r.requests.authCode;
  if (!code) {
    a.enter('CONSULTING');
    return;
  }
  const exchange = a.exchangeFor({ grantType: 'AUTHORIZATION_CODE', authCode: code.authCode });
  let fresh: TokenSet;
  try {
    fresh = await a.acts.applyAuthCode(exchange);
  } catch (error) {
    const waiting = r.requests.signedCodeWaiting;
    if (waiting) {
      // The unsigned redirect's code failed; Antom's signed notification brought the genuine one.
      a.recordError(summarizeActivityFailure(error).code, 'authCodeApply');
      a.abandonExchange();
      r.requests.authCode = waiting;
      delete r.requests.signedCodeWaiting;
      return;
    }
    a.onFailure('authCodeApply', error);
    return;
  }
  delete r.requests.signedCodeWaiting;
  delete r.requests.authCode;
  r.reconsults = 0;
  delete r.link;
  delete r.linkUsed;
  delete r.authorizationDeadline;
  r.linkedAt = new Date(Date.now()).toISOString();
  await a.adoptTokens(fresh, undefined);
}

/** Sleeps until the planned refresh (or the reauthorization notice); a refresh-now or a cancel wakes it. */
async function sleepUntilRefresh(a: Authorization): Promise<void> {
  const r = a.record;
  if (!r.tokens) {
    a.enter('CONSULTING');
    return;
  }
  a.plan = a.plan ?? a.computePlan();
  if (!a.refreshAllowed()) r.requests.refreshNow = false;
  a.publish();
  if (workflowInfo().continueAsNewSuggested || a.runExpired()) {
    await a.continueAsNewIfQuiet();
    return;
  }
  const plan = a.plan!;
  const woken = remainingMs(plan.at) > 0
    && (await condition(() => a.withdrawn() || (r.requests.refreshNow && a.refreshAllowed()), Math.min(remainingMs(plan.at), remainingMs(a.runDeadline)), {
      summary: plan.kind === 'refresh' ? 'sleep until the refresh time' : 'sleep until the reauthorization notice',
    }));
  if (a.withdrawn()) return;
  if (!woken && remainingMs(plan.at) > 0 && a.runExpired()) {
    await a.continueAsNewIfQuiet();
    return;
  }
  if (woken || plan.kind === 'refresh') {
    r.requests.refreshNow = false;
    a.enter('REFRESHING');
  } else {
    a.enter('REAUTH_REQUIRED');
  }
}

/**
 * One round of the refresh: the identical request (built once per refresh token, carried across runs), Temporal
 * retrying it for refreshBudgetMs. Success adopts the tokens and ends the run (one cycle per run keeps each history
 * small however many years pass); a failure goes through the failure table, which raises the refresh alert for
 * unknown and systemic answers.
 */
async function refresh(a: Authorization): Promise<void> {
  const r = a.record;
  const previous = r.tokens;
  if (!previous?.refreshToken) {
    a.enter(previous ? 'REAUTH_REQUIRED' : 'CONSULTING');
    return;
  }
  const exchange = a.exchangeFor({ grantType: 'REFRESH_TOKEN', refreshToken: previous.refreshToken });
  let fresh: TokenSet;
  try {
    fresh = await a.acts.refresh(exchange);
  } catch (error) {
    a.onFailure('refresh', error);
    return;
  }
  r.refreshCount += 1;
  a.runRefreshes += 1;
  await a.adoptTokens(fresh, previous);
  await a.continueAsNewIfQuiet();
}

/**
 * The refresh alert (NEEDS_ATTENTION, retrying): wait for the next round (an operator retry or a cancel comes first),
 * then repeat the identical request — or, past the give-up instant, hand over to the customer (REAUTH_REQUIRED).
 */
async function retryRefresh(a: Authorization): Promise<void> {
  const r = a.record;
  const { nextRetryAt, giveUpAt } = r.attention!.retrying!;
  await a.projectStateIfChanged();
  const interrupted = () => r.requests.operatorRetry || a.withdrawn();
  const retryAt = Date.parse(nextRetryAt);
  // Turns the run over, unless a request came first: then it is handled below (returning would spin on it).
  if (a.runExpired()) await a.continueAsNewUnless(interrupted);
  const woken = remainingMs(retryAt) > 0
    && (await condition(interrupted, Math.min(remainingMs(retryAt), remainingMs(a.runDeadline)), { summary: 'wait for the next refresh retry' }));
  if (a.withdrawn()) return;
  if (!woken && remainingMs(retryAt) > 0) {
    await a.continueAsNewUnless(interrupted);
    return;
  }
  const operatorAsked = r.requests.operatorRetry;
  r.requests.operatorRetry = false;
  if (!operatorAsked && Date.now() >= Date.parse(giveUpAt)) {
    log.warn('refresh given up before expiry; the customer must relink', { workflowId: a.workflowId });
    a.abandonExchange();
    a.enter('REAUTH_REQUIRED');
    return;
  }
  // The alert stays raised while the round runs (state NEEDS_ATTENTION); success clears it.
  await refresh(a);
}

/**
 * Parked until an operator acts (operatorRetry resumes the failed phase); the run itself still turns over every
 * policy.maxRunMs. A cancel parked in its revoke is carried by attention.phase, so it does not keep the run from
 * turning over.
 */
async function waitForOperator(a: Authorization): Promise<void> {
  const r = a.record;
  const parkedPhase = r.attention?.phase ?? 'consult';
  const acted = () => r.requests.operatorRetry || r.requests.walletCanceled || (r.requests.cancel && parkedPhase !== 'revoke');
  if (a.runExpired() || !(await condition(acted, remainingMs(a.runDeadline)))) {
    // Returns only when a request came first; handled below (returning would spin on it).
    await a.continueAsNewUnless(acted);
  }
  if (r.requests.operatorRetry) {
    r.requests.operatorRetry = false;
    delete r.attention;
    a.enter(RESUME_STATE_OF_PHASE[parkedPhase]);
  }
}

/** The customer must relink (link starts a new consult) before the access token expires; at expiry, TOKEN_EXPIRED. */
async function awaitRelink(a: Authorization): Promise<void> {
  const r = a.record;
  a.plan = undefined;
  a.publish();
  await a.projectStateIfChanged();
  const expiry = r.tokens ? Date.parse(r.tokens.accessTokenExpiry) : Date.now();
  const acted = () => r.requests.newConsult || a.withdrawn();
  // Turns the run over, unless a request came first: then it is handled below (returning would spin on it).
  if (remainingMs(expiry) > 0 && a.runExpired()) await a.continueAsNewUnless(acted);
  const woken = remainingMs(expiry) > 0
    && (await condition(acted, Math.min(remainingMs(expiry), remainingMs(a.runDeadline)), {
      summary: 'wait for the customer to relink before the access token expires',
    }));
  if (!woken && remainingMs(expiry) > 0 && a.runExpired()) {
    await a.continueAsNewUnless(acted);
    return;
  }
  if (r.requests.newConsult && !a.withdrawn()) {
    r.reconsults = 0;
    a.enter('CONSULTING');
  } else if (!woken) {
    await a.removeProjection();
    a.enter('TOKEN_EXPIRED');
  }
}

/**
 * The merchant's cancel: out of the payment path first (from here on the token is never served, whatever the revoke
 * answers), then revoke. Failures: retried within revokeBudgetMs, then NEEDS_ATTENTION (phase revoke) for an operator.
 */
async function revoke(a: Authorization): Promise<void> {
  a.abandonExchange();
  await a.removeProjection();
  const tokens = a.tokens;
  if (tokens) {
    try {
      await a.acts.revoke({ profile: a.input.profile, wallet: a.input.wallet, ...merchantScope(a.input), accessToken: tokens.accessToken, ...a.revokeExtras() });
    } catch (error) {
      const { code, outcome } = summarizeActivityFailure(error);
      const action = decideOnFailure({ phase: 'revoke', code, ...(outcome ? { outcome } : {}), reconsultsSoFar: 0, maxReconsults: 0 });
      if (action.kind !== 'already-revoked') {
        a.onFailure('revoke', error);
        return;
      }
    }
  }
  a.enter('REVOKED');
}

/** The wallet already invalidated the token (TOKEN_CANCELED): no revoke call, just drop what the payment path uses. */
async function canceledByWallet(a: Authorization): Promise<void> {
  a.abandonExchange();
  await a.removeProjection();
  a.enter('CANCELED_BY_WALLET');
}
