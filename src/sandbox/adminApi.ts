/**
 * The admin API over HTTP: the SandboxAdmin operations as JSON, on its own server bound to loopback only (it can
 * approve consents and cancel tokens, so it must never face a network). Bodies are JSON; errors are
 * `{"error": {"code", "message"}}` with HTTP 400/404.
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
 */
import { listenOn } from './listenOn';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { KeyConfigurationError } from '../antom/keys';
import { SandboxAdmin, SandboxAdminError, type SandboxBehaviour } from './admin';
import type { FaultScript, RateLimit } from './faults';
import type { MerchantRegistration } from './merchants';
import type { WalletPolicy } from './walletPolicies';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_ADMIN_BODY = 256 * 1024;

class BadRequest extends Error {}

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

  constructor(private readonly admin: SandboxAdmin) {
    this.server = createServer((req, res) => {
      this.route(req)
        .then((payload) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload ?? { ok: true }));
        })
        .catch((err: unknown) => {
          const [status, code, message] =
            err instanceof BadRequest
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
