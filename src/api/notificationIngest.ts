/**
 * Inbound authorization notifications (antom-api.md §3 notifyAuthorization, §4 authNotify / consultUnbinding),
 * independent of the HTTP framework:
 *
 *   1. verify the signature over the raw body — bad or missing → 401, nothing else happens;
 *   2. parse and validate — 400 naming the field;
 *   3. find the authorization: AUTHCODE_CREATED by authState (Redis index), TOKEN_CANCELED by access-token digest;
 *      none → acknowledged (so the platform stops resending) and counted as unknown-authorization;
 *   4. deduplicate in two phases (claim → deliver → confirm; release on failure) — the platform resends for 24 h;
 *   5. deliver (authCode update / wallet-canceled signal); TOKEN_CREATED is only recorded (applyToken already
 *      returned the token to the workflow);
 *   6. answer exactly NOTIFICATION_ACK_BODY with HTTP 200, signed for Alipay+. A delivery that failed (Temporal
 *      unreachable) answers 503 and releases its claim, so the resend is delivered: a notification is never lost.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ACK_CONTENT_TYPE,
  consultUnbindingResponseBody,
  NOTIFICATION_ACK_BODY,
  signAlipayPlusResponse,
} from '../antom/notificationAck';
import {
  validateAlipayPlusAuthNotification,
  validateAntomAuthorizationNotification,
  validateConsultUnbindingRequest,
} from '../antom/notifications';
import { formatIssues, type Validation } from '../antom/validation';
import type { AntomAuthorizationNotification, AlipayPlusAuthNotification } from '../antom/models';
import type { NotificationPlatform, NotificationOutcome, ServiceMetrics } from '../metrics';
import type { AuthStateIndex } from '../store/authStateIndex';
import type { NotificationDedupe } from '../store/notificationDedupe';
import type { TokenProjectionStore } from '../store/tokenProjection';
import { AuthorizationNotFoundError, AuthorizationRejectedError, type AuthorizationOperations } from './authorizationOperations';
import { errorBody } from './httpErrors';
import { verifyNotificationSignature, type NotificationSignatureOptions } from './notificationSignature';

export interface NotificationIngestDependencies {
  readonly signature: NotificationSignatureOptions;
  /** Our identity at Alipay+, to sign responses to its notifications. Without it Alipay+ routes answer 503. */
  readonly alipayPlusResponseSigner?: { readonly clientId: string; readonly privateKey: KeyObject; readonly keyVersion?: string };
  readonly dedupe: Pick<NotificationDedupe, 'deliverOnce'>;
  readonly authStates: Pick<AuthStateIndex, 'get'>;
  readonly tokens: Pick<TokenProjectionStore, 'workflowIdForAccessToken'>;
  readonly operations: Pick<AuthorizationOperations, 'deliverAuthCode' | 'walletCanceled'>;
  readonly metrics: Pick<ServiceMetrics, 'recordNotification'>;
  readonly logger: Logger;
  /**
   * The answer to Alipay+ consultUnbinding ("may the customer unbind this token in the wallet?"), per authorization:
   * a function gets the authorization the token belongs to (`workflowId`, undefined when the token is not one of ours)
   * and decides; a boolean answers every authorization alike. Default true: whether a customer may leave is the
   * merchant's business rule (an unpaid balance, a contract term), data antom-auth does not hold, and refusing by
   * default would keep customers bound against their will.
   */
  readonly allowUnbinding?: boolean | UnbindingPolicy;
}

/** Decides one consultUnbinding. Sees no token: only which authorization it is and the auth client asking. */
export type UnbindingPolicy = (authorization: { readonly workflowId: string | undefined; readonly authClientId: string }) => boolean | Promise<boolean>;

export interface InboundNotification {
  /** The path as received, query included (what the sender signed, modulo a proxy prefix). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawBody: string;
}

export interface NotificationAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly outcome: NotificationOutcome;
}

type AuthNotification = AntomAuthorizationNotification | AlipayPlusAuthNotification;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function failure(statusCode: number, code: string, message: string, outcome: NotificationOutcome): NotificationAnswer {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(errorBody(code, message)), outcome };
}

function parseJson(rawBody: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(rawBody) };
  } catch {
    return { ok: false };
  }
}

export class NotificationIngest {
  constructor(private readonly deps: NotificationIngestDependencies) {}

  /** POST /notifications/antom and /notifications/alipayplus. */
  async authorizationNotification(platform: NotificationPlatform, inbound: InboundNotification): Promise<NotificationAnswer> {
    const verdict = verifyNotificationSignature(this.deps.signature, inbound);
    if (!verdict.ok) return this.finish(platform, 'unknown', failure(401, 'unverified', verdict.problem, 'unverified'));
    if (platform === 'alipayplus' && !this.deps.alipayPlusResponseSigner) {
      return this.finish(platform, 'unknown', failure(503, 'not-configured', 'Alipay+ response signing is not configured', 'delivery-failed'));
    }
    const json = parseJson(inbound.rawBody);
    if (!json.ok) return this.finish(platform, 'unknown', failure(400, 'invalid-json', 'body is not valid JSON', 'invalid'));
    const validation: Validation<AuthNotification> =
      platform === 'antom' ? validateAntomAuthorizationNotification(json.value) : validateAlipayPlusAuthNotification(json.value);
    if (!validation.ok) {
      return this.finish(platform, 'unknown', failure(400, 'invalid-notification', formatIssues(validation.messageName, validation.issues), 'invalid'));
    }
    const notification = validation.value;
    const type = notification.authorizationNotifyType;
    let outcome: NotificationOutcome;
    try {
      outcome = await this.dispatch(platform, notification);
    } catch (error) {
      this.deps.logger.warn({ platform, type, err: error }, 'notification delivery failed; the platform will resend');
      return this.finish(platform, type, failure(503, 'delivery-failed', 'the notification could not be delivered now; resend later', 'delivery-failed'));
    }
    if (outcome === 'in-progress') {
      return this.finish(platform, type, failure(409, 'in-progress', 'this notification is being delivered by another request; resend later', outcome));
    }
    return this.finish(platform, type, this.acknowledge(platform, verdict.signedPath, NOTIFICATION_ACK_BODY, outcome));
  }

