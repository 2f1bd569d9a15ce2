/**
 * Inbound authorization notifications (antom-api.md §3 notifyAuthorization, §4 authNotify / consultUnbinding),
 * independent of the HTTP framework:
 *
 *   1. verify the signature over the raw body — bad or missing → 401, nothing else happens; a request-time beyond
 *      ±NOTIFICATION_REQUEST_TIME_TOLERANCE_MS of our clock → 401 too (a fresh resend verifies);
 *   2. parse and validate — 400 naming the field; an authorizationNotifyType we do not handle is acknowledged and
 *      recorded for operators (a 400 would buy 24 hours of resends of something no resend can fix);
 *   3. find the authorization (notificationRouting.ts: Redis, then Temporal visibility): AUTHCODE_CREATED by
 *      authState, TOKEN_CANCELED by access token (current or previous);
 *   4. deduplicate in two phases (claim → deliver → confirm; release on failure) — the platform resends for 24 h;
 *   5. deliver (authCode update / wallet-canceled signal); TOKEN_CREATED is only recorded (applyToken already
 *      returned the token to the workflow);
 *   6. answer exactly NOTIFICATION_ACK_BODY with HTTP 200, signed for Alipay+.
 *
 * Steps 3–5 are retried inside the request for NOTIFICATION_DELIVERY_RETRY_MS when Temporal (or Redis) fails: an
 * AUTHCODE_CREATED's authCode dies one minute after issue and Antom's first resend comes two minutes later, so a short
 * outage must not cost the customer's consent. A delivery still failing then answers 503 (its claim released, so the
 * resend is delivered); a request the sender gave up on still finishes its delivery.
 * Nothing found anywhere (the lookups answered, no match) → 503 so the platform resends, until
 * NOTIFICATION_UNROUTED_ACK_AFTER_MS after it was first seen (Redis); then acknowledged and recorded for operators.
 * Redis unable to tell when it was first seen → 503.
 */
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
import { AUTHORIZATION_NOTIFY_TYPES, type AntomAuthorizationNotification, type AlipayPlusAuthNotification } from '../antom/models';
import { requestTimeProblem } from '../antom/requestTime';
import { DEFAULT_NOTIFICATION_SETTINGS, type NotificationSettings } from '../config';
import type { NotificationPlatform, NotificationOutcome, ServiceMetrics } from '../metrics';
import type { NotificationDedupe } from '../store/notificationDedupe';
import type { TokenProjectionStore } from '../store/tokenProjection';
import type { UnroutedNotificationRecord, UnroutedNotifications } from '../store/unroutedNotifications';
import { AuthorizationNotFoundError, AuthorizationRejectedError, type AuthorizationOperations } from './authorizationOperations';
import { errorBody } from './httpErrors';
import type { NotificationRoute, NotificationRouter } from './notificationRouting';
import { verifyNotificationSignature, type AlipayPlusResponseSigner, type NotificationSignatureOptions } from './notificationSignature';
import { DEFAULT_MERCHANT_ID, parseAuthorizationWorkflowId } from '../workflows/authorizationIdentity';

