/**
 * revoke (Antom) / cancelToken (Alipay+). Antom answering INVALID_ACCESS_TOKEN means the token is already expired,
 * revoked or unknown — the goal of a revoke — so it returns { alreadyRevoked: true } instead of failing; this also
 * makes a retry after a lost success response harmless.
 */
import type { AlipayPlusCancelTokenRequest, AntomRevokeRequest } from '../antom/models';
import type { RevokeInput, RevokeResult } from '../workflows/activityContract';
import { currentActivityIdentity } from './activityIdentity';
import { callAntom } from './antomCall';
import type { ActivityDependencies } from './dependencies';
import { withoutUndefined } from './withoutUndefined';

/** Sends one revoke (Antom) / cancelToken (Alipay+) and says whether the token was already gone. */
export async function sendRevoke(deps: ActivityDependencies, input: RevokeInput): Promise<RevokeResult> {
  const endpoint = input.profile === 'alipayplus' ? 'cancelToken' : 'revoke';
  const removal = await callAntom(deps, {
    profile: input.profile,
    merchantId: input.merchantId,
    endpoint,
    abortInFlight: true,
    send: (client, signal) => {
      const options = signal ? { signal } : {};
      if (input.profile === 'alipayplus') {
        const request: AlipayPlusCancelTokenRequest = withoutUndefined({
          accessToken: input.accessToken,
          authClientId: input.authClientId ?? '',
          passThroughInfo: input.passThroughInfo,
        });
        return client.cancelToken(request, options);
      }
      const request: AntomRevokeRequest = withoutUndefined({ accessToken: input.accessToken, merchantAccountId: input.merchantAccountId });
      return client.revoke(request, options);
    },
  });
  return { alreadyRevoked: removal.removal === 'already-gone' };
}

export function createRevokeActivity(deps: ActivityDependencies): (input: RevokeInput) => Promise<RevokeResult> {
  return async function revoke(input: RevokeInput): Promise<RevokeResult> {
    const { workflowId } = currentActivityIdentity(`${input.profile}.${input.profile === 'alipayplus' ? 'cancelToken' : 'revoke'}`);
    const { alreadyRevoked } = await sendRevoke(deps, input);
    deps.logger.info({ workflowId, wallet: input.wallet, profile: input.profile, alreadyRevoked }, 'token revoked');
    return { alreadyRevoked };
  };
}