  /** POST /notifications/alipayplus/consultUnbinding: Alipay+ asks whether the customer may unbind in the wallet. */
  async consultUnbinding(inbound: InboundNotification): Promise<NotificationAnswer> {
    const platform = 'alipayplus';
    const type = 'consultUnbinding';
    const verdict = verifyNotificationSignature(this.deps.signature, inbound);
    if (!verdict.ok) return this.finish(platform, type, failure(401, 'unverified', verdict.problem, 'unverified'));
    if (!this.deps.alipayPlusResponseSigner) {
      return this.finish(platform, type, failure(503, 'not-configured', 'Alipay+ response signing is not configured', 'delivery-failed'));
    }
    const json = parseJson(inbound.rawBody);
    if (!json.ok) return this.finish(platform, type, failure(400, 'invalid-json', 'body is not valid JSON', 'invalid'));
    const validation = validateConsultUnbindingRequest(json.value);
    if (!validation.ok) {
      return this.finish(platform, type, failure(400, 'invalid-request', formatIssues(validation.messageName, validation.issues), 'invalid'));
    }
    let allow: boolean;
    try {
      allow = await this.allowsUnbinding(validation.value.accessToken, validation.value.authClientId);
    } catch (error) {
      // No answer rather than a guess: Alipay+ asks again.
      this.deps.logger.warn({ platform, type, err: error }, 'consultUnbinding could not be decided');
      return this.finish(platform, type, failure(503, 'delivery-failed', 'the unbinding question could not be decided now; ask again later', 'delivery-failed'));
    }
    const body = consultUnbindingResponseBody(allow);
    return this.finish(platform, type, this.acknowledge(platform, verdict.signedPath, body, 'recorded'));
  }

  private async allowsUnbinding(accessToken: string, authClientId: string): Promise<boolean> {
    const policy = this.deps.allowUnbinding ?? true;
    if (typeof policy === 'boolean') return policy;
    const workflowId = (await this.deps.tokens.workflowIdForAccessToken(accessToken)) ?? undefined;
    return policy({ workflowId, authClientId });
  }

  private async dispatch(platform: NotificationPlatform, notification: AuthNotification): Promise<NotificationOutcome> {
    switch (notification.authorizationNotifyType) {
      case 'TOKEN_CREATED':
        // applyToken's response already gave the workflow this token; the notification only confirms it.
        return 'recorded';
      case 'AUTHCODE_CREATED': {
        const { authState, authCode } = notification;
        const workflowId = await this.deps.authStates.get(authState);
        if (!workflowId) return 'unknown-authorization';
        return this.deliverOnce({ platform, type: 'AUTHCODE_CREATED', authState, authCode }, async () => {
          const response = await this.deps.operations.deliverAuthCode(workflowId, { authCode, authState, source: 'notification' });
          if (response.duplicate) return 'duplicate';
          return response.accepted ? 'delivered' : 'rejected';
        });
      }
      case 'TOKEN_CANCELED': {
        const { accessToken, reason } = notification;
        const workflowId = await this.deps.tokens.workflowIdForAccessToken(accessToken);
        if (!workflowId) return 'unknown-authorization';
        return this.deliverOnce({ platform, type: 'TOKEN_CANCELED', accessToken }, async () => {
          await this.deps.operations.walletCanceled(workflowId, reason);
          return 'delivered';
        });
      }
    }
  }

  /** Runs `deliver` at most once per identity; a refusal by the workflow is final (acknowledged), not a failure. */
  private async deliverOnce(identity: Record<string, string>, deliver: () => Promise<NotificationOutcome>): Promise<NotificationOutcome> {
    const result = await this.deps.dedupe.deliverOnce(identity, async () => {
      try {
        return await deliver();
      } catch (error) {
        if (error instanceof AuthorizationNotFoundError) return 'unknown-authorization' as const;
        if (error instanceof AuthorizationRejectedError) return 'rejected' as const;
        throw error;
      }
    });
    return result.status === 'delivered' ? result.result : result.status;
  }

  private acknowledge(platform: NotificationPlatform, signedPath: string, body: string, outcome: NotificationOutcome): NotificationAnswer {
    const signer = this.deps.alipayPlusResponseSigner;
    if (platform === 'alipayplus' && signer) {
      const signed = signAlipayPlusResponse({
        body,
        path: signedPath,
        clientId: signer.clientId,
        privateKey: signer.privateKey,
        ...(signer.keyVersion === undefined ? {} : { keyVersion: signer.keyVersion }),
      });
      return { statusCode: 200, headers: signed.headers, body: signed.body, outcome };
    }
    return { statusCode: 200, headers: { 'content-type': ACK_CONTENT_TYPE }, body, outcome };
  }

  private finish(platform: NotificationPlatform, type: string, answer: NotificationAnswer): NotificationAnswer {
    this.deps.metrics.recordNotification(platform, type, answer.outcome);
    // Type and outcome only: the body carries authCodes and tokens.
    this.deps.logger.info({ platform, notificationType: type, outcome: answer.outcome, status: answer.statusCode }, 'notification');
    return answer;
  }
}