export interface NotificationIngestDependencies {
  readonly signature: NotificationSignatureOptions;
  /** Our identity at Alipay+, to sign responses to its notifications. Without it Alipay+ routes answer 503. */
  readonly alipayPlusResponseSigner?: AlipayPlusResponseSigner;
  readonly dedupe: Pick<NotificationDedupe, 'deliverOnce'>;
  /** Finds the authorization: Redis, then Temporal visibility. */
  readonly router: NotificationRouter;
  /** First-seen times of unroutable notifications and the operators' record of acknowledged ones. */
  readonly unrouted: Pick<UnroutedNotifications, 'firstSeen' | 'record'>;
  /** consultUnbinding's policy gets the token's authorization from here. */
  readonly tokens: Pick<TokenProjectionStore, 'workflowIdForAccessToken'>;
  /** Tolerance, in-request retry budget, unrouted bound; default DEFAULT_NOTIFICATION_SETTINGS. */
  readonly settings?: Omit<NotificationSettings, 'routingKey'>;
  /** Now in ms for the request-time window and first-seen times (the sandbox's virtual clock in tests); default Date.now. */
  readonly clock?: () => number;
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
    const stale = this.requestTimeProblem(inbound);
    if (stale) return this.finish(platform, 'unknown', failure(401, 'unverified', stale, 'unverified'));
    const signer = this.signerFor(verdict);
    if (platform === 'alipayplus' && !signer) {
      return this.finish(platform, 'unknown', failure(503, 'not-configured', 'Alipay+ response signing is not configured', 'delivery-failed'));
    }
    const json = parseJson(inbound.rawBody);
    if (!json.ok) return this.finish(platform, 'unknown', failure(400, 'invalid-json', 'body is not valid JSON', 'invalid'));
    const unknownType = unhandledNotifyType(json.value);
    if (unknownType !== undefined) return this.unknownType(platform, verdict.signedPath, unknownType, json.value as Record<string, unknown>, signer);
    const validation: Validation<AuthNotification> =
      platform === 'antom' ? validateAntomAuthorizationNotification(json.value) : validateAlipayPlusAuthNotification(json.value);
    if (!validation.ok) {
      return this.finish(platform, 'unknown', failure(400, 'invalid-notification', formatIssues(validation.messageName, validation.issues), 'invalid'));
    }
    const notification = validation.value;
    const type = notification.authorizationNotifyType;
    let outcome: NotificationOutcome;
    try {
      outcome = await this.withinDeliveryBudget(() => this.dispatch(platform, notification, verdict.merchantId));
    } catch (error) {
      this.deps.logger.warn({ platform, type, err: error }, 'notification delivery failed; the platform will resend');
      return this.finish(platform, type, failure(503, 'delivery-failed', 'the notification could not be delivered now; resend later', 'delivery-failed'));
    }
    if (outcome === 'in-progress') {
      return this.finish(platform, type, failure(409, 'in-progress', 'this notification is being delivered by another request; resend later', outcome));
    }
    if (outcome === 'unrouted') return this.unrouted(platform, verdict.signedPath, notification, signer);
    return this.finish(platform, type, this.acknowledge(platform, verdict.signedPath, NOTIFICATION_ACK_BODY, outcome, signer));
  }

  /** Who signs our answer to Alipay+: the notifying merchant's identity, else the default one. */
  private signerFor(verdict: { clientId: string; merchantId: string }): AlipayPlusResponseSigner | undefined {
    const merchant = this.deps.signature.merchants?.get(verdict.clientId);
    return merchant ? merchant.alipayPlusResponseSigner : this.deps.alipayPlusResponseSigner;
  }

  private get settings(): Omit<NotificationSettings, 'routingKey'> {
    return this.deps.settings ?? DEFAULT_NOTIFICATION_SETTINGS;
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /**
   * Runs `attempt` until it answers, retrying a failure (Temporal or Redis unreachable) with backoff for
   * deliveryRetryMs. An attempt still running at the deadline is not abandoned: it finishes in the background (its
   * dedupe claim then confirms or releases), while this request answers 503.
   */
  private async withinDeliveryBudget<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.settings.deliveryRetryMs;
    let pause = RETRY_FIRST_PAUSE_MS;
    for (let tries = 1; ; tries++) {
      const running = attempt();
      const remaining = deadline - Date.now();
      try {
        return remaining > 0 ? await raceDeadline(running, remaining) : await running;
      } catch (error) {
        // The last pause is cut to the deadline, so the request keeps trying for its whole budget (not up to one
        // backoff less): inside the authCode's minute every second counts.
        if (error instanceof DeadlineReached || Date.now() >= deadline - RETRY_FIRST_PAUSE_MS / 5) throw error;
        this.deps.logger.info({ err: error, tries }, 'notification delivery failed; retrying within the request');
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, deadline - Date.now())));
        pause = Math.min(pause * 2, RETRY_MAX_PAUSE_MS);
      }
    }
  }

  /** An authorizationNotifyType we do not handle: acknowledged and recorded (nothing a resend could fix). */
  private async unknownType(platform: NotificationPlatform, signedPath: string, type: string, body: Record<string, unknown>, signer: AlipayPlusResponseSigner | undefined): Promise<NotificationAnswer> {
    const record: UnroutedNotificationRecord = {
      at: new Date(this.now()).toISOString(),
      platform,
      type: type.slice(0, MAX_RECORDED_TYPE_LENGTH),
      reason: 'unknown-type',
      ...(typeof body.authState === 'string' ? { authState: body.authState.slice(0, 256) } : {}),
      fields: Object.keys(body).slice(0, 32).map((field) => field.slice(0, 64)),
    };
    return this.recordAndAcknowledge(platform, signedPath, signer, record, 'unknown-type', 'notification of an unknown authorizationNotifyType acknowledged and recorded');
  }

  /** Nothing matched: 503 so the platform resends, until the bound after the first sighting; then acknowledged and recorded. */
  private async unrouted(platform: NotificationPlatform, signedPath: string, notification: AuthNotification, signer: AlipayPlusResponseSigner | undefined): Promise<NotificationAnswer> {
    const type = notification.authorizationNotifyType;
    const now = this.now();
    let firstSeen: number;
    try {
      firstSeen = await this.deps.unrouted.firstSeen(this.identity(platform, notification), now);
    } catch (error) {
      this.deps.logger.warn({ platform, type, err: error }, 'unrouted notification: first sighting unknown (Redis); the platform will resend');
      return this.finish(platform, type, failure(503, 'delivery-failed', 'the notification could not be routed now; resend later', 'delivery-failed'));
    }
    const ackAt = firstSeen + this.settings.unroutedAckAfterMs;
    if (now < ackAt) {
      this.deps.logger.warn({ platform, notificationType: type, firstSeenAt: new Date(firstSeen).toISOString(), acknowledgeFrom: new Date(ackAt).toISOString() }, 'notification matches no authorization yet; answered 503 so the platform resends');
      return this.finish(platform, type, failure(503, 'unrouted', 'no authorization matches this notification yet; resend later', 'unrouted'));
    }
    const accessToken = 'accessToken' in notification ? notification.accessToken : undefined;
    const tokenDigest = accessToken ? this.deps.router.tokenDigest(accessToken) : undefined;
    const record: UnroutedNotificationRecord = {
      at: new Date(now).toISOString(),
      platform,
      type,
      reason: 'unrouted',
      firstSeenAt: new Date(firstSeen).toISOString(),
      ...(notification.authState ? { authState: notification.authState } : {}),
      ...(tokenDigest ? { accessTokenDigest: tokenDigest } : {}),
      ...(notification.authClientId ? { authClientId: notification.authClientId } : {}),
    };
    return this.recordAndAcknowledge(platform, signedPath, signer, record, 'unrouted-acknowledged', 'notification matched no authorization within the bound; acknowledged and recorded');
  }

  private async recordAndAcknowledge(
    platform: NotificationPlatform,
    signedPath: string,
    signer: AlipayPlusResponseSigner | undefined,
    record: UnroutedNotificationRecord,
    outcome: NotificationOutcome,
    message: string,
  ): Promise<NotificationAnswer> {
    const metricType = record.reason === 'unknown-type' ? 'other' : record.type;
    try {
      await this.deps.unrouted.record(record);
    } catch (error) {
      // Not acknowledged unrecorded: the resend gets another chance to be recorded.
      this.deps.logger.warn({ platform, err: error }, 'could not record a notification for operators (Redis); the platform will resend');
      return this.finish(platform, metricType, failure(503, 'delivery-failed', 'the notification could not be recorded now; resend later', 'delivery-failed'));
    }
    // Error level: an operator must look (a lost consent, a wallet cancel not applied, or a type to support).
    this.deps.logger.error({ notification: record }, message);
    return this.finish(platform, metricType, this.acknowledge(platform, signedPath, NOTIFICATION_ACK_BODY, outcome, signer));
  }

  /** What makes two deliveries the same notification (dedupe, first sighting). */
  private identity(platform: NotificationPlatform, notification: AuthNotification): Record<string, string> {
    switch (notification.authorizationNotifyType) {
      case 'AUTHCODE_CREATED':
        return { platform, type: 'AUTHCODE_CREATED', authState: notification.authState, authCode: notification.authCode };
      case 'TOKEN_CANCELED':
      case 'TOKEN_CREATED':
        return { platform, type: notification.authorizationNotifyType, accessToken: notification.accessToken };
    }
  }

  /** POST /notifications/alipayplus/consultUnbinding: Alipay+ asks whether the customer may unbind in the wallet. */
  async consultUnbinding(inbound: InboundNotification): Promise<NotificationAnswer> {
    const platform = 'alipayplus';
    const type = 'consultUnbinding';
    const verdict = verifyNotificationSignature(this.deps.signature, inbound);
    if (!verdict.ok) return this.finish(platform, type, failure(401, 'unverified', verdict.problem, 'unverified'));
    const stale = this.requestTimeProblem(inbound);
    if (stale) return this.finish(platform, type, failure(401, 'unverified', stale, 'unverified'));
    const signer = this.signerFor(verdict);
    if (!signer) {
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
    return this.finish(platform, type, this.acknowledge(platform, verdict.signedPath, body, 'recorded', signer));
  }

  /** The signed request-time against our clock; a problem is logged at warn (a wrong server clock shows here first). */
  private requestTimeProblem(inbound: InboundNotification): string | undefined {
    const header = inbound.headers['request-time'];
    const problem = requestTimeProblem(typeof header === 'string' ? header : '', this.now(), this.settings.requestTimeToleranceMs);
    if (problem) this.deps.logger.warn({ problem }, 'notification refused: request-time outside the accepted window (check this server\'s clock if every one is)');
    return problem;
  }

  private async allowsUnbinding(accessToken: string, authClientId: string): Promise<boolean> {
    const policy = this.deps.allowUnbinding ?? true;
    if (typeof policy === 'boolean') return policy;
    const workflowId = (await this.deps.tokens.workflowIdForAccessToken(accessToken)) ?? undefined;
    return policy({ workflowId, authClientId });
  }

  /**
   * A route into another merchant's authorizations is no route: a merchant's notification (verified with its keys)
   * never reaches another merchant's customer, whatever the body names.
   */
  private ofMerchant(route: NotificationRoute | undefined, merchantId: string): NotificationRoute | undefined {
    if (!route) return undefined;
    const owner = parseAuthorizationWorkflowId(route.workflowId)?.merchant ?? DEFAULT_MERCHANT_ID;
    if (owner === merchantId) return route;
    this.deps.logger.warn({ workflowId: route.workflowId, notifyingMerchant: merchantId }, 'notification names another merchant\'s authorization; not delivered');
    return undefined;
  }

  private async dispatch(platform: NotificationPlatform, notification: AuthNotification, merchantId: string): Promise<NotificationOutcome> {
    switch (notification.authorizationNotifyType) {
      case 'TOKEN_CREATED':
        // applyToken's response already gave the workflow this token; the notification only confirms it.
        return 'recorded';
      case 'AUTHCODE_CREATED': {
        const { authState, authCode } = notification;
        const route = this.ofMerchant(await this.deps.router.forAuthState(authState), merchantId);
        if (!route) return 'unrouted';
        return this.deliverOnce(this.identity(platform, notification), route, async () => {
          const response = await this.deps.operations.deliverAuthCode(route.workflowId, { authCode, authState, source: 'notification' });
          if (response.duplicate) return 'duplicate';
          return response.accepted ? 'delivered' : 'rejected';
        });
      }
      case 'TOKEN_CANCELED': {
        const { accessToken, reason } = notification;
        const route = this.ofMerchant(await this.deps.router.forAccessToken(accessToken), merchantId);
        if (!route) return 'unrouted';
        return this.deliverOnce(this.identity(platform, notification), route, async () => {
          await this.deps.operations.walletCanceled(route.workflowId, reason);
          return 'delivered';
        });
      }
    }
  }

  /**
   * Runs `deliver` at most once per identity; a refusal by the workflow is final (acknowledged), not a failure, and so
   * is a workflow that no longer exists (the authorization ended: nothing left to tell it).
   */
  private async deliverOnce(identity: Record<string, string>, route: NotificationRoute, deliver: () => Promise<NotificationOutcome>): Promise<NotificationOutcome> {
    const result = await this.deps.dedupe.deliverOnce(identity, async () => {
      try {
        return await deliver();
      } catch (error) {
        if (error instanceof AuthorizationNotFoundError) {
          this.deps.logger.info({ workflowId: route.workflowId, via: route.via }, 'notification for an authorization that has ended; acknowledged');
          return 'ended' as const;
        }
        if (error instanceof AuthorizationRejectedError) return 'rejected' as const;
        throw error;
      }
    });
    return result.status === 'delivered' ? result.result : result.status;
  }

  private acknowledge(platform: NotificationPlatform, signedPath: string, body: string, outcome: NotificationOutcome, signer: AlipayPlusResponseSigner | undefined): NotificationAnswer {
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

/** Backoff of the in-request retries: 250 ms doubling to 2 s (about a dozen tries in 25 s). */
const RETRY_FIRST_PAUSE_MS = 250;
const RETRY_MAX_PAUSE_MS = 2_000;
/** Longest type name kept in an operator record. */
const MAX_RECORDED_TYPE_LENGTH = 64;

class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

function raceDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineReached(`no answer within the delivery budget (${ms} ms left)`)), ms);
  });
  // The losing attempt keeps running; its rejection must not surface as unhandled.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** A string authorizationNotifyType that is none of ours, else undefined (a missing one is a validation error). */
function unhandledNotifyType(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const type = (body as Record<string, unknown>).authorizationNotifyType;
  if (typeof type !== 'string' || type === '') return undefined;
  return (AUTHORIZATION_NOTIFY_TYPES as readonly string[]).includes(type) ? undefined : type;
}
