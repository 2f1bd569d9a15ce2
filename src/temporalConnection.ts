/**
 * How every process reaches Temporal — worker, API, client library, `npm start` and the CLI alike: TEMPORAL_ADDRESS
 * plus, for Temporal Cloud or a secured self-hosted cluster, TLS (a CA to trust, a client certificate for mTLS, a
 * server name to verify) and/or an API key. One function turns the configuration into the material, read and checked
 * once; two thin adapters hand it to the client's `Connection` and the worker's `NativeConnection`, which take the
 * same fields.
 *
 * Errors name the variable and the file's path, never a key's or certificate's contents, and never the API key.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { ConnectionOptions, TLSConfig } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** TEMPORAL_TLS* as configured (paths, not contents); see config.ts for the rules between them. */
export interface TemporalTlsSettings {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
}

export interface TemporalConnectionSettings {
  readonly address?: string;
  /** Absent: plaintext (the dev server, docker-compose); present: TLS, with the system CAs when caFile is absent. */
  readonly tls?: TemporalTlsSettings;
  readonly apiKey?: string;
}

/** What both connection kinds take: the address, the TLS material (read) and the API key. */
export interface TemporalConnectionMaterial {
  readonly address: string;
  readonly tls: false | TLSConfig;
  readonly apiKey?: string;
}

export class TemporalConnectionConfigError extends Error {
  override readonly name = 'TemporalConnectionConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

function readFile(variable: string, path: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    problems.push(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function certificate(variable: string, path: string, pem: Buffer, problems: string[]): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    problems.push(`${variable}: ${path} is not a PEM certificate`);
    return undefined;
  }
}

/**
 * Reads and checks the TLS files: each readable and of the right kind, the client certificate current and matching its
 * key. `address` overrides the configured one (the embedded dev server's). Throws TemporalConnectionConfigError with
 * every problem at once.
 */
export function loadTemporalConnection(settings: TemporalConnectionSettings, address: string | undefined = settings.address, now: Date = new Date()): TemporalConnectionMaterial {
  if (!address) throw new TemporalConnectionConfigError(['TEMPORAL_ADDRESS: not set (host:port of the Temporal frontend)']);
  const apiKey = settings.apiKey ? { apiKey: settings.apiKey } : {};
  if (!settings.tls) return { address, tls: false, ...apiKey };
  const { caFile, certFile, keyFile, serverName } = settings.tls;
  const problems: string[] = [];
  const tls: { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } } = {};
  if (serverName) tls.serverNameOverride = serverName;
  if (caFile) {
    const ca = readFile('TEMPORAL_TLS_CA_FILE', caFile, problems);
    if (ca && certificate('TEMPORAL_TLS_CA_FILE', caFile, ca, problems)) tls.serverRootCACertificate = ca;
  }
  if (certFile && keyFile) {
    const crt = readFile('TEMPORAL_TLS_CERT_FILE', certFile, problems);
    const key = readFile('TEMPORAL_TLS_KEY_FILE', keyFile, problems);
    const cert = crt && certificate('TEMPORAL_TLS_CERT_FILE', certFile, crt, problems);
    let privateKey: KeyObject | undefined;
    if (key) {
      try {
        privateKey = createPrivateKey(key);
      } catch {
        problems.push(`TEMPORAL_TLS_KEY_FILE: ${keyFile} is not a PEM private key (or is encrypted)`);
      }
    }
    if (cert && privateKey && !cert.checkPrivateKey(privateKey)) {
      problems.push(`TEMPORAL_TLS_CERT_FILE / TEMPORAL_TLS_KEY_FILE: the certificate ${certFile} is not for the key ${keyFile}`);
    }
    if (cert && Date.parse(cert.validTo) < now.getTime()) problems.push(`TEMPORAL_TLS_CERT_FILE: ${certFile} expired on ${new Date(cert.validTo).toISOString()}`);
    if (cert && Date.parse(cert.validFrom) > now.getTime()) problems.push(`TEMPORAL_TLS_CERT_FILE: ${certFile} is not valid before ${new Date(cert.validFrom).toISOString()}`);
    if (crt && key) tls.clientCertPair = { crt, key };
  }
  if (problems.length > 0) throw new TemporalConnectionConfigError(problems);
  return { address, tls, ...apiKey };
}

/** For `Connection.connect` (@temporalio/client): the API, the client library, the CLI, `npm start`'s client. */
export function clientConnectionOptions(material: TemporalConnectionMaterial): ConnectionOptions {
  // tls: false is explicit: the SDK turns TLS on whenever an API key is given unless told otherwise.
  return { address: material.address, tls: material.tls, ...(material.apiKey ? { apiKey: material.apiKey } : {}) };
}

/** For `NativeConnection.connect` (@temporalio/worker): the worker. */
export function nativeConnectionOptions(material: TemporalConnectionMaterial): NativeConnectionOptions {
  return { address: material.address, tls: material.tls, ...(material.apiKey ? { apiKey: material.apiKey } : {}) };
}

/** For logs and start-up banners: how the connection is secured, naming no secret. */
export function describeTemporalConnection(settings: Pick<TemporalConnectionSettings, 'tls' | 'apiKey'>): string {
  const parts: string[] = [];
  if (!settings.tls) parts.push('plaintext');
  else {
    parts.push(settings.tls.caFile ? 'TLS (CA from TEMPORAL_TLS_CA_FILE)' : 'TLS (system CAs)');
    if (settings.tls.certFile) parts.push('mTLS client certificate');
    if (settings.tls.serverName) parts.push(`server name ${settings.tls.serverName}`);
  }
  if (settings.apiKey) parts.push('API key');
  return parts.join(', ');
}
