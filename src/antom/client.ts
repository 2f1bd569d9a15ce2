/**
 * AntomClient — the typed endpoint client for Antom (`/ams/...`) or Alipay+ acquirer side (`/aps/...`).
 * Construct once per credential set (one client-id + key pair = one platform) and share it; close() at shutdown.
 *
 *   new AntomClient({ clientId, privateKey, privateKeyVersion?, antomPublicKey | antomPublicKeys, baseUrl | region, platform?, sandbox?, agentToken?,
 *                     timeouts?, connections?, clock?, requestTimeFormat?, onCall? })
 *   Antom:    consult(req, opts?)        → AntomConsultResponse
 *             applyToken(req, opts?)     → AntomApplyTokenResponse        (AUTHORIZATION_CODE or REFRESH_TOKEN)
 *             revoke(req, opts?)         → TokenRemoval                   ('revoked' | 'already-gone')
 *   Alipay+:  prepare(req, opts?)        → AlipayPlusPrepareResponse
 *             applyTokenAps(req, opts?)  → AlipayPlusApplyTokenResponse
 *             cancelToken(req, opts?)    → TokenRemoval
 *   close()                              → releases the connection pool
 *   opts: { signal?: AbortSignal, timeoutMs?: number }
 *
 * Every call: the request is validated locally first (RequestValidationError naming the field; nothing is sent),
 * then signed and sent by the transport (transport.ts: every response signature is verified), then its `result`
 * is classified by resultCodes.ts:
 *   success        → the validated, typed response (expiry times parsed to IsoInstants); a success body missing
 *                    required fields → AntomUnverifiableResponseError 'invalid-shape' (retry; never half-accepted)
 *   unknown-retry  → AntomUnknownResultError (resultStatus U): repeat the identical request
 *   customer-final / systemic-final → AntomBusinessError with `outcome`, `resultCode`
 *   already-done   → revoke / cancelToken RETURN { removal: 'already-gone' } instead of throwing: for a removal,
 *                    "the token no longer works" is the goal reached, and a caller that retries a revoke after a
 *                    lost response must not see its own earlier success as a failure. On any other endpoint an
 *                    already-done code is thrown as AntomBusinessError (outcome 'already-done').
 * Transport problems are AntomTransportError / AntomUnverifiableResponseError (all `unknown-retry`).
 * A method of the other platform (e.g. prepare on an Antom client) throws EndpointConfigurationError.
 */
import type { KeyObject } from 'node:crypto';
import { AntomUnknownResultError, AntomUnverifiableResponseError, errorForResult, type AntomError } from './errors';
import {
  endpointPath,
  EndpointConfigurationError,
  isEndpointOf,
  resolveOrigin,
  resolvePlatform,
  usesSandboxPath,
  type AlipayPlusEndpointName,
  type AntomEndpointName,
  type Platform,
  type Region,
} from './endpoints';
import type {
  AlipayPlusApplyTokenRequest,
  AlipayPlusApplyTokenResponse,
  AlipayPlusCancelTokenRequest,
  AlipayPlusPrepareRequest,
  AlipayPlusPrepareResponse,
  AntomApplyTokenRequest,
  AntomApplyTokenResponse,
  AntomConsultRequest,
  AntomConsultResponse,
  AntomRevokeRequest,
  Result,
} from './models';
import { requestValidators } from './requests';
import type { VerificationKeys } from './signatureKeys';
import { responseValidators } from './responses';
import { classifyResult, type ResultOutcome } from './resultCodes';
import { AntomTransport, type RequestTimeFormat, type TransportTimeouts, type VerifiedResponse } from './transport';
import { requireValid, type Validation } from './validation';

export interface ClientTimeouts extends TransportTimeouts {
  /**
   * Response deadline for applyToken with an authCode. Default 10 s: the authCode dies one minute after it was
   * issued (antom-api.md §5), so a hung attempt must end early enough for several retries to fit in that minute.
   */
  readonly authCodeResponseMs?: number;
}

export const DEFAULT_AUTH_CODE_RESPONSE_TIMEOUT_MS = 10_000;

/** One finished call, for metrics and logs. Carries no request or response data beyond the result code. */
export interface CallEvent {
  readonly platform: Platform;
  readonly endpoint: AntomEndpointName | AlipayPlusEndpointName;
  readonly durationMs: number;
  /** The taxonomy class of how the call ended ('success' included). */
  readonly outcome: ResultOutcome;
  /** Verified resultCode, when a verified result was received. */
  readonly resultCode?: string;
  /** Error class name when the call threw. */
  readonly error?: string;
}

