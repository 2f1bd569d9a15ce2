/**
 * The Antom-shaped HTTP server (node:http: the signature is checked over the exact raw bytes, and faults need the
 * raw socket). Serves `/ams/api/v1/...`, `/ams/sandbox/api/v1/...`, `/aps/api/v1/...`, the wallet consent page and
 * the sandbox's public key.
 *
 * Every API answer is HTTP 200 with a signed `result` (antom-api.md §1: business errors are 200 + F/U), except a body
 * over the size limit (413, still Antom-shaped and signed) and scripted faults. Checks run in gateway order:
 * route → method → size → client-id / merchant → signature → request-time → media type → JSON → fields → operation.
 *
 * Conformance (issue 15, antom-api.md §7):
 * - Every answer uses only result codes the platform's own table lists: /ams never answers MEDIA_TYPE_NOT_ACCEPTABLE
 *   or METHOD_NOT_SUPPORTED (Alipay+-only codes); /aps answers INVALID_CLIENT for an unknown or suspended client.
 * - Content-Type is optional (the overview's header table): a missing one is accepted; a present non-JSON one is
 *   refused (PARAM_ILLEGAL on /ams, MEDIA_TYPE_NOT_ACCEPTABLE on /aps).
 * - A request target in absolute form (`POST https://host/ams/... HTTP/1.1`, RFC 9112 §3.2.2; Antom's Python SDK
 *   sends it) is routed, verified, logged and answered-and-signed on its path (+ query) alone, as the SDKs sign.
 * - Every answer carries `client-id` (required by the overview), and header names are lowercase: the Python SDK
 *   reads `signature`, `response-time` and `client-id` case-sensitively.
 */
import { listenOn } from './listenOn';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Platform } from '../antom/endpoints';
import { receivedRequestValidators as requestValidators } from '../antom/requests';
import { formatIssues, type Validation } from '../antom/validation';
import { signParts, verifyParts } from '../antom/signing';
import { formatSignatureHeader, parseSignatureHeader, signatureHeaderProblem } from '../antom/signatureHeader';
import type {
  AlipayPlusApplyTokenRequest,
  AlipayPlusCancelTokenRequest,
  AlipayPlusPrepareRequest,
  AntomApplyTokenRequest,
  AntomConsultRequest,
  AntomRevokeRequest,
} from '../antom/models';
import type { SandboxCore } from './core';
import type { FaultEffect, SandboxEndpoint } from './faults';
import type { AuthorizationRecord, IssuedTokens, Outcome } from './state';
import { formatIsoWithOffset, parseRequestTime } from './timeFormat';
import { renderConsentPage, renderDeniedPage, renderUnavailablePage } from './consentPage';

interface Route {
  readonly platform: Platform;
  readonly endpoint: SandboxEndpoint;
}

const API_ROUTES = new Map<string, Route>();
for (const prefix of ['/ams/api/v1/authorizations/', '/ams/sandbox/api/v1/authorizations/']) {
  for (const endpoint of ['consult', 'applyToken', 'revoke'] as const) API_ROUTES.set(prefix + endpoint, { platform: 'antom', endpoint });
}
for (const endpoint of ['prepare', 'applyToken', 'cancelToken'] as const) {
  API_ROUTES.set(`/aps/api/v1/authorizations/${endpoint}`, { platform: 'alipayplus', endpoint });
}

/**
 * The path (+ query) of a request target, which is what Antom signs and routes on. Node hands an absolute-form target
 * (`https://host/ams/...`) through as is; RFC 9112 §3.2.2 says a server must accept it, and Antom's Python SDK sends
 * it, so its scheme and authority are dropped here. An unparsable target is kept as is (it routes nowhere).
 */
export function requestTargetPath(rawUrl: string): string {
  if (rawUrl.startsWith('/')) return rawUrl;
  if (!URL.canParse(rawUrl)) return rawUrl;
  const url = new URL(rawUrl);
  return `${url.pathname}${url.search}`;
}

/**
 * The client-id a response carries when the request had none: the overview lists the response `client-id` as
 * required, and a verifier without its own client-id signs over the one it receives. Not a registered client.
 */
export const ANONYMOUS_CLIENT_ID = 'anonymous';

/** Alipay+'s table names these gateway refusals differently (alipayplus-applyToken-acqp.txt: INVALID_CLIENT "The client is invalid"). */
const APS_GATEWAY_CODES: Readonly<Record<string, string>> = {
  UNKNOWN_CLIENT: 'INVALID_CLIENT',
  INVALID_CLIENT_STATUS: 'INVALID_CLIENT',
  CLIENT_FORBIDDEN_ACCESS_API: 'ACCESS_DENIED',
};

