/**
 * Builds the activities the scenarios run with, wired to the sandbox and the scenario's Redis prefix.
 *
 * INTERIM: src/activities did not exist yet when the scenarios were written. Until it does, this module implements
 * the contract (src/workflows/activityContract.ts) directly over the project's real pieces — AntomClient against the
 * sandbox, the Redis token projection, the applyToken journal, the authState index — so every scenario already
 * exercises real HTTP, real signatures and real Redis. Swap the body for the src/activities factory once it lands.
 */
import type { KeyObject } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AntomClient } from '../../../src/antom/client';
import { AntomBusinessError, AntomError, AntomUnknownResultError } from '../../../src/antom/errors';
import type { KeyRing } from '../../../src/codec/keyRing';
import { ApplyTokenJournal } from '../../../src/store/applyTokenJournal';
import { AuthStateIndex } from '../../../src/store/authStateIndex';
import { redisKeys } from '../../../src/store/redisKeys';
import { TokenProjectionStore } from '../../../src/store/tokenProjection';
import type {
  ActivityFailureDetails,
  ApplyTokenInput,
  AuthorizationActivities,
  LinkResult,
  TokenSet,
} from '../../../src/workflows/activityContract';

export interface ScenarioActivityDeps {
  sandboxUrl: () => string;
  sandboxPublicKey: () => KeyObject;
  clientId: string;
  merchantPrivateKey: KeyObject;
  redis: () => Redis;
  keyPrefix: string;
  /** Virtual now (ms): obtainedAt/consultedAt and the projection's updatedAt follow the scenario clock. */
  clock: () => number;
  logger: Logger;
  encryptionKeyRing: KeyRing;
}

/** An ApplicationFailure per the contract: type = result code, non-retryable for final outcomes, no secrets. */
function toFailure(error: unknown): never {
  if (error instanceof ApplicationFailure) throw error;
  if (error instanceof AntomError) {
    const code = error instanceof AntomBusinessError || error instanceof AntomUnknownResultError
      ? error.resultCode
      : error.name === 'AntomUnverifiableResponseError' ? 'UNVERIFIABLE_RESPONSE' : error.name === 'AntomTransportError' ? 'TRANSPORT_ERROR' : 'PARAM_ILLEGAL';
    const details: ActivityFailureDetails = { outcome: error.outcome, resultCode: code };
    throw ApplicationFailure.create({ type: code, message: error.message, nonRetryable: !error.retryable, details: [details] });
  }
  throw ApplicationFailure.create({ type: 'TRANSPORT_ERROR', message: 'unexpected activity error', details: [{ outcome: 'unknown-retry', resultCode: 'TRANSPORT_ERROR' }] });
}

