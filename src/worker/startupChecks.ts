/**
 * What the worker checks before it polls: the encryption key ring, the Antom keys, Redis and Temporal. Each problem
 * becomes one line that names the setting (and, for files, the path) — never a key, a password or a stack trace —
 * so an operator reading a crash-looping container's log sees at once what to fix.
 */
import type { KeyObject } from 'node:crypto';
import type { SearchAttributeType } from '@temporalio/common';

/** The shape defineSearchAttributeKey returns (the SDK does not export the type by name). */
interface SearchAttributeKey<T extends SearchAttributeType> {
  readonly name: string;
  readonly type: T;
}
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { createRedisClient, describeRedisEndpoint, redisVariable, type RedisConnectionConfig } from '../store/redisClient';
import { AntomKeySetError, loadAntomKeySets, type AntomKeySet } from '../antom/signatureKeys';
import { KeyRingConfigError, parseKeyRingSpec, type KeyRing } from '../codec/keyRing';
import type { AntomConnection, Config } from '../config';
import { loadTemporalConnection, nativeConnectionOptions, TemporalConnectionConfigError, type TemporalConnectionMaterial } from '../temporalConnection';

/** Long enough for a healthy Redis/Temporal across a network; short enough that a wrong address fails fast. */
export const DEFAULT_STARTUP_TIMEOUT_MS = 5_000;

export type StartupProblemKind = 'configuration' | 'unreachable';

export class WorkerStartupError extends Error {
  override readonly name = 'WorkerStartupError';
  constructor(readonly kind: StartupProblemKind, readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

export function loadEncryptionKeyRing(config: Config): KeyRing {
  if (!config.encryptionKeys) {
    throw new WorkerStartupError('configuration', [
      'ENCRYPTION_KEYS: not set — the worker encrypts every Temporal payload and Redis value with it (id:base64 of 32 bytes)',
    ]);
  }
  try {
    return parseKeyRingSpec(config.encryptionKeys);
  } catch (error) {
    // KeyRingConfigError names the entry (id or position), never the key material.
    if (error instanceof KeyRingConfigError) throw new WorkerStartupError('configuration', [`ENCRYPTION_KEYS: ${error.message}`]);
    throw error;
  }
}

/** What an AntomClient needs of the key set: the signing key and its version, every accepted public key. */
export interface AntomKeys {
  privateKey: KeyObject;
  privateKeyVersion: string;
  antomPublicKeys: ReadonlyMap<string, KeyObject>;
}

export function antomClientKeys(keySet: AntomKeySet): AntomKeys {
  return { privateKey: keySet.signing.privateKey, privateKeyVersion: keySet.signing.keyVersion, antomPublicKeys: keySet.antomPublicKeys };
}

/**
 * Every merchant's key files (all private and public keys by keyVersion), parsed once; every problem of every
 * merchant reported at once (each naming its variable, never a key) as a configuration WorkerStartupError.
 */
export function loadMerchantKeySetsOrExplain(merchants: readonly AntomConnection[]): AntomKeySet[] {
  try {
    return loadAntomKeySets(merchants.map((merchant) => merchant.keys));
  } catch (error) {
    if (error instanceof AntomKeySetError) throw new WorkerStartupError('configuration', error.problems);
    throw error;
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  const message = error instanceof Error ? error.message : String(error);
  // The native Temporal client reports Rust debug output; its error kind (e.g. ConnectionRefused) is the useful part.
  const kind = /kind: (\w+)/.exec(message)?.[1];
  if (kind) return kind;
  return message.split('\n')[0]!.slice(0, 160);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: `timeout after ${timeoutMs} ms` }));
    }, timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Undefined when Redis (a single one, or a cluster: its slots discovered) answers PING in time; otherwise the problem
 * line. The probe connection is closed.
 */
export async function checkRedis(redis: RedisConnectionConfig, timeoutMs: number = DEFAULT_STARTUP_TIMEOUT_MS): Promise<string | undefined> {
  const probe = createRedisClient(redis, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    reconnect: false,
  });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, …) says more than the "Connection is closed" that follows it.
  let socketError: unknown;
  probe.on('error', (error: unknown) => {
    socketError ??= error;
  });
  try {
    await withTimeout(probe.connect().then(() => probe.ping()), timeoutMs, () => probe.disconnect());
    return undefined;
  } catch (error) {
    return `${redisVariable(redis)}: ${describeRedisEndpoint(redis)} is unreachable (${reason(socketError ?? error)})`;
  } finally {
    probe.disconnect();
  }
}

/**
 * The Temporal connection's material (address, TLS files read and checked, API key): configuration problems, found
 * before anything connects.
 */
export function loadTemporalMaterial(config: Config): TemporalConnectionMaterial {
  if (!config.temporal.address) {
    throw new WorkerStartupError('configuration', ['TEMPORAL_ADDRESS: not set — `npm run worker` needs a Temporal server (host:port); `npm start` embeds one']);
  }
  try {
    return loadTemporalConnection(config.temporal);
  } catch (error) {
    if (error instanceof TemporalConnectionConfigError) throw new WorkerStartupError('configuration', error.problems);
    throw error;
  }
}