/** Antom's tables list neither METHOD_NOT_SUPPORTED nor MEDIA_TYPE_NOT_ACCEPTABLE; these are its nearest codes. */
const AMS_GATEWAY_CODES: Readonly<Record<string, string>> = {
  METHOD_NOT_SUPPORTED: 'NO_INTERFACE_DEF',
  MEDIA_TYPE_NOT_ACCEPTABLE: 'PARAM_ILLEGAL',
};

/** A gateway refusal in the code the platform's own table uses. */
function gatewayFail(platform: Platform, code: string, message: string): Answer {
  const table = platform === 'alipayplus' ? APS_GATEWAY_CODES : AMS_GATEWAY_CODES;
  return fail(table[code] ?? code, message);
}

const CONSENT_PATH = /^\/wallet\/authorize\/([A-Za-z0-9_-]{1,64})$/;
const APPLINK_PATH = /^\/wallet\/applink\/([A-Za-z0-9_-]{1,64})$/;
export const PUBLIC_KEY_PATH = '/sandbox/public-key.pem';

interface ResultBody {
  result: { resultStatus: 'S' | 'F' | 'U'; resultCode: string; resultMessage: string };
  [field: string]: unknown;
}

/** What processing a call produced, before faults decide how (or whether) it is delivered. */
interface Answer {
  readonly httpStatus: number;
  readonly body: ResultBody;
}

function result(resultStatus: 'S' | 'F' | 'U', resultCode: string, resultMessage: string): ResultBody {
  return { result: { resultStatus, resultCode, resultMessage } };
}

const SUCCESS = (): ResultBody => result('S', 'SUCCESS', 'success');
const fail = (code: string, message: string): Answer => ({ httpStatus: 200, body: result('F', code, message) });

class BodyTooLarge extends Error {}

/** Reads the body up to `limit` bytes; stops reading (and rejects) as soon as it is exceeded. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** Content-Type is optional (antom-api-overview: "Content-Type  No"); absent means the JSON body the API defines. */
function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return charset === undefined || charset === 'charset=utf-8';
}

function fingerprintOf(value: unknown): string {
  return JSON.stringify(value);
}

export class AntomServer {
  private readonly server: Server;
  private wrongKey: KeyObject | undefined;
  /** Timers of calls held by a delay fault; close() clears them so nothing is performed (or keeps the process) later. */
  private readonly delays = new Set<NodeJS.Timeout>();

