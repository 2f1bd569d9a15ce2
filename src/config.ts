/**
 * The one validated configuration of antom-auth, read from environment variables.
 *
 * Every knob is declared once in `KNOBS` with its default and the reason for that default; the README's
 * configuration table mirrors this list (a test keeps the two in step). `loadConfig` reports every problem at once,
 * naming the variable, and never echoes a secret's value.
 */
import { z } from 'zod';
import { DEFAULT_KEY_VERSION } from './antom/signatureHeader';
import { KEY_VERSION_PATTERN, KEY_VERSION_RULE, newestKeyVersion, type AntomKeySources, type KeyFileSource } from './antom/signatureKeys';
import { parseApiKeys, type ApiKey } from './apiKeys';
import { parseClusterNodes, type RedisEndpoint } from './store/redisClient';
import { isClusterSafePrefix } from './store/redisKeys';
import type { TemporalTlsSettings } from './temporalConnection';
import { parseRoutingKey } from './codec/routingDigest';
import { loadMerchantsFile, MERCHANT_REGIONS, type MerchantPlatform } from './merchantsFile';
import { DEFAULT_MERCHANT_ID } from './workflows/authorizationIdentity';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

interface Knob {
  /** Default when unset; undefined means "no default" (optional or required, per the schema). */
  readonly default?: string;
  readonly why: string;
  readonly secret?: boolean;
}

