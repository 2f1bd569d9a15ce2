/**
 * One Antom call from an activity: pick the client for the profile, wait for a shared rate-limit slot, send, and
 * turn any failure into the activity's ApplicationFailure. Cancellation (the workflow's or a worker shutdown) is
 * honoured while waiting for a slot; whether it also aborts the call in flight is the caller's choice
 * (`abortInFlight`), because aborting an applyToken after it was sent could lose a token Antom already issued.
 */
import { Context } from '@temporalio/activity';
import type { AntomClient } from '../antom/client';
import type { Profile } from '../workflows/activityContract';
import type { ActivityDependencies } from './dependencies';
import { configurationFailure, toActivityFailure } from './failureMapping';

export interface AntomCallSpec<T> {
  profile: Profile;
  /** The endpoint's name on that platform (consult, applyToken, revoke, prepare, cancelToken): the limiter bucket. */
  endpoint: string;
  abortInFlight: boolean;
  send(client: AntomClient, signal: AbortSignal | undefined): Promise<T>;
}

export function clientForProfile(deps: ActivityDependencies, profile: Profile, operation: string): AntomClient {
  const client = deps.antom[profile];
  if (client === undefined) throw configurationFailure(operation, `no ${profile} client is configured on this worker`);
  if (client.platform !== profile) {
    throw configurationFailure(operation, `the client configured for ${profile} talks to ${client.platform}`);
  }
  return client;
}

export async function callAntom<T>(deps: ActivityDependencies, spec: AntomCallSpec<T>): Promise<T> {
  const operation = `${spec.profile}.${spec.endpoint}`;
  const client = clientForProfile(deps, spec.profile, operation);
  const signal = Context.current().cancellationSignal;
  try {
    // One bucket per platform endpoint: Antom's quota is per API, and both platforms may share a worker.
    await deps.store.rateLimiter.acquire(operation, { signal });
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