  constructor(
    private readonly core: SandboxCore,
    /** Origin the consent URLs are built on (what a browser can reach), e.g. `http://127.0.0.1:4010`. */
    private publicOrigin: string,
  ) {
    this.server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.core.logger.error({ err }, 'sandbox request failed');
        if (!res.headersSent) {
          const clientId = headerValue(req, 'client-id') ?? '';
          this.send(requestTargetPath(req.url ?? '/'), res, clientId, { httpStatus: 500, body: result('U', 'UNKNOWN_EXCEPTION', 'sandbox internal error') });
        }
        else res.destroy();
      });
    });
    // A client that sends garbage at the HTTP level gets a plain 400 instead of an unhandled error.
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  setPublicOrigin(origin: string): void {
    this.publicOrigin = origin;
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = requestTargetPath(req.url ?? '/');
    const pathname = target.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';

    if (pathname === PUBLIC_KEY_PATH && method === 'GET') {
      // ?keyVersion=2 for another version's key (a rotation); default: the one signing now.
      const requested = new URL(req.url ?? '/', 'http://sandbox').searchParams.get('keyVersion') ?? this.core.signingKeys.currentVersion;
      if (!this.core.signingKeys.versions().includes(requested)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such keyVersion');
        return;
      }
      const pem = this.core.signingKeys.publicKey(requested).export({ type: 'spki', format: 'pem' }).toString();
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
      return;
    }
    const consent = CONSENT_PATH.exec(pathname);
    if (consent?.[1] !== undefined) return this.handleConsent(req, res, consent[1]);
    const applink = APPLINK_PATH.exec(pathname);
    if (applink?.[1] !== undefined && method === 'GET') {
      res.writeHead(302, { location: `/wallet/authorize/${applink[1]}` }).end();
      return;
    }

    const route = API_ROUTES.get(pathname);
    const clientId = headerValue(req, 'client-id') ?? '';
    const arrivedAt = this.core.clock.now();
    const logBase = { at: arrivedAt, method, path: target, clientId, requestTime: headerValue(req, 'request-time') };
    if (route === undefined) {
      req.resume();
      const answer = fail('NO_INTERFACE_DEF', 'no interface is defined for this path');
      this.core.requests.record({ ...logBase, bodyBytes: 0, httpStatus: 200, resultStatus: 'F', resultCode: 'NO_INTERFACE_DEF' });
      this.send(target, res, clientId, answer);
      return;
    }
    const base = { ...logBase, platform: route.platform, endpoint: route.endpoint };
    if (method !== 'POST') {
      req.resume();
      const answer = gatewayFail(route.platform, 'METHOD_NOT_SUPPORTED', `${method} is not supported; use POST`);
      this.core.requests.record({ ...base, bodyBytes: 0, httpStatus: 200, resultStatus: 'F', resultCode: answer.body.result.resultCode });
      this.send(target, res, clientId, answer);
      return;
    }

    let raw: Buffer;
    try {
      raw = await readBody(req, this.core.settings.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      const answer: Answer = {
        httpStatus: 413,
        body: result('F', 'PARAM_ILLEGAL', `request body exceeds ${this.core.settings.maxBodyBytes} bytes`),
      };
      this.core.requests.record({ ...base, bodyBytes: -1, httpStatus: 413, resultStatus: 'F', resultCode: 'PARAM_ILLEGAL' });
      // The rest of the upload is not read; closing the connection is the only way to stop it.
      res.setHeader('connection', 'close');
      this.send(target, res, clientId, answer);
      res.on('finish', () => req.destroy());
      return;
    }
    const bodyText = raw.toString('utf8');
    const keyVersion = parseSignatureHeader(headerValue(req, 'signature'))?.keyVersion;
    const record = (answer: Answer | undefined, extra: { fault?: string; dropped?: boolean; httpStatus?: number } = {}): void => {
      this.core.requests.record({
        ...base,
        rawBody: bodyText,
        bodyBytes: raw.length,
        ...(keyVersion === undefined ? {} : { keyVersion }),
        httpStatus: extra.httpStatus ?? answer?.httpStatus ?? 0,
        ...(answer === undefined ? {} : { resultStatus: answer.body.result.resultStatus, resultCode: answer.body.result.resultCode }),
        ...(extra.fault === undefined ? {} : { fault: extra.fault }),
        ...(extra.dropped ? { dropped: true } : {}),
      });
    };

    const rejection = this.authenticate(req, route, clientId, target, bodyText);
    if (rejection !== undefined) {
      record(rejection);
      this.send(target, res, clientId, rejection);
      return;
    }

    const decision = this.core.faults.decide(route.platform, route.endpoint);
    if (decision.rateLimited) {
      const answer: Answer = { httpStatus: 200, body: result('U', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'request traffic exceeds the limit') };
      record(answer, { fault: 'rateLimit' });
      this.send(target, res, clientId, answer);
      return;
    }
    if (decision.delayMs > 0) await this.delay(decision.delayMs);
    const effect = decision.effect;
    const faultName = effect?.type ?? (decision.delayMs > 0 ? 'delay' : undefined);
    const processes = effect === undefined || shouldProcess(effect);
    const processed = processes ? this.process(route, clientId, bodyText) : undefined;

    if (effect === undefined) {
      record(processed, faultName === undefined ? {} : { fault: faultName });
      this.send(target, res, clientId, processed as Answer);
      return;
    }
    switch (effect.type) {
      case 'result': {
        const answer: Answer = {
          httpStatus: 200,
          body: result(effect.resultStatus, effect.resultCode, effect.resultMessage ?? `scripted ${effect.resultCode}`),
        };
        record(answer, { fault: 'result' });
        this.send(target, res, clientId, answer);
        return;
      }
      case 'drop':
        record(processed, { fault: 'drop', dropped: true, httpStatus: 0 });
        req.socket.destroy();
        return;
      case 'httpError': {
        const status = effect.status ?? 503;
        record(undefined, { fault: 'httpError', httpStatus: status });
        res.writeHead(status, { 'content-type': 'text/html', connection: 'close' }).end('<html><body>Service Unavailable</body></html>');
        return;
      }
      case 'malformedJson': {
        const text = JSON.stringify((processed ?? { body: SUCCESS() }).body);
        record(processed, { fault: 'malformedJson', httpStatus: 200 });
        this.sendText(target, res, clientId, 200, text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'own');
        return;
      }
      case 'unsigned':
        record(processed, { fault: 'unsigned' });
        this.sendText(target, res, clientId, (processed as Answer).httpStatus, JSON.stringify((processed as Answer).body), 'none');
        return;
      case 'wrongSignature':
        record(processed, { fault: 'wrongSignature' });
        this.sendText(target, res, clientId, (processed as Answer).httpStatus, JSON.stringify((processed as Answer).body), 'wrong');
        return;
    }
  }

  /** Resolves after `ms`, or never when the server closes first (its connection is gone by then). */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.delays.delete(timer);
        resolve();
      }, ms);
      this.delays.add(timer);
    });
  }

  /** Gateway checks before the body is looked at; undefined = the caller is who it says and the request is fresh. */
  private authenticate(req: IncomingMessage, route: Route, clientId: string, path: string, bodyText: string): Answer | undefined {
    const refuse = (code: string, message: string): Answer => gatewayFail(route.platform, code, message);
    if (clientId === '') return refuse('UNKNOWN_CLIENT', 'client-id header is missing');
    const merchant = this.core.merchants.get(clientId);
    if (merchant === undefined) return refuse('UNKNOWN_CLIENT', 'client-id is not registered');
    const requestTime = headerValue(req, 'request-time');
    if (requestTime === undefined) return fail('PARAM_ILLEGAL', 'request-time header is missing');
    const header = parseSignatureHeader(headerValue(req, 'signature'));
    if (header === undefined) return fail('INVALID_SIGNATURE', 'signature header is missing or has no signature value');
    // Like Antom: only RSA256 exists, and a keyVersion the merchant registered no key for is refused (the message
    // names the registered versions, never the header's own value).
    const headerProblem = signatureHeaderProblem(header, [...merchant.publicKeys.keys()]);
    if (headerProblem?.kind === 'unsupported-algorithm') return fail('INVALID_SIGNATURE', headerProblem.message);
    if (headerProblem?.kind === 'unknown-key-version') return fail('KEY_NOT_FOUND', headerProblem.message);
    const key = merchant.publicKeys.get(header.keyVersion);
    if (key === undefined) return fail('KEY_NOT_FOUND', 'no public key registered for this keyVersion');
    if (!verifyParts(key, { path, clientId, time: requestTime, body: bodyText }, header.signature)) {
      return fail('INVALID_SIGNATURE', 'signature does not verify');
    }
    const sentAt = parseRequestTime(requestTime);
    if (sentAt === undefined) return fail('PARAM_ILLEGAL', 'request-time must be epoch milliseconds or ISO 8601 with an offset');
    const window = this.core.settings.requestTimeWindowMs;
    if (window !== null && Math.abs(this.core.clock.sourceNow() - sentAt) > window) {
      return fail('PARAM_ILLEGAL', 'request-time is outside the accepted window');
    }
    if (merchant.status !== 'ACTIVE') return refuse('INVALID_CLIENT_STATUS', 'the client is not active');
    if (merchant.allowedEndpoints !== undefined && !merchant.allowedEndpoints.includes(route.endpoint)) {
      return refuse('CLIENT_FORBIDDEN_ACCESS_API', 'the client may not call this API');
    }
    if (!isJsonMediaType(headerValue(req, 'content-type'))) {
      return refuse('MEDIA_TYPE_NOT_ACCEPTABLE', 'Content-Type, when sent, must be application/json (charset UTF-8)');
    }
    return undefined;
  }

  /** Parse, validate and perform the operation. */
  private process(route: Route, clientId: string, bodyText: string): Answer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText);
    } catch {
      return fail('PARAM_ILLEGAL', '(body): not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('PARAM_ILLEGAL', '(body): must be a JSON object');
    if (route.platform === 'antom') {
      switch (route.endpoint) {
        case 'consult':
          return this.validated(requestValidators.antom.consult(parsed), (v) => this.consult(clientId, v));
        case 'applyToken':
          return this.validated(requestValidators.antom.applyToken(parsed), (v) => this.antomApplyToken(clientId, v));
        case 'revoke':
          return this.validated(requestValidators.antom.revoke(parsed), (v) => this.revoke('antom', clientId, v));
        default:
          return fail('NO_INTERFACE_DEF', 'no interface is defined for this path');
      }
    }
    switch (route.endpoint) {
      case 'prepare':
        return this.validated(requestValidators.alipayplus.prepare(parsed), (v) => this.prepare(clientId, v));
      case 'applyToken':
        return this.validated(requestValidators.alipayplus.applyToken(parsed), (v) => this.alipayPlusApplyToken(clientId, v));
      case 'cancelToken':
        return this.validated(requestValidators.alipayplus.cancelToken(parsed), (v) => this.revoke('alipayplus', clientId, v));
      default:
        return fail('NO_INTERFACE_DEF', 'no interface is defined for this path');
    }
  }

  private validated<T>(validation: Validation<T>, then: (value: T) => Answer): Answer {
    if (!validation.ok) return fail('PARAM_ILLEGAL', formatIssues(validation.messageName, validation.issues).slice(0, 256));
    return then(validation.value);
  }

  private refusalOr<T>(outcome: Outcome<T>, then: (value: T) => ResultBody): Answer {
    if (!outcome.ok) return { httpStatus: 200, body: result(outcome.resultStatus, outcome.resultCode, outcome.resultMessage) };
    return { httpStatus: 200, body: then(outcome.value) };
  }

  private iso(epochMs: number): string {
    return formatIsoWithOffset(epochMs, this.core.settings.timeOffsetMinutes);
  }

  private links(authorization: AuthorizationRecord): Record<string, unknown> {
    const normalUrl = `${this.publicOrigin}/wallet/authorize/${authorization.id}`;
    const appTerminal = authorization.terminalType === 'APP' || authorization.terminalType === 'WAP';
    return {
      normalUrl,
      ...(appTerminal
        ? {
            schemeUrl: `${authorization.wallet.toLowerCase().replace(/_/g, '')}sandbox://authorize?id=${authorization.id}`,
            applinkUrl: `${this.publicOrigin}/wallet/applink/${authorization.id}`,
          }
        : {}),
      authCodeForm: { codeDetails: [{ displayType: 'TEXT', codeValue: normalUrl }] },
    };
  }

  private consult(clientId: string, request: AntomConsultRequest): Answer {
    const outcome = this.core.state.consult({
      platform: 'antom',
      clientId,
      ...(request.authClientId === undefined ? {} : { authClientId: request.authClientId }),
      wallet: request.customerBelongsTo,
      authState: request.authState,
      authRedirectUrl: request.authRedirectUrl,
      ...(request.authNotifyUrl === undefined ? {} : { notifyUrl: request.authNotifyUrl }),
      scopes: request.scopes,
      ...((request.terminalType ?? request.env?.terminalType) === undefined ? {} : { terminalType: request.terminalType ?? request.env?.terminalType }),
      fingerprint: fingerprintOf(request),
    });
    return this.refusalOr(outcome, (authorization) => ({ ...SUCCESS(), ...this.links(authorization) }));
  }

  private prepare(clientId: string, request: AlipayPlusPrepareRequest): Answer {
    const outcome = this.core.state.consult({
      platform: 'alipayplus',
      clientId,
      authClientId: request.authClientId,
      wallet: request.customerBelongsTo,
      authState: request.authState,
      authRedirectUrl: request.authRedirectUrl,
      scopes: request.scopes,
      terminalType: request.terminalType,
      fingerprint: fingerprintOf(request),
    });
    return this.refusalOr(outcome, (authorization) => ({ ...SUCCESS(), ...this.links(authorization) }));
  }

  private tokenFields(issued: IssuedTokens): Record<string, string> {
    return {
      accessToken: issued.accessToken,
      accessTokenExpiryTime: this.iso(issued.accessTokenExpiresAt),
      ...(issued.refreshToken === undefined || issued.refreshTokenExpiresAt === undefined
        ? {}
        : { refreshToken: issued.refreshToken, refreshTokenExpiryTime: this.iso(issued.refreshTokenExpiresAt) }),
      ...(issued.userLoginId === undefined ? {} : { userLoginId: issued.userLoginId }),
    };
  }

  private antomApplyToken(clientId: string, request: AntomApplyTokenRequest): Answer {
    const fingerprint = fingerprintOf(request);
    const outcome =
      request.grantType === 'AUTHORIZATION_CODE'
        ? this.core.state.applyAuthorizationCode({ platform: 'antom', clientId, wallet: request.customerBelongsTo, authCode: request.authCode, fingerprint })
        : this.core.state.refresh({ platform: 'antom', clientId, wallet: request.customerBelongsTo, refreshToken: request.refreshToken, fingerprint });
    return this.refusalOr(outcome, (issued) => ({ ...SUCCESS(), ...this.tokenFields(issued) }));
  }

  private alipayPlusApplyToken(clientId: string, request: AlipayPlusApplyTokenRequest): Answer {
    const fingerprint = fingerprintOf(request);
    const common = { platform: 'alipayplus' as const, clientId, authClientId: request.authClientId, fingerprint };
    const outcome =
      request.grantType === 'AUTHORIZATION_CODE'
        ? this.core.state.applyAuthorizationCode({ ...common, authCode: request.authCode })
        : this.core.state.refresh({ ...common, refreshToken: request.refreshToken });
    return this.refusalOr(outcome, (issued) => ({
      ...SUCCESS(),
      pspId: `SANDBOX_PSP_${issued.wallet}`,
      acquirerId: 'SANDBOX_ACQUIRER',
      ...this.tokenFields(issued),
      customerId: issued.userId,
      walletForAccountBinding: { walletName: issued.wallet },
      ...(request.passThroughInfo === undefined ? {} : { passThroughInfo: request.passThroughInfo }),
    }));
  }

  private revoke(platform: Platform, clientId: string, request: AntomRevokeRequest | AlipayPlusCancelTokenRequest): Answer {
    const outcome = this.core.state.revoke({ platform, clientId, accessToken: request.accessToken });
    return this.refusalOr(outcome, () => SUCCESS());
  }

  // -------------------------------------------------------------------------------------------------------------
  // Consent page
  // -------------------------------------------------------------------------------------------------------------

  private async handleConsent(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const authorization = this.core.state.getAuthorization(id);
    const html = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
    };
    if (req.method === 'GET') {
      req.resume();
      if (authorization === undefined) return html(404, renderUnavailablePage('UNKNOWN'));
      const problem = this.core.state.consentProblem(authorization);
      if (problem !== undefined) return html(410, renderUnavailablePage(problem));
      return html(200, renderConsentPage(authorization, `/wallet/authorize/${id}`));
    }
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req, 4096)).toString('utf8'));
    } catch {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    if (authorization === undefined) return html(404, renderUnavailablePage('UNKNOWN'));
    const problem = this.core.state.consentProblem(authorization);
    if (problem !== undefined) return html(410, renderUnavailablePage(problem));
    const decision = form.get('decision');
    if (decision === 'approve') {
      const approved = this.core.approve(id);
      if (!approved.ok) return html(410, renderUnavailablePage('USED'));
      res.writeHead(303, { location: approved.value.redirectUrl, 'cache-control': 'no-store' }).end();
      return;
    }
    if (decision === 'deny') {
      this.core.deny(id);
      const back = new URL(authorization.authRedirectUrl);
      back.searchParams.set('authState', authorization.authState);
      return html(200, renderDeniedPage(back.toString()));
    }
    res.writeHead(400, { 'content-type': 'text/plain' }).end('decision must be approve or deny');
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writing answers
  // -------------------------------------------------------------------------------------------------------------

  private send(path: string, res: ServerResponse, clientId: string, answer: Answer): void {
    this.sendText(path, res, clientId, answer.httpStatus, JSON.stringify(answer.body), 'own');
  }

  /**
   * Signs with `response-time` over the request's path (antom-api.md §2) — or, for faults, not or wrongly. Header
   * names stay lowercase (the Python SDK matches them case-sensitively) and `client-id` is always present.
   */
  private sendText(path: string, res: ServerResponse, requestClientId: string, status: number, body: string, signing: 'own' | 'none' | 'wrong'): void {
    const responseTime = formatIsoWithOffset(this.core.clock.now(), this.core.settings.timeOffsetMinutes);
    const clientId = requestClientId === '' ? ANONYMOUS_CLIENT_ID : requestClientId;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=UTF-8',
      'response-time': responseTime,
      'client-id': clientId,
    };
    if (signing !== 'none') {
      const own = this.core.signingKeys.current();
      const key = signing === 'own' ? own.privateKey : this.wrongSigningKey();
      const signature = signParts(key, { path, clientId, time: responseTime, body });
      headers.signature = formatSignatureHeader({ signature, keyVersion: own.keyVersion });
    }
    res.writeHead(status, headers).end(body);
  }

  private wrongSigningKey(): KeyObject {
    this.wrongKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    return this.wrongKey;
  }
}

function shouldProcess(effect: FaultEffect): boolean {
  switch (effect.type) {
    case 'result':
      return effect.process ?? false;
    case 'drop':
      return effect.process ?? true;
    case 'httpError':
      return effect.process ?? false;
    case 'malformedJson':
      return effect.process ?? false;
    case 'unsigned':
    case 'wrongSignature':
      return true;
  }
}
