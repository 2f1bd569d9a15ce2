/**
 * The admin API over HTTP: the SandboxAdmin operations as JSON, on its own server bound to loopback only (it can
 * approve consents and cancel tokens, so it must never face a network). Bodies are JSON; errors are
 * `{"error": {"code", "message"}}` with HTTP 400/401/403/404/415.
 *
 * Loopback is not enough against the developer's own browser: a page they visit can send simple cross-site requests
 * to 127.0.0.1, and DNS rebinding lets a page read answers under its own host name. So every request must:
 *   - name a loopback Host (127.0.0.1, localhost, [::1], any port) — a rebound name is refused (403);
 *   - carry no Origin, or a loopback one — a page from anywhere else is refused (403);
 *   - for POST, say `content-type: application/json` (even with no body) — a form or no-cors fetch cannot, without
 *     a CORS preflight that this server never grants (415);
 *   - with a token configured (`new AdminApiServer(admin, { token })`, else SANDBOX_ADMIN_TOKEN), carry
 *     `Authorization: Bearer <token>` (401).
 * No CORS headers are ever sent.
 *
 *   POST /admin/reset
 *   GET  /admin/clock                     POST /admin/clock/advance {ms}      POST /admin/clock/set {epochMs}
 *   POST /admin/merchants {clientId, publicKey (PEM), notifyUrl?, status?, allowedEndpoints?}   GET /admin/merchants
 *   GET  /admin/wallet-policies           POST /admin/wallet-policies {wallet, policy|null}
 *   POST /admin/behaviour {authCodeLifetimeMs?, refreshTokenGraceMs?, repeats?, …}
 *   GET  /admin/authorizations            POST /admin/authorizations/approve|deny {authorizationId | authState [, clientId]}
 *   POST /admin/tokens/cancel {accessToken | grantId | authState [, clientId], reason?}   GET /admin/tokens
 *   GET  /admin/faults  POST /admin/faults {script} → {id}  DELETE /admin/faults  DELETE /admin/faults/{id}
 *   POST /admin/rate-limit {endpoint?, requestsPerSecond}   DELETE /admin/rate-limit
 *   GET  /admin/requests   GET /admin/notifications   POST /admin/notifications/flush
 *   POST /admin/merchants/keys {clientId, add?: {version: PEM}, retire?: [version]} → {keyVersions}
 *   GET  /admin/signing-keys → {current, versions}   POST /admin/signing-keys {keyVersion} → {keyVersion, publicKeyPem}
 *   POST /admin/signing-keys/use {keyVersion}
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOn } from './listenOn';
import { KeyConfigurationError } from '../antom/keys';
import { SandboxAdmin, SandboxAdminError, type SandboxBehaviour } from './admin';
import type { FaultScript, RateLimit } from './faults';
import type { MerchantRegistration } from './merchants';
import type { WalletPolicy } from './walletPolicies';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_ADMIN_BODY = 256 * 1024;

class BadRequest extends Error {}

/** A request refused before routing (foreign Host/Origin, wrong content type, missing token). */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The host name of a Host header or an origin's authority, without port and brackets; undefined when malformed. */
function hostnameOf(authority: string): string | undefined {
  try {
    return new URL(`http://${authority}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  } catch {
    return false;
  }
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Throws Refused unless the request may reach the admin operations (see the header comment). */
function admit(req: IncomingMessage, tokenDigest: Buffer | undefined): void {
  const host = req.headers.host;
  const hostname = typeof host === 'string' ? hostnameOf(host) : undefined;
  if (hostname === undefined || !LOOPBACK_HOSTS.has(hostname)) {
    throw new Refused(403, 'FORBIDDEN_HOST', 'the admin API answers only a loopback Host (127.0.0.1, localhost, [::1])');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    throw new Refused(403, 'FORBIDDEN_ORIGIN', 'the admin API refuses requests from web pages of other hosts');
  }
  if (tokenDigest) {
    const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(sha256(presented), tokenDigest)) {
      throw new Refused(401, 'UNAUTHENTICATED', 'send Authorization: Bearer <admin token> (the sandbox was started with an admin token)');
    }
  }
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new Refused(415, 'UNSUPPORTED_MEDIA_TYPE', 'POST requests need content-type: application/json (also with no body)');
    }
  }
}

export interface AdminApiOptions {
  /**
   * When set, every request needs `Authorization: Bearer <token>`. Default: SANDBOX_ADMIN_TOKEN from the
   * environment, else none (the loopback, Host, Origin and content-type rules always apply).
   */
  readonly token?: string;
}

type Json = Record<string, unknown>;

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) throw new BadRequest('body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequest('body must be a JSON object');
  return parsed as Json;
}

function numberField(body: Json, name: string): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequest(`${name} must be a number`);
  return value;
}

function optionalString(body: Json, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`${name} must be a string`);
  return value;
}

function selectorOf(body: Json): { authorizationId?: string; authState?: string; clientId?: string; accessToken?: string; grantId?: string } {
  const out: Record<string, string> = {};
  for (const name of ['authorizationId', 'authState', 'clientId', 'accessToken', 'grantId']) {
    const value = optionalString(body, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export class AdminApiServer {
  private readonly server: Server;
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly admin: SandboxAdmin,
    options: AdminApiOptions = {},
  ) {
    const token = options.token ?? process.env.SANDBOX_ADMIN_TOKEN;
    this.tokenDigest = token ? sha256(token) : undefined;
    this.server = createServer((req, res) => {
      new Promise<void>((resolve) => resolve(admit(req, this.tokenDigest)))
        .then(() => this.route(req))
        .then((payload) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload ?? { ok: true }));
        })
        .catch((err: unknown) => {
          if (err instanceof Refused) req.resume();
          const [status, code, message] =
            err instanceof Refused
              ? [err.status, err.code, err.message]
              : err instanceof BadRequest
              ? [400, 'BAD_REQUEST', err.message]
              : err instanceof SandboxAdminError
                ? [err.code === 'NOT_FOUND' ? 404 : 400, err.code, err.message]
                : err instanceof KeyConfigurationError || err instanceof RangeError || err instanceof TypeError
                  ? [400, 'BAD_REQUEST', err.message]
                  : [500, 'INTERNAL', 'admin operation failed'];
          if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
        });
    });
  }

  /** Binds to a loopback host only. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (!LOOPBACK_HOSTS.has(host)) throw new Error(`the admin API binds to loopback only, not ${host}`);
    return listenOn(this.server, port, host);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage): Promise<unknown> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readJson(req) : (req.resume(), {});
    const admin = this.admin;
    const key = `${method} ${path}`;
    switch (key) {
      case 'POST /admin/reset':
        admin.reset();
        return undefined;
      case 'GET /admin/clock':
        return admin.clock();
      case 'POST /admin/clock/advance':
        return admin.advanceClock(numberField(body, 'ms'));
      case 'POST /admin/clock/set':
        return admin.setClock(numberField(body, 'epochMs'));
      case 'POST /admin/merchants':
        if (typeof body.clientId !== 'string') throw new BadRequest('clientId must be a string');
        admin.registerMerchant(body as unknown as MerchantRegistration);
        return undefined;
      case 'POST /admin/merchants/keys': {
        if (typeof body.clientId !== 'string') throw new BadRequest('clientId must be a string');
        const add = body.add ?? {};
        if (typeof add !== 'object' || Array.isArray(add) || Object.values(add as object).some((pem) => typeof pem !== 'string')) {
          throw new BadRequest('add must map key versions to PEM strings');
        }
        const retire = body.retire ?? [];
        if (!Array.isArray(retire) || retire.some((version) => typeof version !== 'string')) throw new BadRequest('retire must be a list of key versions');
        return admin.setMerchantKeys(body.clientId, { add: add as Record<string, string>, retire: retire as string[] });
      }
      case 'GET /admin/signing-keys':
        return admin.signingKeys();
      case 'POST /admin/signing-keys': {
        const keyVersion = optionalString(body, 'keyVersion');
        if (keyVersion === undefined) throw new BadRequest('keyVersion is required');
        return admin.addSigningKey(keyVersion);
      }
      case 'POST /admin/signing-keys/use': {
        const keyVersion = optionalString(body, 'keyVersion');
        if (keyVersion === undefined) throw new BadRequest('keyVersion is required');
        admin.useSigningKey(keyVersion);
        return admin.signingKeys();
      }
      case 'GET /admin/wallet-policies':
        return admin.walletPolicies();
      case 'POST /admin/wallet-policies': {
        const wallet = optionalString(body, 'wallet');
        if (wallet === undefined) throw new BadRequest('wallet is required');
        admin.setWalletPolicy(wallet, (body.policy ?? null) as WalletPolicy | null);
        return undefined;
      }
      case 'POST /admin/behaviour':
        admin.configure(body as SandboxBehaviour);
        return undefined;
      case 'GET /admin/authorizations':
        return admin.authorizations();
      case 'POST /admin/authorizations/approve':
        return admin.approve(selectorOf(body));
      case 'POST /admin/authorizations/deny':
        admin.deny(selectorOf(body));
        return undefined;
      case 'POST /admin/tokens/cancel':
        return admin.cancelFromWallet(selectorOf(body), optionalString(body, 'reason'));
      case 'GET /admin/tokens':
        return admin.tokens();
      case 'GET /admin/faults':
        return admin.faults();
      case 'POST /admin/faults':
        return { id: admin.addFault(normalizeTimes(body) as unknown as FaultScript) };
      case 'DELETE /admin/faults':
        admin.clearFaults();
        return undefined;
      case 'POST /admin/rate-limit':
        admin.setRateLimit({ ...(body as unknown as RateLimit), requestsPerSecond: numberField(body, 'requestsPerSecond') });
        return undefined;
      case 'DELETE /admin/rate-limit':
        admin.setRateLimit(undefined);
        return undefined;
      case 'GET /admin/requests':
        return admin.requests();
      case 'GET /admin/notifications':
        return admin.notifications();
      case 'POST /admin/notifications/flush':
        return admin.flushNotifications();
      default: {
        const faultId = /^\/admin\/faults\/(\d+)$/.exec(path);
        if (method === 'DELETE' && faultId?.[1] !== undefined) return { removed: admin.removeFault(Number(faultId[1])) };
        throw new SandboxAdminError('NOT_FOUND', `no admin route ${method} ${path}`);
      }
    }
  }
}

/** JSON has no Infinity: `"times": "all"` or `-1` arms a fault for every matching call. */
function normalizeTimes(body: Json): Json {
  if (body.times === 'all' || body.times === -1) return { ...body, times: Infinity };
  return body;
}
