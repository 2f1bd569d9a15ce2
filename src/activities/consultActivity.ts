/**
 * consult (Antom) / prepare (Alipay+): obtain the URL or QR the customer authorizes with. The authState →
 * workflowId mapping is written to Redis BEFORE Antom is called, so an authCode that arrives (redirect or
 * AUTHCODE_CREATED notification) however fast can always be routed to its workflow.
 */
import type { AlipayPlusAuthScope, AlipayPlusPrepareRequest, AntomConsultRequest, AuthorizationLinks, AuthScope, MerchantRegion } from '../antom/models';
import type { ConsultInput, ConsultOptions, LinkResult } from '../workflows/activityContract';
import { currentActivityIdentity } from './activityIdentity';
import { callAntom } from './antomCall';
import type { ActivityDependencies } from './dependencies';
import { configurationFailure, toActivityFailure } from './failureMapping';
import { withoutUndefined } from './withoutUndefined';
import { isDefaultMerchant } from '../workflows/authorizationIdentity';

/** Auto debit: the scope the whole product exists for. */
export const DEFAULT_SCOPES: readonly AuthScope[] = ['AGREEMENT_PAY'];

/**
 * Alipay+ returns the masked userLoginId (the linked account shown to the customer) only when prepare asked for
 * USER_LOGIN_ID (alipayplus-applyToken-acqp.txt); Antom's AGREEMENT_PAY alone does that on /ams.
 */
export const DEFAULT_ALIPAY_PLUS_SCOPES: readonly AlipayPlusAuthScope[] = ['AGREEMENT_PAY', 'USER_LOGIN_ID'];

/** Alipay+ identity fields a caller may put in the consult options; they win over the worker's configured ones. */
interface AlipayPlusIdentityOptions {
  authClientName?: string;
  authClientDisplayName?: string;
  referenceMerchantId?: string;
}

function antomConsultRequest(input: ConsultInput): AntomConsultRequest {
  const o = input.options;
  return withoutUndefined({
    customerBelongsTo: input.wallet,
    authRedirectUrl: o.authRedirectUrl,
    // Values are checked by the protocol layer's validator (a bad one fails as REQUEST_INVALID, nothing sent).
    scopes: (o.scopes ?? DEFAULT_SCOPES) as AuthScope[],
    authState: input.authState,
    terminalType: o.terminalType,
    osType: o.osType,
    osVersion: o.osVersion,
    env: o.env === undefined ? undefined : withoutUndefined({ ...o.env }),
    authClientId: o.authClientId,
    authNotifyUrl: o.authNotifyUrl,
    merchantRegion: o.merchantRegion as MerchantRegion | undefined,
    recurringPayment: o.recurringPayment as AntomConsultRequest['recurringPayment'],
    merchantAccountId: o.merchantAccountId,
  }) as AntomConsultRequest;
}

function alipayPlusPrepareRequest(input: ConsultInput, deps: ActivityDependencies, operation: string): AlipayPlusPrepareRequest {
  const o = input.options as ConsultOptions & AlipayPlusIdentityOptions;
  // A named merchant shows its own name (MERCHANTS_FILE authClientName), never the default merchant's.
  const merchant = isDefaultMerchant(input.merchantId) ? deps.alipayPlusAuthClient : deps.merchants?.[input.merchantId!]?.alipayPlusAuthClient;
  const authClientName = o.authClientName ?? merchant?.name;
  if (!authClientName) {
    throw configurationFailure(operation, 'Alipay+ prepare needs the auth client legal name (alipayPlusAuthClient.name)');
  }
  return withoutUndefined({
    customerBelongsTo: input.wallet,
    authClientId: o.authClientId,
    authClientName,
    authClientDisplayName: o.authClientDisplayName ?? merchant?.displayName,
    referenceMerchantId: o.referenceMerchantId ?? merchant?.referenceMerchantId,
    authRedirectUrl: o.authRedirectUrl,
    scopes: (o.scopes ?? DEFAULT_ALIPAY_PLUS_SCOPES) as AlipayPlusAuthScope[],
    authState: input.authState,
    // prepare has no env object: the legacy placement is the only one.
    terminalType: o.terminalType ?? o.env?.terminalType,
    osType: o.osType ?? o.env?.osType,
    osVersion: o.osVersion ?? o.env?.osVersion,
    merchantRegion: o.merchantRegion as MerchantRegion | undefined,
  }) as AlipayPlusPrepareRequest;
}

/** The customer-facing part of a consult answer; a TEXT code is what a QR renders. */
export function linkResultFrom(authState: string, links: AuthorizationLinks, consultedAtMs: number): LinkResult {
  const codes = links.authCodeForm?.codeDetails ?? [];
  const qr = codes.find((code) => code.displayType === 'TEXT') ?? codes[0];
  return withoutUndefined({
    authState,
    normalUrl: links.normalUrl ?? links.authUrl,
    schemeUrl: links.schemeUrl,
    applinkUrl: links.applinkUrl,
    qrCodeValue: qr?.codeValue,
    consultedAt: new Date(consultedAtMs).toISOString(),
  });
}

export function createConsultActivity(deps: ActivityDependencies): (input: ConsultInput) => Promise<LinkResult> {
  const now = deps.clock ?? Date.now;
  return async function consult(input: ConsultInput): Promise<LinkResult> {
    const endpoint = input.profile === 'alipayplus' ? 'prepare' : 'consult';
    const operation = `${input.profile}.${endpoint}`;
    const { workflowId } = currentActivityIdentity(operation);
    try {
      await deps.store.authStateIndex.put(input.authState, workflowId);
    } catch (error) {
      throw toActivityFailure(error, `${operation} (authState index)`, 'store');
    }
    // Built before a rate-limit slot is taken: a configuration problem must not spend one.
    const prepareRequest = input.profile === 'alipayplus' ? alipayPlusPrepareRequest(input, deps, operation) : undefined;
    const links = await callAntom(deps, {
      profile: input.profile,
      merchantId: input.merchantId,
      endpoint,
      abortInFlight: true,
      send: (client, signal) => {
        const options = signal ? { signal } : {};
        return prepareRequest ? client.prepare(prepareRequest, options) : client.consult(antomConsultRequest(input), options);
      },
    });
    const result = linkResultFrom(input.authState, links, now());
    deps.logger.info({ workflowId, wallet: input.wallet, profile: input.profile, authState: input.authState }, 'consult done');
    return result;
  };
}
