/**
 * One HTTP/1.1 exchange written byte for byte on a TCP socket: the request target may be in absolute form
 * (`POST https://host/ams/... HTTP/1.1`, as Antom's Python SDK sends it), and the answer's header names are read with
 * their case as sent (the Python SDK matches them case-sensitively). Requests are signed like the official SDKs sign:
 * over the path alone.
 */
import { connect } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { signParts } from '../../src/antom/signing';

export interface RawExchange {
  readonly status: number;
  /** Header lines as received: [name with its case, value]. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
  /** Lowercased names → value, for lookups. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawRequestOptions {
  readonly origin: string;
  /** What goes between the method and HTTP/1.1: a path, or an absolute URL. */
  readonly target: string;
  readonly method?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function rawExchange(options: RawRequestOptions): Promise<RawExchange> {
  const { hostname, port } = new URL(options.origin);
  const body = Buffer.from(options.body, 'utf8');
  const head = [
    `${options.method ?? 'POST'} ${options.target} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: close',
    `Content-Length: ${body.length}`,
    ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body])));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`not an HTTP answer: ${text.slice(0, 80)}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const rawHeaders = lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).trim()] as const;
      });
      const headers = Object.fromEntries(rawHeaders.map(([name, value]) => [name.toLowerCase(), value]));
      const payload = Buffer.concat(chunks).subarray(Buffer.byteLength(text.slice(0, split + 4), 'utf8'));
      resolve({
        status: Number(statusLine.split(' ')[1]),
        rawHeaders,
        headers,
        body: (headers['transfer-encoding'] === 'chunked' ? dechunk(payload) : payload).toString('utf8'),
      });
    });
  });
}

/** Undoes `Transfer-Encoding: chunked` (no trailers expected). */
function dechunk(payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = payload.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(payload.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(payload.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Headers for a request signed over `path` the way the official SDKs do (no Content-Type unless given). */
export function signedHeaders(key: KeyObject, options: { path: string; clientId: string; body: string; time?: string; signatureOrder?: 'sdk' | 'reversed' }): Record<string, string> {
  const time = options.time ?? String(Date.now());
  const value = signParts(key, { path: options.path, clientId: options.clientId, time, body: options.body });
  const signature = options.signatureOrder === 'reversed' ? `signature=${value}, keyVersion=1, algorithm=RSA256` : `algorithm=RSA256,keyVersion=1,signature=${value}`;
  return { 'client-id': options.clientId, 'request-time': time, signature };
}