/** Environment variables, their defaults and why. Kept in the README's configuration table. */
export const KNOBS = {
  REDIS_URL: { default: 'redis://127.0.0.1:6379', why: 'the local Redis every dev machine and CI has' },
  REDIS_CLUSTER_NODES: { why: 'unset: a single Redis at REDIS_URL; set it (comma-separated host:port seed nodes) to use a Redis Cluster — REDIS_URL then only supplies the user, password and rediss:// TLS every node shares' },
  REDIS_KEY_PREFIX: { default: 'antom-auth:', why: 'lets several deployments or tests share one Redis without collisions; no { or } (the keys\' Redis Cluster hash tags follow it)' },
  TEMPORAL_ADDRESS: { why: 'unset: `npm start` embeds a Temporal dev server; set it to use your cluster (host:port)' },
  TEMPORAL_TLS: { default: 'auto', why: 'auto: TLS as soon as any TEMPORAL_TLS_* file, TEMPORAL_TLS_SERVER_NAME or TEMPORAL_API_KEY is set (Temporal Cloud needs TLS for both), else plaintext like the dev server and docker-compose; true: TLS with the system CAs and nothing else set (a cluster with a public certificate); false: plaintext even with an API key (e.g. to a local TLS-terminating proxy)' },
  TEMPORAL_TLS_CA_FILE: { why: 'unset: the system CAs (right for Temporal Cloud); set it to a PEM CA bundle to trust a self-hosted cluster\'s private CA instead' },
  TEMPORAL_TLS_CERT_FILE: { why: 'mTLS: the PEM client certificate Temporal (Cloud or your cluster) expects; with TEMPORAL_TLS_KEY_FILE, checked at start to match it and to be current' },
  TEMPORAL_TLS_KEY_FILE: { why: 'mTLS: the PEM private key of TEMPORAL_TLS_CERT_FILE (unencrypted; never logged)', secret: true },
  TEMPORAL_TLS_SERVER_NAME: { why: 'unset: the host of TEMPORAL_ADDRESS is the name verified (and sent as SNI); set it when connecting by IP or through a proxy whose certificate names another host' },
  TEMPORAL_API_KEY: { why: 'a Temporal Cloud API key (sent as `authorization: Bearer …`; turns TLS on under TEMPORAL_TLS=auto); unset: none, e.g. mTLS or an open dev server', secret: true },
  TEMPORAL_NAMESPACE: { default: 'default', why: 'the namespace every Temporal server has out of the box' },
  TEMPORAL_TASK_QUEUE: { default: 'antom-auth', why: 'one queue for the workflow and its activities; they scale together' },
  TEMPORAL_CLI_PATH: { why: 'a local `temporal` CLI binary for the embedded dev server where it cannot be downloaded' },
  TEMPORAL_DATA_DIR: { default: 'data', why: 'where the embedded dev server keeps its SQLite file, so `npm start` survives restarts' },
  WORKER_MAX_CACHED_WORKFLOWS: { default: '1000', why: 'each cached authorization costs ~1 MB of VM memory; 1000 fits a small worker and avoids replay for active ones' },
  WORKER_METRICS_PORT: { why: 'unset: no metrics endpoint on a standalone worker (`npm start` serves them on the API\'s /metrics); set it to expose Temporal SDK + Antom-call metrics for Prometheus' },
  WORKER_ACCEPT_UNENCODED_PAYLOADS: { default: 'false', why: 'false: the worker refuses signal, update and start payloads that arrive without the codec\'s encryption (sent by someone who reached Temporal directly: signal dropped, update rejected, start failed); true is a development switch, e.g. to signal from `temporal workflow signal` without --codec-endpoint' },
  WORKFLOW_BUNDLE_PATH: { why: 'a prebundled workflow file (production): skips bundling at start and pins the code that runs' },
  ANTOM_BASE_URL: { why: 'unset: `npm start` embeds the sandbox; set it (or ANTOM_REGION) to talk to Antom' },
  ANTOM_REGION: { why: 'one of na, us, sea, eu, aps-sea, aps-na: picks the documented domain when ANTOM_BASE_URL is unset' },
  ANTOM_SANDBOX_PATH: { default: 'auto', why: 'auto: the `/ams/sandbox/` path when the client-id starts with SANDBOX_, as Antom\'s SDKs do' },
  ANTOM_CLIENT_ID: { why: 'your client-id from the Antom dashboard (required when talking to Antom)' },
  ANTOM_PRIVATE_KEY_FILE: { why: 'your RSA private key (PKCS#8/PKCS#1, PEM or base64); parsed once at start. One key, keyVersion ANTOM_SIGNING_KEY_VERSION (default "1"); for a rotation use ANTOM_PRIVATE_KEYS instead', secret: true },
  ANTOM_PRIVATE_KEYS: { why: 'several private keys for a rotation, `version:path[,version:path…]` (e.g. `1:/keys/m1.pem,2:/keys/m2.pem`); the one ANTOM_SIGNING_KEY_VERSION names signs and its version goes in every signature header; not together with ANTOM_PRIVATE_KEY_FILE', secret: true },
  ANTOM_SIGNING_KEY_VERSION: { why: 'which private key signs; unset: the highest keyVersion configured (Antom\'s own default is "the latest version"), "1" for a single ANTOM_PRIVATE_KEY_FILE. Switch it only after that version\'s public key is registered in the Antom dashboard' },
  ANTOM_PUBLIC_KEY_FILE: { why: 'Antom\'s public key, to verify every response and notification; it is keyVersion "1": a signature header naming another keyVersion, or an algorithm other than RSA256 (matched case-insensitively), is refused with an error naming what is accepted; for a rotation use ANTOM_PUBLIC_KEYS instead' },
  ANTOM_PUBLIC_KEYS: { why: 'several Antom public keys for a rotation, `version:path[,version:path…]`: a response or notification is checked with the key its header\'s keyVersion names (a header naming none is tried with each); add Antom\'s new key here before Antom signs with it, remove the old one after; not together with ANTOM_PUBLIC_KEY_FILE' },
  ANTOM_AGENT_TOKEN: { why: 'ISV only: sent as the agent-token header', secret: true },
  MERCHANTS_FILE: { why: 'unset: one merchant, the ANTOM_* variables (its id is `default`); set it to a JSON file listing several merchants, each with its platform (antom | alipayplus), client-id, baseUrl or region, key files and (Alipay+) authClientName — see README "Several merchants"; not together with ANTOM_BASE_URL / ANTOM_REGION' },
  ALIPAYPLUS_AUTH_CLIENT_NAME: { why: 'Alipay+ acquirers only: the merchant name the wallet shows on its consent page (prepare requires authClientName)' },
  ANTOM_RATE_LIMIT_RPS: { default: '20', why: 'per endpoint across all workers; Antom\'s quota is per merchant and unpublished, 20/s stays well below typical limits; when you know your quota, set this 10–20 % below it (a stalled worker can bunch calls: docs/CAPACITY.md)' },
  NOTIFICATION_ROUTING_KEY: { why: 'base64 of 32 bytes: keys the access-token digests the workflow records in Temporal visibility (AntomTokenDigests) so TOKEN_CANCELED is routed without Redis; it does not rotate with ENCRYPTION_KEYS, so retiring an encryption key orphans no digest. Unset: derived from the current ENCRYPTION_KEYS key (development; routing by visibility then breaks for tokens recorded under a retired key). Set it in production, the same on worker and API', secret: true },
  NOTIFICATION_REQUEST_TIME_TOLERANCE_MS: { default: '300000', why: 'a notification whose request-time (epoch ms or ISO 8601) is more than 5 minutes off our clock is refused (401, Antom resends with a fresh request-time): each send is signed anew, so a genuine one is seconds old, and an old captured notification cannot be replayed once the dedupe has forgotten it' },
  NOTIFICATION_DELIVERY_RETRY_MS: { default: '25000', why: 'how long one notification request retries reaching Temporal (routing lookup, delivery) before answering 503: an AUTHCODE_CREATED authCode dies one minute after issue and Antom resends only 2 minutes later, so a short Temporal hiccup must be ridden out in the request; 25 s leaves the workflow 35 s to exchange the code' },
  NOTIFICATION_UNROUTED_ACK_AFTER_MS: { default: '21600000', why: 'a notification that matches no authorization (neither Redis nor Temporal visibility) is answered 503, so Antom resends (0 s, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h), until 6 h after it was first seen; then it is acknowledged and recorded for operators (GET /operator/notifications/unrouted). 6 h covers six of the eight attempts: time for an operator, alerted by the counter, to restore Redis or a key while Antom still resends' },
  ENCRYPTION_KEYS: { why: 'comma-separated id:base64(32 bytes); the first encrypts, all decrypt (rotation; retiring a key: README "Rotating keys", `antom-auth keys reencrypt|audit`). Encrypts Temporal payloads and Redis values. `npm start` generates a dev key under TEMPORAL_DATA_DIR when unset', secret: true },
  API_HOST: { default: '127.0.0.1', why: 'loopback by default: exposing the API is a deliberate act' },
  API_PORT: { default: '8080', why: 'a common unprivileged port' },
  API_HEADERS_TIMEOUT_MS: { default: '10000', why: 'a client must send its request headers within 10 s (a real one needs milliseconds); a slow-loris trickling headers is cut off' },
  API_REQUEST_TIMEOUT_MS: { default: '30000', why: 'a whole request, body included, within 30 s: a notification is a few KB and the largest body (a 4 MiB codec batch) needs ~140 KB/s; a client trickling a body is cut off with 408' },
  API_MAX_UNAUTHENTICATED_REQUESTS: { default: '256', why: 'requests in flight without a valid API key (notifications, wallet redirects, health, codec sign-in, demo); beyond it 503 + Retry-After, so a flood or slow clients cannot take the API from the backend, whose keyed requests are never counted' },
  API_KEYS: { why: 'comma-separated bearer keys, each `<id>:<scope>[+<scope>…]:<secret>` with scopes `tokens:read` (payments), `authorizations` (the backend), `operator` (codec, operator actions, metrics), `metrics` (Prometheus) or `*`; a bare `<secret>` has every scope (id `key<N>`), so one key stays simple in development — `npm start` generates one when unset and prints it. Give each caller its own scoped key in production', secret: true },
  PUBLIC_BASE_URL: { why: 'the URL Antom and wallets reach this API at (authRedirectUrl, notify URL); defaults to http://API_HOST:API_PORT' },
  RESULT_PAGE_URL: { why: 'where the wallet redirect sends the customer afterwards; defaults to the demo result page' },
  CODEC_CORS_ORIGIN: { default: 'http://localhost:8233', why: 'the Temporal UI\'s origin in development, allowed to call the codec endpoint' },
  DEMO_ENABLED: { default: 'false', why: 'the demo page is for development; `npm start` turns it on' },
  LOG_LEVEL: { default: 'info', why: 'pino level; info logs lifecycle events without per-request noise' },
  WEBHOOK_URL: { why: 'unset: no webhooks (the workflow emits nothing). Set it to the merchant backend\'s endpoint (http or https) to receive every state change (ACTIVE, REFRESHED, NEEDS_ATTENTION, REAUTH_REQUIRED, TOKEN_EXPIRED, REVOKED, CANCELED_BY_WALLET, AUTHORIZATION_EXPIRED, FAILED), signed, at least once, in order per authorization (README "Webhooks"). Read by the worker' },
  WEBHOOK_SECRETS: { why: 'required with WEBHOOK_URL: comma-separated HMAC secrets (each ≥ 32 characters, no whitespace or `,`); every delivery is signed with each (one `v1=` per secret in Antom-Auth-Signature), so a rotation adds the new secret first, moves the receiver to it, then removes the old one', secret: true },
  WEBHOOK_TIMEOUT_MS: { default: '10000', why: 'one delivery attempt (connect, headers, body) must finish within 10 s: a receiver should acknowledge at once and work afterwards; a slow one is cut off and retried with backoff, never holding up the authorization' },
  SANDBOX_ADMIN_TOKEN: { why: 'unset: the sandbox admin API (loopback only; JSON content type, loopback Host and Origin required) takes no token; set it (≥ 16 characters) to also require `Authorization: Bearer <token>`, e.g. on a shared machine', secret: true },
} as const satisfies Record<string, Knob>;