export interface AntomClientOptions {
  readonly clientId: string;
  /** The merchant's private key, parsed once (keys.ts loadPrivateKey). */
  readonly privateKey: KeyObject;
  /** The keyVersion request headers name for `privateKey` (default "1"; signatureKeys.ts SigningKey). */
  readonly privateKeyVersion?: string;
  /** Antom's (or Alipay+'s) public key, parsed once (keys.ts loadPublicKey); or `antomPublicKeys`. */
  readonly antomPublicKey?: KeyObject;
  /** Its keyVersion (default "1"); responses signed under another keyVersion are refused. */
  readonly antomPublicKeyVersion?: string;
  /** Every accepted public key by keyVersion (a rotation's overlap holds two); replaces the two above. */
  readonly antomPublicKeys?: VerificationKeys;
  /** Explicit origin, e.g. the local sandbox `http://127.0.0.1:4010`. Wins over region. */
  readonly baseUrl?: string;
  /** A documented gateway (endpoints.ts REGIONS); implies the platform. */
  readonly region?: Region;
  /** Default: the region's platform, else 'antom'. */
  readonly platform?: Platform;
  /** Antom's `/ams/sandbox/` path: true, false, or 'auto' (default: when the client-id starts with SANDBOX_). */
  readonly sandbox?: boolean | 'auto';
  readonly agentToken?: string;
  readonly timeouts?: ClientTimeouts;
  /** Max sockets to the origin (transport.ts DEFAULT_CONNECTIONS). */
  readonly connections?: number;
  /** Epoch ms for `request-time`; a virtual clock in the sandbox and tests. Default Date.now. */
  readonly clock?: () => number;
  /** Default: epoch ms for Antom, ISO 8601 for Alipay+ (the formats of their examples). */
  readonly requestTimeFormat?: RequestTimeFormat;
  /** Called once per call that reached the transport. Must not throw (it is not awaited; exceptions are dropped). */
  readonly onCall?: (event: CallEvent) => void;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Response deadline for this call (ms), overriding the configured one. */
  readonly timeoutMs?: number;
}

/** How a revoke / cancelToken ended; both mean the token no longer works. */
export interface TokenRemoval {
  /** 'revoked': this call removed it. 'already-gone': Antom says it was already expired, revoked or unknown. */
  readonly removal: 'revoked' | 'already-gone';
  readonly result: Result;
}

type EndpointName = AntomEndpointName | AlipayPlusEndpointName;

export class AntomClient {
  readonly platform: Platform;
  readonly origin: string;
  readonly #transport: AntomTransport;
  readonly #sandboxPath: boolean;
  readonly #authCodeResponseMs: number;
  readonly #onCall: ((event: CallEvent) => void) | undefined;

