/**
 * The Redis projection the payment path reads: projectToken writes token + metadata + lifecycle index + token-digest
 * lookup atomically (the store ignores a version older than the stored one, so a late attempt never rolls a token
 * back); removeProjection deletes all of it and leaves a tombstone at the last version, so a late write cannot
 * resurrect a retired token. Redis failures are retryable STORE_UNAVAILABLE failures; the workflow
 * records them and carries on, since the projection can always be rebuilt from the workflow. A written (not stale)
 * projection is reported to deps.onProjected (metadata only), which feeds the refresh lead-time metric.
 */
import type { ProjectTokenInput, RemoveProjectionInput } from '../workflows/activityContract';
import type { ActivityDependencies } from './dependencies';
import { toActivityFailure } from './failureMapping';

export function createProjectTokenActivity(deps: ActivityDependencies): (input: ProjectTokenInput) => Promise<void> {
  const now = deps.clock ?? Date.now;
  return async function projectToken(input: ProjectTokenInput): Promise<void> {
    const { tokens } = input;
    let written: string;
    try {
      written = await deps.store.tokenProjection.put({
        workflowId: input.workflowId,
        wallet: input.wallet,
        customerId: input.customerId,
        accessToken: tokens.accessToken,
        accessTokenExpiry: tokens.accessTokenExpiry,
        ...(tokens.refreshTokenExpiry ? { refreshTokenExpiry: tokens.refreshTokenExpiry } : {}),
        ...(tokens.userLoginId ? { userLoginId: tokens.userLoginId } : {}),
        ...(input.nextRefreshAt ? { nextRefreshAt: input.nextRefreshAt } : {}),
        state: input.state,
        updatedAt: new Date(now()).toISOString(),
        version: input.version,
        authorizationId: input.authorizationId,
      });
    } catch (error) {
      throw toActivityFailure(error, 'projectToken', 'store');
    }
    deps.logger.debug({ workflowId: input.workflowId, version: input.version, state: input.state, written }, 'token projected');
    if (written === 'written' && deps.onProjected) {
      try {
        deps.onProjected({
          workflowId: input.workflowId,
          wallet: input.wallet,
          state: input.state,
          version: input.version,
          accessTokenExpiry: tokens.accessTokenExpiry,
          ...(input.nextRefreshAt ? { nextRefreshAt: input.nextRefreshAt } : {}),
        });
      } catch (error) {
        deps.logger.warn({ workflowId: input.workflowId, err: error }, 'onProjected hook failed; projection kept');
      }
    }
  };
}

export function createRemoveProjectionActivity(deps: ActivityDependencies): (input: RemoveProjectionInput) => Promise<void> {
  return async function removeProjection(input: RemoveProjectionInput): Promise<void> {
    let removed: string;
    try {
      // Versioned when a token was projected: the tombstone keeps out a projectToken of that version still in flight
      // (the reproject handler runs beside the main loop). A later authorization under the same workflow id adopts
      // its token later, so its versions are higher and its first projection is not blocked.
      removed = await deps.store.tokenProjection.remove(input.workflowId, input.version === undefined ? {} : { version: input.version });
    } catch (error) {
      throw toActivityFailure(error, 'removeProjection', 'store');
    }
    deps.logger.debug({ workflowId: input.workflowId, removed }, 'token projection removed');
  };
}