export type KnobName = keyof typeof KNOBS;

const regions = MERCHANT_REGIONS;

const optionalText = z.string().trim().min(1).optional();
const port = z.coerce.number().int().min(0).max(65535);

function isRoutingKey(value: string): boolean {
  try {
    parseRoutingKey(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` is an http(s) origin exactly as the URL standard serializes it (what a browser's Origin header holds). */
function isSerializedOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

const schema = z.object({
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
  REDIS_CLUSTER_NODES: optionalText,
  REDIS_KEY_PREFIX: z.string().min(1).refine(isClusterSafePrefix, 'must not contain { or } (they would become the keys\' hash tag)'),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s/]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_TLS: z.enum(['auto', 'true', 'false']),
  TEMPORAL_TLS_CA_FILE: optionalText,
  TEMPORAL_TLS_CERT_FILE: optionalText,
  TEMPORAL_TLS_KEY_FILE: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_API_KEY: z.string().trim().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1),
  TEMPORAL_TASK_QUEUE: z.string().min(1),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_DATA_DIR: z.string().min(1),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0),
  WORKER_METRICS_PORT: port.optional(),
  WORKER_ACCEPT_UNENCODED_PAYLOADS: z.enum(['true', 'false']),
  WORKFLOW_BUNDLE_PATH: optionalText,
  ANTOM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  ANTOM_REGION: z.enum(regions).optional(),
  ANTOM_SANDBOX_PATH: z.enum(['auto', 'true', 'false']),
  ANTOM_CLIENT_ID: z.string().trim().min(1).max(64).optional(),
  ANTOM_PRIVATE_KEY_FILE: optionalText,
  ANTOM_PRIVATE_KEYS: optionalText,
  ANTOM_SIGNING_KEY_VERSION: z.string().regex(KEY_VERSION_PATTERN, KEY_VERSION_RULE).optional(),
  ANTOM_PUBLIC_KEY_FILE: optionalText,
  ANTOM_PUBLIC_KEYS: optionalText,
  ANTOM_AGENT_TOKEN: z.string().min(1).max(128).optional(),
  MERCHANTS_FILE: optionalText,
  ALIPAYPLUS_AUTH_CLIENT_NAME: z.string().trim().min(1).max(256).optional(),
  ANTOM_RATE_LIMIT_RPS: z.coerce.number().positive(),
  ENCRYPTION_KEYS: optionalText,
  NOTIFICATION_ROUTING_KEY: optionalText.refine((value) => value === undefined || isRoutingKey(value), 'must be base64 of 32 bytes'),
  NOTIFICATION_REQUEST_TIME_TOLERANCE_MS: z.coerce.number().int().min(1000).max(86_400_000),
  NOTIFICATION_DELIVERY_RETRY_MS: z.coerce.number().int().min(0).max(50_000),
  NOTIFICATION_UNROUTED_ACK_AFTER_MS: z.coerce.number().int().min(0),
  API_HOST: z.string().min(1),
  API_PORT: port,
  API_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000),
  API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000),
  API_MAX_UNAUTHENTICATED_REQUESTS: z.coerce.number().int().min(1),
  API_KEYS: optionalText,
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  // Absolute: every wallet redirect's Location is built on it, so a bad value must stop the start, not each redirect.
  RESULT_PAGE_URL: z.url({ protocol: /^https?$/ }).optional(),
  // Compared with the browser's Origin header as text, so it must be spelled as browsers send it (no path or slash).
  CODEC_CORS_ORIGIN: z.string().refine(isSerializedOrigin, 'must be an origin like http://localhost:8233 (scheme://host[:port], no path)'),
  DEMO_ENABLED: z.enum(['true', 'false']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  WEBHOOK_SECRETS: optionalText,
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000),
  // Read by the sandbox's admin API itself (src/sandbox/adminApi.ts); validated here so `npm start` names a bad one.
  SANDBOX_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export interface AntomConnection {
  /** Explicit base URL, or undefined when the region picks it. */
  readonly baseUrl?: string;
  readonly region?: (typeof regions)[number];
  readonly sandboxPath: 'auto' | boolean;
  readonly clientId: string;
  /** The key files by keyVersion and which private key signs (signatureKeys.ts loadAntomKeySet parses them). */
  readonly keys: AntomKeySources;
  readonly agentToken?: string;
  /** Alipay+ prepare's authClientName; undefined for Antom merchants. */
  readonly alipayPlusAuthClientName?: string;
}

/** One merchant: an Antom connection under an id (DEFAULT_MERCHANT_ID for the ANTOM_* variables). */
export interface MerchantConnection extends AntomConnection {
  readonly id: string;
  /** From MERCHANTS_FILE; for the ANTOM_* variables the client decides (the region's platform, else antom). */
  readonly platform?: MerchantPlatform;
}

export interface Config {
  readonly redis: {
    readonly url: string;
    readonly keyPrefix: string;
    /** REDIS_CLUSTER_NODES, parsed; absent for a single Redis. */
    readonly clusterNodes?: readonly RedisEndpoint[];
  };
  readonly temporal: {
    readonly address?: string;
    /** TLS (paths, read at connect: src/temporalConnection.ts); absent: plaintext. */
    readonly tls?: TemporalTlsSettings;
    /** TEMPORAL_API_KEY; secret. */
    readonly apiKey?: string;
    readonly namespace: string;
    readonly taskQueue: string;
    readonly cliPath?: string;
    readonly dataDir: string;
  };
  readonly worker: {
    readonly maxCachedWorkflows: number;
    readonly bundlePath?: string;
    readonly metricsPort?: number;
    /** Development switch: pass payloads without the codec's encryption through (default: refuse them). */
    readonly acceptUnencodedPayloads: boolean;
  };
  /** Undefined when no Antom endpoint is configured (`npm start` then embeds the sandbox). */
  readonly antom?: AntomConnection;
  /**
   * Every merchant: MERCHANTS_FILE's, else the ANTOM_* one as `default`; empty when neither is set (`npm start` then
   * embeds the sandbox).
   */
  readonly merchants: readonly MerchantConnection[];
  readonly rateLimitPerSecond: number;
  /** Raw key-ring text; parsed (and validated) by the codec's key-ring loader at start. */
  readonly encryptionKeys?: string;
  readonly notifications: NotificationSettings;
  readonly api: {
    readonly host: string;
    readonly port: number;
    /** API_KEYS, parsed: each key's id, scopes and secret (src/apiKeys.ts). */
    readonly keys: readonly ApiKey[];
    readonly publicBaseUrl: string;
    readonly resultPageUrl: string;
    readonly codecCorsOrigin: string;
    readonly demoEnabled: boolean;
    readonly limits: ApiLimits;
  };
  /** Undefined when WEBHOOK_URL is unset: no webhooks. */
  readonly webhooks?: WebhookConfig;
  readonly logLevel: string;
}

/** How inbound notifications are checked and routed (NOTIFICATION_* knobs). */
export interface NotificationSettings {
  /** NOTIFICATION_ROUTING_KEY's text (validated); undefined: derived from ENCRYPTION_KEYS. */
  readonly routingKey?: string;
  readonly requestTimeToleranceMs: number;
  readonly deliveryRetryMs: number;
  readonly unroutedAckAfterMs: number;
}

/** The notification settings' defaults, from KNOBS (for APIs built without loadConfig, e.g. in tests). */
export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  requestTimeToleranceMs: Number(KNOBS.NOTIFICATION_REQUEST_TIME_TOLERANCE_MS.default),
  deliveryRetryMs: Number(KNOBS.NOTIFICATION_DELIVERY_RETRY_MS.default),
  unroutedAckAfterMs: Number(KNOBS.NOTIFICATION_UNROUTED_ACK_AFTER_MS.default),
};

/** Where state-change webhooks go and how they are signed (WEBHOOK_URL, WEBHOOK_SECRETS, WEBHOOK_TIMEOUT_MS). */
export interface WebhookConfig {
  readonly url: string;
  /** Every delivery is signed with each, in order. */
  readonly secrets: readonly string[];
  readonly timeoutMs: number;
}

/** 32 characters: an HMAC key with at least 128 bits of entropy when hex-encoded, e.g. `openssl rand -hex 32`. */
export const WEBHOOK_SECRET_MIN_LENGTH = 32;

/** Parses WEBHOOK_SECRETS; problems name the entry's position, never its value. */
export function parseWebhookSecrets(text: string): { secrets: string[]; problems: string[] } {
  const entries = text.split(',');
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    if (entry.length < WEBHOOK_SECRET_MIN_LENGTH) problems.push(`WEBHOOK_SECRETS: secret ${index + 1} is shorter than ${WEBHOOK_SECRET_MIN_LENGTH} characters`);
    if (/\s/.test(entry)) problems.push(`WEBHOOK_SECRETS: secret ${index + 1} contains whitespace`);
  });
  if (new Set(entries).size !== entries.length) problems.push('WEBHOOK_SECRETS: a secret appears twice');
  return { secrets: entries, problems };
}

/** Slow-client and flood limits of the HTTP API (API_HEADERS_TIMEOUT_MS, API_REQUEST_TIMEOUT_MS, API_MAX_UNAUTHENTICATED_REQUESTS). */
export interface ApiLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxUnauthenticatedRequests: number;
}

/** The limits' defaults, from KNOBS (for APIs built without loadConfig, e.g. in tests). */
export const DEFAULT_API_LIMITS: ApiLimits = {
  headersTimeoutMs: Number(KNOBS.API_HEADERS_TIMEOUT_MS.default),
  requestTimeoutMs: Number(KNOBS.API_REQUEST_TIMEOUT_MS.default),
  maxUnauthenticatedRequests: Number(KNOBS.API_MAX_UNAUTHENTICATED_REQUESTS.default),
};

type Env = Record<string, string | undefined>;

/**
 * `version:path[,version:path…]` of ANTOM_PRIVATE_KEYS / ANTOM_PUBLIC_KEYS. Only the first `:` separates, so a path
 * may contain more. Problems name the variable and the entry's position or version, never a path's content.
 */
function parseKeyFileList(variable: string, text: string, problems: string[]): KeyFileSource[] {
  const sources: KeyFileSource[] = [];
  text.split(',').map((item) => item.trim()).forEach((item, index) => {
    if (item === '') return;
    const colon = item.indexOf(':');
    const keyVersion = colon > 0 ? item.slice(0, colon).trim() : '';
    const path = colon > 0 ? item.slice(colon + 1).trim() : '';
    if (!KEY_VERSION_PATTERN.test(keyVersion) || path === '') {
      problems.push(`${variable}: entry #${index + 1} must be version:path (version of A-Z a-z 0-9 _ . -)`);
      return;
    }
    if (sources.some((source) => source.keyVersion === keyVersion)) {
      problems.push(`${variable}: keyVersion ${keyVersion} is listed twice`);
      return;
    }
    sources.push({ variable, keyVersion, path, listed: true });
  });
  if (sources.length === 0 && problems.every((problem) => !problem.startsWith(`${variable}:`))) problems.push(`${variable}: lists no key`);
  return sources;
}