  constructor(options: AntomClientOptions) {
    if (typeof options.clientId !== 'string' || options.clientId.trim() === '' || options.clientId.length > 64) {
      throw new EndpointConfigurationError('clientId must be 1..64 characters');
    }
    const resolved = resolveOrigin(options);
    this.platform = resolvePlatform(options.platform, resolved);
    this.origin = resolved.origin;
    this.#sandboxPath = usesSandboxPath(this.platform, options.clientId, options.sandbox);
    this.#authCodeResponseMs = options.timeouts?.authCodeResponseMs ?? DEFAULT_AUTH_CODE_RESPONSE_TIMEOUT_MS;
    if (!Number.isFinite(this.#authCodeResponseMs) || this.#authCodeResponseMs <= 0) {
      throw new RangeError('timeouts.authCodeResponseMs must be a positive number');
    }
    this.#onCall = options.onCall;
    this.#transport = new AntomTransport({
      origin: this.origin,
      clientId: options.clientId,
      privateKey: options.privateKey,
      ...(options.privateKeyVersion === undefined ? {} : { privateKeyVersion: options.privateKeyVersion }),
      ...(options.antomPublicKey === undefined ? {} : { antomPublicKey: options.antomPublicKey }),
      ...(options.antomPublicKeyVersion === undefined ? {} : { antomPublicKeyVersion: options.antomPublicKeyVersion }),
      ...(options.antomPublicKeys === undefined ? {} : { antomPublicKeys: options.antomPublicKeys }),
      agentToken: options.agentToken,
      timeouts: options.timeouts,
      connections: options.connections,
      clock: options.clock,
      requestTimeFormat: options.requestTimeFormat ?? (this.platform === 'antom' ? 'epoch-ms' : 'iso8601'),
    });
  }

  /** The exact path (the one that is signed) a call to `endpoint` uses on this client. */
  pathOf(endpoint: EndpointName): string {
    return endpointPath(this.platform, endpoint, this.#sandboxPath);
  }

  // --- Antom -----------------------------------------------------------------------------------------------------

  consult(request: AntomConsultRequest, options?: CallOptions): Promise<AntomConsultResponse> {
    return this.#call('antom', 'consult', request, requestValidators.antom.consult, responseValidators.antom.consult, options);
  }

  /** Either grant; an AUTHORIZATION_CODE call uses the shorter authCode deadline unless `timeoutMs` is given. */
  applyToken(request: AntomApplyTokenRequest, options?: CallOptions): Promise<AntomApplyTokenResponse> {
    return this.#call('antom', 'applyToken', request, requestValidators.antom.applyToken, responseValidators.antom.applyToken,
      this.#withGrantDeadline(request, options));
  }

  revoke(request: AntomRevokeRequest, options?: CallOptions): Promise<TokenRemoval> {
    return this.#removal('antom', 'revoke', request, requestValidators.antom.revoke, options);
  }

  // --- Alipay+ (acquirer side) -----------------------------------------------------------------------------------

  prepare(request: AlipayPlusPrepareRequest, options?: CallOptions): Promise<AlipayPlusPrepareResponse> {
    return this.#call('alipayplus', 'prepare', request, requestValidators.alipayplus.prepare, responseValidators.alipayplus.prepare, options);
  }

  applyTokenAps(request: AlipayPlusApplyTokenRequest, options?: CallOptions): Promise<AlipayPlusApplyTokenResponse> {
    return this.#call('alipayplus', 'applyToken', request, requestValidators.alipayplus.applyToken,
      responseValidators.alipayplus.applyToken, this.#withGrantDeadline(request, options));
  }

  cancelToken(request: AlipayPlusCancelTokenRequest, options?: CallOptions): Promise<TokenRemoval> {
    return this.#removal('alipayplus', 'cancelToken', request, requestValidators.alipayplus.cancelToken, options);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  // --- internals -------------------------------------------------------------------------------------------------

  #withGrantDeadline(request: { readonly grantType?: unknown }, options: CallOptions | undefined): CallOptions {
    if (options?.timeoutMs !== undefined || request?.grantType !== 'AUTHORIZATION_CODE') return options ?? {};
    return { ...options, timeoutMs: this.#authCodeResponseMs };
  }

  async #call<Req, Res>(
    platform: Platform,
    endpoint: EndpointName,
    request: Req,
    validateRequest: (input: unknown) => Validation<Req>,
    validateResponse: (input: unknown) => Validation<Res>,
    options: CallOptions | undefined,
  ): Promise<Res> {
    const response = await this.#send(platform, endpoint, request, validateRequest, options, (verified, outcome) => {
      if (outcome !== 'success') return undefined;
      const checked = validateResponse(verified.body);
      if (!checked.ok) {
        throw new AntomUnverifiableResponseError({ reason: 'invalid-shape', endpoint, issues: checked.issues });
      }
      return { value: checked.value };
    });
    return response;
  }

  #removal<Req>(
    platform: Platform,
    endpoint: 'revoke' | 'cancelToken',
    request: Req,
    validateRequest: (input: unknown) => Validation<Req>,
    options: CallOptions | undefined,
  ): Promise<TokenRemoval> {
    return this.#send<Req, TokenRemoval>(platform, endpoint, request, validateRequest, options, (verified, outcome) => {
      if (outcome === 'success') return { value: { removal: 'revoked', result: verified.result } };
      if (outcome === 'already-done') return { value: { removal: 'already-gone', result: verified.result } };
      return undefined;
    });
  }

  /**
   * Validate → send → classify. `accept` turns a verified response into the return value, or returns undefined to
   * let the default mapping throw (U → AntomUnknownResultError, F → AntomBusinessError).
   */
  async #send<Req, Out>(
    platform: Platform,
    endpoint: EndpointName,
    request: Req,
    validateRequest: (input: unknown) => Validation<Req>,
    options: CallOptions | undefined,
    accept: (verified: VerifiedResponse, outcome: ResultOutcome) => { value: Out } | undefined,
  ): Promise<Out> {
    if (platform !== this.platform || !isEndpointOf(platform, endpoint)) {
      throw new EndpointConfigurationError(`${endpoint} is a ${platform} call; this client is configured for ${this.platform}`);
    }
    const body = requireValid(validateRequest(request));
    const started = performance.now();
    let verified: VerifiedResponse | undefined;
    try {
      verified = await this.#transport.post(this.pathOf(endpoint), body as object, {
        endpoint,
        signal: options?.signal,
        responseTimeoutMs: options?.timeoutMs,
      });
      const { outcome } = classifyResult(endpoint, verified.result);
      const accepted = accept(verified, outcome);
      if (accepted !== undefined) {
        this.#report(platform, endpoint, started, outcome, verified.result.resultCode);
        return accepted.value;
      }
      // Only non-success outcomes get here, so errorForResult always has an error; the fallback keeps that explicit.
      throw errorForResult(endpoint, verified.result) ?? new AntomUnknownResultError({ endpoint, resultCode: verified.result.resultCode });
    } catch (err) {
      const failure = err as AntomError;
      this.#report(platform, endpoint, started, failure.outcome ?? 'unknown-retry', verified?.result.resultCode, failure.name);
      throw err;
    }
  }

  #report(platform: Platform, endpoint: EndpointName, started: number, outcome: ResultOutcome, resultCode?: string, error?: string): void {
    if (this.#onCall === undefined) return;
    const event: CallEvent = {
      platform,
      endpoint,
      durationMs: performance.now() - started,
      outcome,
      ...(resultCode === undefined ? {} : { resultCode }),
      ...(error === undefined ? {} : { error }),
    };
    try {
      this.#onCall(event);
    } catch {
      // A metrics hook must never change the outcome of a call.
    }
  }
}
