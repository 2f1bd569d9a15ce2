/**
 * The authorization's messages. Handlers are thin: they record a request in `record.requests` (the steps act on it)
 * or answer from the state. Refusals are validators, so a refused message never reaches history.
 *
 * Update handlers run in the root scope, which a Temporal cancel request (the UI's Cancel button) cancels; a Temporal
 * cancel means the same as the merchant's cancel, so the handlers that wait do so non-cancellably and keep answering
 * (tested on both servers: serverFidelity / cancellation scenarios).
 */
import { ApplicationFailure, CancellationScope, condition, setHandler } from '@temporalio/workflow';
import type { Authorization } from './authorization';
import { codeFingerprint } from './codeFingerprint';
import {
  accessTokenQuery,
  cancelSignal,
  cancelUpdate,
  deliverAuthCodeUpdate,
  isTerminalState,
  linkWithOptionsUpdate,
  linkUsedSignal,
  operatorRetrySignal,
  publicStateQuery,
  refreshNowSignal,
  reprojectUpdate,
  walletCanceledSignal,
  type DeliverAuthCodeRequest,
  type DeliverAuthCodeResponse,
  type LinkRequest,
} from './definitions';
import { isServable } from './tokenServing';

/** authStates remembered for duplicate detection; older ones can only come from long-dead consults. */
const ACCEPTED_AUTH_STATES_KEPT = 8;

export function registerHandlers(a: Authorization): void {
  setHandler(publicStateQuery, () => a.view());
  setHandler(accessTokenQuery, () => servedAccessToken(a));
  setHandler(linkWithOptionsUpdate, (request) => CancellationScope.nonCancellable(() => link(a, request)));
  setHandler(deliverAuthCodeUpdate, (request) => deliverAuthCode(a, request), { validator: (request) => validateAuthCode(a, request) });
  setHandler(cancelUpdate, () => CancellationScope.nonCancellable(() => cancel(a)));
  setHandler(cancelSignal, () => requestCancel(a));
  // A Temporal cancel (UI, CLI) means the same as the merchant's cancel.
  CancellationScope.current().cancelRequested.catch(() => requestCancel(a));
  setHandler(reprojectUpdate, () => CancellationScope.nonCancellable(() => reproject(a)));
  setHandler(walletCanceledSignal, () => {
    if (!isTerminalState(a.state)) a.record.requests.walletCanceled = true;
  });
  setHandler(refreshNowSignal, () => {
    a.record.requests.refreshNow = true;
  });
  setHandler(operatorRetrySignal, () => {
    if (a.state === 'NEEDS_ATTENTION') a.record.requests.operatorRetry = true;
  });
  setHandler(linkUsedSignal, ({ authState }) => {
    if (a.state === 'AWAITING_AUTH_CODE' && a.record.link?.authState === authState) a.record.linkUsed = true;
  });
}

/** The payment path's fallback when Redis cannot answer: the token, only while tokenServing allows it. */
function servedAccessToken(a: Authorization) {
  const { tokens, state } = a.record;
  const facts = { state, accessTokenExpiry: tokens?.accessTokenExpiry, withdrawn: a.withdrawn(), nowMs: Date.now() };
  if (!tokens || !isServable(facts)) return null;
  return { accessToken: tokens.accessToken, accessTokenExpiry: tokens.accessTokenExpiry, state, ...(tokens.userLoginId ? { userLoginId: tokens.userLoginId } : {}) };
}

/**
 * Link: answers once a consult's URL exists or a token is held. A new consult when the customer must act again: in
 * REAUTH_REQUIRED (relink), or while waiting on a URL that was spent (the customer came back without a code) or that
 * the caller says no longer works (`newConsult`).
 */
async function link(a: Authorization, request: LinkRequest | undefined) {
  const r = a.record;
  if (r.state === 'REAUTH_REQUIRED' || (r.state === 'AWAITING_AUTH_CODE' && (r.linkUsed || request?.newConsult))) {
    r.requests.newConsult = true;
  }
  await condition(() => isTerminalState(a.state) || (!r.requests.newConsult && a.state !== 'CONSULTING'));
  return a.linkResponse();
}