export function createScenarioActivities(deps: ScenarioActivityDeps): AuthorizationActivities {
  let clients: { antom: AntomClient; alipayplus: AntomClient } | undefined;
  const client = (profile: 'antom' | 'alipayplus'): AntomClient => {
    clients ??= {
      antom: new AntomClient({ clientId: deps.clientId, privateKey: deps.merchantPrivateKey, antomPublicKey: deps.sandboxPublicKey(), baseUrl: deps.sandboxUrl(), platform: 'antom', clock: deps.clock }),
      alipayplus: new AntomClient({ clientId: deps.clientId, privateKey: deps.merchantPrivateKey, antomPublicKey: deps.sandboxPublicKey(), baseUrl: deps.sandboxUrl(), platform: 'alipayplus', clock: deps.clock }),
    };
    return clients[profile];
  };
  const keys = redisKeys(deps.keyPrefix);
  const projection = () => new TokenProjectionStore(deps.redis(), { keyRing: deps.encryptionKeyRing, keys });
  const journal = () => new ApplyTokenJournal<TokenSet>(deps.redis(), { keyRing: deps.encryptionKeyRing, keys });
  const authStates = () => new AuthStateIndex(deps.redis(), { keys });
  const iso = (value: { epochMs: number } | undefined) => (value === undefined ? undefined : new Date(value.epochMs).toISOString());

  return {
    async consult(input) {
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      if (!workflowId) throw ApplicationFailure.nonRetryable('consult must run inside a workflow', 'PARAM_ILLEGAL');
      await authStates().put(input.authState, workflowId);
      const o = input.options;
      try {
        const consultedAt = new Date(deps.clock()).toISOString();
        const links = input.profile === 'antom'
          ? await client('antom').consult({
            customerBelongsTo: input.wallet,
            authRedirectUrl: o.authRedirectUrl,
            scopes: (o.scopes ?? ['AGREEMENT_PAY']) as never,
            authState: input.authState,
            ...(o.terminalType ? { terminalType: o.terminalType } : {}),
            ...(o.osType ? { osType: o.osType } : {}),
            ...(o.authClientId ? { authClientId: o.authClientId } : {}),
            ...(o.authNotifyUrl ? { authNotifyUrl: o.authNotifyUrl } : {}),
            ...(o.merchantRegion ? { merchantRegion: o.merchantRegion as never } : {}),
          })
          : await client('alipayplus').prepare({
            customerBelongsTo: input.wallet,
            authClientId: o.authClientId ?? deps.clientId,
            authClientName: 'Scenario Merchant',
            authRedirectUrl: o.authRedirectUrl,
            scopes: (o.scopes ?? ['AGREEMENT_PAY']) as never,
            authState: input.authState,
            terminalType: o.terminalType ?? 'WEB',
          });
        const qr = links.authCodeForm?.codeDetails?.find((d) => d.displayType === 'TEXT')?.codeValue;
        const result: LinkResult = {
          authState: input.authState,
          ...(links.normalUrl ? { normalUrl: links.normalUrl } : {}),
          ...(links.schemeUrl ? { schemeUrl: links.schemeUrl } : {}),
          ...(links.applinkUrl ? { applinkUrl: links.applinkUrl } : {}),
          ...(qr ? { qrCodeValue: qr } : {}),
          consultedAt,
        };
        return result;
      } catch (error) {
        return toFailure(error);
      }
    },

    async applyToken(input: ApplyTokenInput) {
      const requestKey = { ...input, clientId: deps.clientId };
      const journaled = await journal().get(requestKey);
      if (journaled) return journaled;
      try {
        let tokens: TokenSet;
        // requestId is part of the journal key (above) but never sent to Antom.
        const grant = input.grantType === 'AUTHORIZATION_CODE'
          ? { grantType: 'AUTHORIZATION_CODE' as const, authCode: input.authCode! }
          : { grantType: 'REFRESH_TOKEN' as const, refreshToken: input.refreshToken! };
        if (input.profile === 'antom') {
          const r = await client('antom').applyToken({ ...grant, customerBelongsTo: input.wallet, ...(input.merchantRegion ? { merchantRegion: input.merchantRegion as never } : {}) });
          tokens = {
            accessToken: r.accessToken,
            accessTokenExpiry: iso(r.accessTokenExpiryTime)!,
            ...(r.refreshToken ? { refreshToken: r.refreshToken, ...(r.refreshTokenExpiryTime ? { refreshTokenExpiry: iso(r.refreshTokenExpiryTime)! } : {}) } : {}),
            ...(r.userLoginId ? { userLoginId: r.userLoginId } : {}),
            obtainedAt: new Date(deps.clock()).toISOString(),
          };
        } else {
          const r = await client('alipayplus').applyTokenAps({ ...grant, authClientId: input.authClientId ?? deps.clientId, ...(input.passThroughInfo ? { passThroughInfo: input.passThroughInfo } : {}) });
          tokens = {
            accessToken: r.accessToken,
            accessTokenExpiry: iso(r.accessTokenExpiryTime)!,
            ...(r.refreshToken ? { refreshToken: r.refreshToken, ...(r.refreshTokenExpiryTime ? { refreshTokenExpiry: iso(r.refreshTokenExpiryTime)! } : {}) } : {}),
            ...(r.userLoginId ? { userLoginId: r.userLoginId } : {}),
            ...(r.customerId ? { customerId: r.customerId } : {}),
            obtainedAt: new Date(deps.clock()).toISOString(),
          };
        }
        await journal().put(requestKey, tokens);
        return tokens;
      } catch (error) {
        return toFailure(error);
      }
    },

    async revoke(input) {
      try {
        const removal = input.profile === 'antom'
          ? await client('antom').revoke({ accessToken: input.accessToken })
          : await client('alipayplus').cancelToken({ accessToken: input.accessToken, authClientId: input.authClientId ?? deps.clientId, ...(input.passThroughInfo ? { passThroughInfo: input.passThroughInfo } : {}) });
        return { alreadyRevoked: removal.removal === 'already-gone' };
      } catch (error) {
        return toFailure(error);
      }
    },

    async projectToken(input) {
      await projection().put({
        workflowId: input.workflowId,
        wallet: input.wallet,
        customerId: input.customerId,
        accessToken: input.tokens.accessToken,
        accessTokenExpiry: input.tokens.accessTokenExpiry,
        ...(input.tokens.refreshTokenExpiry ? { refreshTokenExpiry: input.tokens.refreshTokenExpiry } : {}),
        ...(input.tokens.userLoginId ? { userLoginId: input.tokens.userLoginId } : {}),
        ...(input.nextRefreshAt ? { nextRefreshAt: input.nextRefreshAt } : {}),
        state: input.state,
        updatedAt: new Date(deps.clock()).toISOString(),
        version: input.version,
      });
      deps.logger.info({ workflowId: input.workflowId, version: input.version }, 'token projected');
    },

    async removeProjection(input) {
      await projection().remove(input.workflowId);
      deps.logger.info({ workflowId: input.workflowId }, 'projection removed');
    },
  };
}
