/**
 * AuthorizationOperations backed by the merchant library (src/client.ts): the service's routes and the library share
 * one implementation of every workflow interaction. Translates the library's errors into the API seam's.
 */
import {
  AuthorizationClient,
  AuthorizationNotFoundError as ClientNotFoundError,
  AuthorizationRequestRejectedError,
  UnknownAuthStateError,
} from '../client';
import { AuthorizationNotFoundError, AuthorizationRejectedError, type AuthorizationOperations } from './authorizationOperations';
import { parseAuthorizationWorkflowId } from './walletReturnRoute';

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ClientNotFoundError) throw new AuthorizationNotFoundError(error.workflowId);
    if (error instanceof UnknownAuthStateError) throw new AuthorizationNotFoundError('(by authState)');
    if (error instanceof AuthorizationRequestRejectedError) throw new AuthorizationRejectedError(error.message);
    throw error;
  }
}

export function operationsFromClient(client: AuthorizationClient): AuthorizationOperations {
  return {
    forMerchant: (merchant) => operationsFromClient(client.forMerchant(merchant)),
    link: (command) => translated(() => client.link({
      wallet: command.wallet,
      customerId: command.customerId,
      profile: command.profile,
      ...(command.merchantId ? { merchantId: command.merchantId } : {}),
      consult: command.consult,
      ...(command.policy ? { policy: command.policy } : {}),
    }, command.newConsult ? { newConsult: true } : {})),
    linkUsed: (workflowId, authState) => translated(() => client.linkUsed(workflowId, authState)),
    async getState(wallet, customerId) {
      try {
        return await translated(() => client.getState(wallet, customerId));
      } catch (error) {
        if (error instanceof AuthorizationNotFoundError) return undefined;
        throw error;
      }
    },
    cancel: (wallet, customerId, reason) => translated(() => client.cancel(wallet, customerId, reason)),
    requestCancel: (wallet, customerId, reason) => translated(() => client.requestCancel(wallet, customerId, reason)),
    refreshNow: (wallet, customerId, reason) => translated(() => client.refreshNow(wallet, customerId, reason)),
    operatorRetry: (wallet, customerId, note) => translated(() => client.operatorRetry(wallet, customerId, note)),
    operatorRetryWhere: (filter, note) => translated(() => client.operatorRetryWhere(filter, note)),
    getAccessToken: (wallet, customerId) => translated(() => client.getAccessToken(wallet, customerId)),
    expiringBefore: (before, limit, states) => translated(() => client.expiringBefore(before, limit, states)),
    // Delivered where the caller routed it (Redis or Temporal visibility): Redis may not know the authState.
    deliverAuthCode: (workflowId, request) => translated(() => client.deliverAuthCodeTo(workflowId, request)),
    async walletCanceled(workflowId, reason) {
      const parts = parseAuthorizationWorkflowId(workflowId);
      if (!parts) throw new AuthorizationNotFoundError(workflowId);
      await translated(() => client.forMerchant(parts.merchant).walletCanceled(parts.wallet, parts.customerId, reason));
    },
  };
}