async function cancel(a: Authorization) {
  requestCancel(a);
  await condition(() => isTerminalState(a.state) || a.parkedInRevoke());
  return a.view();
}

function requestCancel(a: Authorization): void {
  if (!isTerminalState(a.state)) a.record.requests.cancel = true;
}

/** Runs an activity beside the steps: safe because projection writes are versioned and a removal leaves a tombstone. */
async function reproject(a: Authorization) {
  if (!a.tokens || isTerminalState(a.state) || a.state === 'REVOKING' || a.withdrawn()) return { projected: false, state: a.state };
  if (!(await a.project())) {
    throw ApplicationFailure.create({ type: 'PROJECTION_FAILED', message: 'the token projection could not be written', nonRetryable: true });
  }
  return { projected: true, state: a.state };
}

// ---- authCode deliveries: the redirect (unsigned) and AUTHCODE_CREATED (signed) both bring the code ----------------

const deliveryKey = (request: DeliverAuthCodeRequest): string => `${request.authState}|${codeFingerprint(request.authCode)}`;
const isDuplicate = (a: Authorization, request: DeliverAuthCodeRequest): boolean =>
  a.record.authCodeDeliveries.some((d) => d.startsWith(`${deliveryKey(request)}|`));

/**
 * A signed code for an authState whose only code so far came by the (unsigned) redirect prevails, while that
 * authorization attempt is still open: being applied, or just failed and re-consulted.
 */
function signedMayOverride(a: Authorization, request: DeliverAuthCodeRequest): boolean {
  const r = a.record;
  return request.source === 'notification'
    && r.acceptedAuthStates.includes(request.authState)
    && r.authCodeDeliveries.filter((d) => d.startsWith(`${request.authState}|`)).every((d) => d.endsWith('|redirect'))
    && (r.state === 'APPLYING_TOKEN' || r.state === 'CONSULTING' || r.state === 'AWAITING_AUTH_CODE');
}

function validateAuthCode(a: Authorization, request: DeliverAuthCodeRequest): void {
  if (!request || typeof request.authCode !== 'string' || request.authCode === '' || typeof request.authState !== 'string') {
    throw new Error('authCode and authState are required');
  }
  if (isDuplicate(a, request)) return; // answered as a duplicate
  if (signedMayOverride(a, request)) return;
  const r = a.record;
  if (r.acceptedAuthStates.includes(request.authState)) throw new Error('a code for this authState was already applied');
  if (r.state !== 'AWAITING_AUTH_CODE' || !r.link) throw new Error(`no authCode is awaited (state ${r.state})`);
  if (request.authState !== r.link.authState) throw new Error('authState does not match the current authorization');
}

function deliverAuthCode(a: Authorization, request: DeliverAuthCodeRequest): DeliverAuthCodeResponse {
  const r = a.record;
  if (isDuplicate(a, request)) return { accepted: false, duplicate: true, state: r.state };
  r.authCodeDeliveries = [...r.authCodeDeliveries, `${deliveryKey(request)}|${request.source}`].slice(-2 * ACCEPTED_AUTH_STATES_KEPT);
  if (r.state === 'APPLYING_TOKEN' && r.requests.authCode?.authState === request.authState) {
    // The redirect's code is being exchanged; the signed one is applied if that exchange fails.
    r.requests.signedCodeWaiting = request;
    return { accepted: true, duplicate: false, state: r.state };
  }
  r.requests.authCode = request;
  r.requests.newConsult = false; // the customer approved after all: this code is the answer a pending link waits for
  if (!r.acceptedAuthStates.includes(request.authState)) {
    r.acceptedAuthStates = [...r.acceptedAuthStates, request.authState].slice(-ACCEPTED_AUTH_STATES_KEPT);
  }
  a.enter('APPLYING_TOKEN');
  return { accepted: true, duplicate: false, state: r.state };
}