function antomKeySources(c: z.infer<typeof schema>, problems: string[]): AntomKeySources {
  if (c.ANTOM_PRIVATE_KEY_FILE && c.ANTOM_PRIVATE_KEYS) problems.push('ANTOM_PRIVATE_KEYS: set either ANTOM_PRIVATE_KEYS or ANTOM_PRIVATE_KEY_FILE, not both');
  if (c.ANTOM_PUBLIC_KEY_FILE && c.ANTOM_PUBLIC_KEYS) problems.push('ANTOM_PUBLIC_KEYS: set either ANTOM_PUBLIC_KEYS or ANTOM_PUBLIC_KEY_FILE, not both');
  const privateKeys = c.ANTOM_PRIVATE_KEYS
    ? parseKeyFileList('ANTOM_PRIVATE_KEYS', c.ANTOM_PRIVATE_KEYS, problems)
    : c.ANTOM_PRIVATE_KEY_FILE
      ? [{ variable: 'ANTOM_PRIVATE_KEY_FILE', keyVersion: c.ANTOM_SIGNING_KEY_VERSION ?? DEFAULT_KEY_VERSION, path: c.ANTOM_PRIVATE_KEY_FILE }]
      : [];
  const publicKeys = c.ANTOM_PUBLIC_KEYS
    ? parseKeyFileList('ANTOM_PUBLIC_KEYS', c.ANTOM_PUBLIC_KEYS, problems)
    : c.ANTOM_PUBLIC_KEY_FILE
      ? [{ variable: 'ANTOM_PUBLIC_KEY_FILE', keyVersion: DEFAULT_KEY_VERSION, path: c.ANTOM_PUBLIC_KEY_FILE }]
      : [];
  const signingKeyVersion = c.ANTOM_SIGNING_KEY_VERSION ?? newestKeyVersion(privateKeys) ?? DEFAULT_KEY_VERSION;
  if (privateKeys.length > 0 && !privateKeys.some((source) => source.keyVersion === signingKeyVersion)) {
    problems.push(`ANTOM_SIGNING_KEY_VERSION: keyVersion ${signingKeyVersion} is not among the keys of ANTOM_PRIVATE_KEYS (it lists ${privateKeys.map((s) => s.keyVersion).join(', ')})`);
  }
  return { privateKeys, signingKeyVersion, publicKeys };
}