export async function connectTemporal(
  material: TemporalConnectionMaterial,
  timeoutMs: number = DEFAULT_STARTUP_TIMEOUT_MS,
): Promise<{ connection: NativeConnection } | { problem: string }> {
  const connecting = NativeConnection.connect(nativeConnectionOptions(material));
  try {
    return { connection: await withTimeout(connecting, timeoutMs, () => undefined) };
  } catch (error) {
    // A connection that completes after the timeout must not linger.
    connecting.then((late) => late.close()).catch(() => undefined);
    return { problem: `TEMPORAL_ADDRESS: Temporal at ${material.address} is unreachable (${temporalReason(error, material)})` };
  }
}

/**
 * The reason a connection failed; over TLS, a certificate the client refused is said in words and points at the
 * settings that decide it (the native client's own text is Rust debug output).
 */
export function temporalReason(error: unknown, material: Pick<TemporalConnectionMaterial, 'tls'>): string {
  const text = error instanceof Error ? error.message : String(error);
  if (material.tls) {
    const certificateProblem = /invalid peer certificate: (\w+)|certificate verify failed|self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|Hostname\/IP does not match certificate's altnames|NotValidForName|UnknownIssuer/i.exec(text);
    if (certificateProblem) {
      return `TLS: the server's certificate was refused (${certificateProblem[1] ?? certificateProblem[0]}) — check TEMPORAL_TLS_CA_FILE and TEMPORAL_TLS_SERVER_NAME`;
    }
    // The server's alert: e.g. CertificateRequired (mTLS without a client certificate), BadCertificate, UnknownCA.
    const alert = /received fatal alert: (\w+)/.exec(text)?.[1];
    if (alert) return `TLS: the server refused the handshake (${alert}) — check TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE`;
    if (/handshake|tls|certificate|alert/i.test(text)) return `TLS handshake failed (${reason(error)}) — check TEMPORAL_TLS_* and that the server speaks TLS`;
  }
  return reason(error);
}

/** What listSearchAttributes needs: both the worker's NativeConnection and the client's Connection have it. */
export interface OperatorServiceLike {
  readonly operatorService: {
    listSearchAttributes(request: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
  };
}

/** Titled like `temporal operator search-attribute create --type` spells them. */
const TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * Undefined when the namespace has every search attribute the workflow upserts, with the right type; otherwise one
 * line naming what is missing or mistyped and the command that registers it. Without them the server fails every
 * workflow task (BAD_SEARCH_ATTRIBUTES), the SDK retries the task forever, and a link never answers.
 */
export async function checkSearchAttributes(
  connection: OperatorServiceLike,
  namespace: string,
  required: readonly SearchAttributeKey<SearchAttributeType>[],
  timeoutMs: number = DEFAULT_STARTUP_TIMEOUT_MS,
): Promise<string | undefined> {
  let registered: Record<string, unknown>;
  try {
    const response = await withTimeout(connection.operatorService.listSearchAttributes({ namespace }), timeoutMs, () => undefined);
    registered = response.customAttributes ?? {};
  } catch (error) {
    return `TEMPORAL_NAMESPACE: cannot list the search attributes of namespace ${namespace} (${reason(error)})`;
  }
  const missing: SearchAttributeKey<SearchAttributeType>[] = [];
  const mistyped: string[] = [];
  for (const key of required) {
    const have = registered[key.name];
    if (have === undefined) {
      missing.push(key);
      continue;
    }
    // The proto enum arrives as a number from gRPC; its name, e.g. INDEXED_VALUE_TYPE_KEYWORD, ends in our type.
    const haveType = (typeof have === 'number' ? (temporal.api.enums.v1.IndexedValueType[have] ?? String(have)) : String(have)).replace(/^INDEXED_VALUE_TYPE_/, '');
    if (haveType !== key.type) mistyped.push(`${key.name} is ${TYPE_NAMES[haveType] ?? haveType} (needs ${TYPE_NAMES[key.type]})`);
  }
  if (missing.length === 0 && mistyped.length === 0) return undefined;
  const parts = [
    ...(missing.length > 0 ? [`lacks ${missing.map((k) => `${k.name} (${TYPE_NAMES[k.type]})`).join(', ')}`] : []),
    ...(mistyped.length > 0 ? [`has ${mistyped.join(', ')}`] : []),
  ];
  const fix = missing.map((k) => `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type ${TYPE_NAMES[k.type]}`);
  return `TEMPORAL_NAMESPACE: namespace ${namespace} ${parts.join(' and ')}${
    fix.length > 0 ? `; register: ${fix.join(' && ')}` : ''
  }${mistyped.length > 0 ? '; a mistyped attribute must be removed and re-created by an operator (or use another namespace)' : ''}`;
}
