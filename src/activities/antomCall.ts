/**
 * One Antom call from an activity: pick the merchant's client for the profile, wait for a shared rate-limit slot, send, and
 * turn any failure into the activity's ApplicationFailure. Cancellation (the workflow's or a worker shutdown) is
 * honoured while waiting for a slot; whether it also aborts the call in flight is the caller's choice
 * (`abortInFlight`), because aborting an applyToken after it was sent could lose a token Antom already issued.
 */
import { Context } from '@temporalio/activity';
import type { AntomClient } from '../antom/client';
import type { Profile } from '../workflows/activityContract';
import { isDefaultMerchant } from '../workflows/authorizationIdentity';
import type { ActivityDependencies } from './dependencies';
import { configurationFailure, toActivityFailure } from './failureMapping';

export interface AntomCallSpec<T> {
  profile: Profile;
  /** The authorization's merchant (absent: the default merchant's clients, `deps.antom`). */
  merchantId?: string | undefined;
  /** The endpoint's name on that platform (consult, applyToken, revoke, prepare, cancelToken): the limiter bucket. */
  endpoint: string;
  abortInFlight: boolean;
  send(client: AntomClient, signal: AbortSignal | undefined): Promise<T>;
}

/**
 * The client an authorization's calls go out with: its merchant's (one credential set, one platform), or for the
 * default merchant the client of its profile. A merchant this worker does not know, or whose platform is not the
 * authorization's profile, fails as CONFIGURATION_ERROR (parked for an operator): never another merchant's keys.
 */
export function clientForProfile(deps: ActivityDependencies, profile: Profile, operation: string, merchantId?: string): AntomClient {
  const named = !isDefaultMerchant(merchantId);
  const client = named ? deps.merchants?.[merchantId!]?.client : deps.antom[profile];
  if (client === undefined) {
    throw configurationFailure(operation, named ? `merchant ${merchantId} is not configured on this worker (MERCHANTS_FILE)` : `no ${profile} client is configured on this worker`);
  }
  if (client.platform !== profile) {
    throw configurationFailure(operation, `the client configured for ${profile} talks to ${client.platform}`);
  }
  return client;
}

export async function callAntom<T>(deps: ActivityDependencies, spec: AntomCallSpec<T>): Promise<T> {
  const operation = `${spec.profile}.${spec.endpoint}`;
  const client = clientForProfile(deps, spec.profile, operation, spec.merchantId);
  const signal = Context.current().cancellationSignal;
  try {
    // One bucket per merchant and platform endpoint: Antom's quota is per API of a merchant account, and several
    // merchants and both platforms may share a worker. The default merchant keeps its bucket's old name.
    const bucket = isDefaultMerchant(spec.merchantId) ? operation : `${spec.merchantId}/${operation}`;
    await deps.store.rateLimiter.acquire(bucket, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw toActivityFailure(error, operation, 'store');
  }
  try {
    return await spec.send(client, spec.abortInFlight ? signal : undefined);
  } catch (error) {
    // A cancelled activity reports the cancellation itself, not what the abort did to the call.
    if (signal.aborted) throw signal.reason;
    throw toActivityFailure(error, operation, 'antom');
  }
}