/** Reads and validates the configuration. Throws ConfigError listing every problem (never a secret's value). */
export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  for (const [name, knob] of Object.entries(KNOBS) as [KnobName, Knob][]) {
    const value = env[name];
    raw[name] = value === undefined || value === '' ? knob.default : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const c = parsed.data;
  const problems: string[] = [];

  let antom: AntomConnection | undefined;
  if (c.ANTOM_BASE_URL || c.ANTOM_REGION) {
    if (!c.ANTOM_CLIENT_ID) problems.push('ANTOM_CLIENT_ID: required when ANTOM_BASE_URL or ANTOM_REGION is set');
    if (!c.ANTOM_PRIVATE_KEY_FILE && !c.ANTOM_PRIVATE_KEYS) {
      problems.push('ANTOM_PRIVATE_KEY_FILE: required (or ANTOM_PRIVATE_KEYS) when ANTOM_BASE_URL or ANTOM_REGION is set');
    }
    if (!c.ANTOM_PUBLIC_KEY_FILE && !c.ANTOM_PUBLIC_KEYS) {
      problems.push('ANTOM_PUBLIC_KEY_FILE: required (or ANTOM_PUBLIC_KEYS) when ANTOM_BASE_URL or ANTOM_REGION is set');
    }
    const keys = antomKeySources(c, problems);
    antom = {
      baseUrl: c.ANTOM_BASE_URL,
      region: c.ANTOM_REGION,
      sandboxPath: c.ANTOM_SANDBOX_PATH === 'auto' ? 'auto' : c.ANTOM_SANDBOX_PATH === 'true',
      clientId: c.ANTOM_CLIENT_ID ?? '',
      keys,
      agentToken: c.ANTOM_AGENT_TOKEN,
      alipayPlusAuthClientName: c.ALIPAYPLUS_AUTH_CLIENT_NAME,
    };
  }
  let merchants: MerchantConnection[] = antom ? [{ id: DEFAULT_MERCHANT_ID, ...antom }] : [];
  if (c.MERCHANTS_FILE) {
    if (antom) problems.push('MERCHANTS_FILE: set either MERCHANTS_FILE or ANTOM_BASE_URL / ANTOM_REGION (the single merchant), not both; name that merchant `default` in the file to keep its authorizations');
    const loaded = loadMerchantsFile(c.MERCHANTS_FILE);
    problems.push(...loaded.problems);
    merchants = loaded.merchants;
  }
  let clusterNodes: RedisEndpoint[] | undefined;
  if (c.REDIS_CLUSTER_NODES) {
    try {
      clusterNodes = parseClusterNodes(c.REDIS_CLUSTER_NODES);
    } catch (error) {
      problems.push(`REDIS_CLUSTER_NODES: ${(error as Error).message}`);
    }
  }
  const tls = temporalTls(c, problems);
  // Short bearer keys are guessable; 16 characters is the floor for anything random enough (apiKeys.ts).
  const { keys: apiKeys, problems: keyProblems } = parseApiKeys(c.API_KEYS ?? '');
  problems.push(...keyProblems.map((problem) => `API_KEYS: ${problem}`));
  let webhooks: WebhookConfig | undefined;
  if (c.WEBHOOK_URL) {
    if (!c.WEBHOOK_SECRETS) problems.push('WEBHOOK_SECRETS: required when WEBHOOK_URL is set (deliveries are always signed)');
    const { secrets, problems: secretProblems } = parseWebhookSecrets(c.WEBHOOK_SECRETS ?? '');
    if (c.WEBHOOK_SECRETS) problems.push(...secretProblems);
    webhooks = { url: c.WEBHOOK_URL, secrets, timeoutMs: c.WEBHOOK_TIMEOUT_MS };
  } else if (c.WEBHOOK_SECRETS) {
    problems.push('WEBHOOK_URL: required when WEBHOOK_SECRETS is set (where should the webhooks go?)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const publicBaseUrl = (c.PUBLIC_BASE_URL ?? `http://${c.API_HOST}:${c.API_PORT}`).replace(/\/+$/, '');
  return {
    redis: { url: c.REDIS_URL, keyPrefix: c.REDIS_KEY_PREFIX, ...(clusterNodes ? { clusterNodes } : {}) },
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      ...(tls ? { tls } : {}),
      ...(c.TEMPORAL_API_KEY ? { apiKey: c.TEMPORAL_API_KEY } : {}),
      namespace: c.TEMPORAL_NAMESPACE,
      taskQueue: c.TEMPORAL_TASK_QUEUE,
      cliPath: c.TEMPORAL_CLI_PATH,
      dataDir: c.TEMPORAL_DATA_DIR,
    },
    worker: {
      maxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
      bundlePath: c.WORKFLOW_BUNDLE_PATH,
      metricsPort: c.WORKER_METRICS_PORT,
      acceptUnencodedPayloads: c.WORKER_ACCEPT_UNENCODED_PAYLOADS === 'true',
    },
    antom,
    merchants,
    rateLimitPerSecond: c.ANTOM_RATE_LIMIT_RPS,
    encryptionKeys: c.ENCRYPTION_KEYS,
    notifications: {
      ...(c.NOTIFICATION_ROUTING_KEY ? { routingKey: c.NOTIFICATION_ROUTING_KEY } : {}),
      requestTimeToleranceMs: c.NOTIFICATION_REQUEST_TIME_TOLERANCE_MS,
      deliveryRetryMs: c.NOTIFICATION_DELIVERY_RETRY_MS,
      unroutedAckAfterMs: c.NOTIFICATION_UNROUTED_ACK_AFTER_MS,
    },
    api: {
      host: c.API_HOST,
      port: c.API_PORT,
      keys: apiKeys,
      publicBaseUrl,
      resultPageUrl: c.RESULT_PAGE_URL ?? `${publicBaseUrl}/demo/result`,
      codecCorsOrigin: c.CODEC_CORS_ORIGIN,
      demoEnabled: c.DEMO_ENABLED === 'true',
      limits: {
        headersTimeoutMs: c.API_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: c.API_REQUEST_TIMEOUT_MS,
        maxUnauthenticatedRequests: c.API_MAX_UNAUTHENTICATED_REQUESTS,
      },
    },
    ...(webhooks ? { webhooks } : {}),
    logLevel: c.LOG_LEVEL,
  };
}

/** TEMPORAL_TLS and its companions, checked against each other (the files themselves are read at connect). */
function temporalTls(c: z.infer<typeof schema>, problems: string[]): TemporalTlsSettings | undefined {
  const files = { caFile: c.TEMPORAL_TLS_CA_FILE, certFile: c.TEMPORAL_TLS_CERT_FILE, keyFile: c.TEMPORAL_TLS_KEY_FILE, serverName: c.TEMPORAL_TLS_SERVER_NAME };
  const tlsSet = Object.values(files).some((value) => value !== undefined);
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    problems.push(files.certFile ? 'TEMPORAL_TLS_KEY_FILE: required with TEMPORAL_TLS_CERT_FILE (mTLS needs the certificate and its key)' : 'TEMPORAL_TLS_CERT_FILE: required with TEMPORAL_TLS_KEY_FILE (mTLS needs the certificate and its key)');
  }
  if (c.TEMPORAL_TLS === 'false' && tlsSet) problems.push('TEMPORAL_TLS: false, but TEMPORAL_TLS_* is set — remove one of them');
  const secured = c.TEMPORAL_TLS === 'true' || tlsSet || c.TEMPORAL_API_KEY !== undefined;
  // Without TEMPORAL_ADDRESS, `npm start` embeds a plaintext dev server: silently dropping TLS or a key would mislead.
  if (!c.TEMPORAL_ADDRESS && (secured || tlsSet)) {
    problems.push('TEMPORAL_ADDRESS: required with TEMPORAL_TLS* / TEMPORAL_API_KEY (without it `npm start` embeds a plaintext dev server)');
  }
  if (c.TEMPORAL_TLS === 'false' || !secured) return undefined;
  return Object.fromEntries(Object.entries(files).filter(([, value]) => value !== undefined)) as TemporalTlsSettings;
}
