/**
 * A minimal fake Antom gateway on loopback for transport/client tests: records every request, checks its signature
 * with node:crypto directly (independently of src/antom/signing.ts), and lets each test script the reply.
 * Response signing is also done with node:crypto directly, so a bug in our signing code cannot hide itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sign, verify, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawBody: string;
  /** Whether `signature` verifies over `POST <path>\n<client-id>.<request-time>.<raw body>` with the merchant key. */
  readonly signatureValid: boolean;
}

export type Responder = (request: ReceivedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeAntom {
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  /** Replaces the reply script for subsequent requests. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export interface SignedReplyOptions {
  readonly status?: number;
  /** Signs with this key instead of the configured Antom key. */
  readonly key?: KeyObject;
  readonly clientId?: string;
  readonly responseTime?: string;
  /** Omit the signature header entirely. */
  readonly unsigned?: boolean;
  /** Sign `body`, but send this instead (a tampered body). */
  readonly sendInstead?: string;
  readonly headers?: Record<string, string>;
}

export const rsaSignForTest = (key: KeyObject, path: string, clientId: string, time: string, body: string): string =>
  encodeURIComponent(sign('sha256', Buffer.from(`POST ${path}\n${clientId}.${time}.${body}`, 'utf8'), key).toString('base64'));

function checkSignature(merchantPublicKey: KeyObject, path: string, headers: IncomingMessage['headers'], rawBody: string): boolean {
  const header = headers.signature;
  const clientId = headers['client-id'];
  const time = headers['request-time'];
  if (typeof header !== 'string' || typeof clientId !== 'string' || typeof time !== 'string') return false;
  const match = /signature=(.+)$/.exec(header);
  if (!match?.[1]) return false;
  const signature = Buffer.from(decodeURIComponent(match[1]), 'base64');
  return verify('sha256', Buffer.from(`POST ${path}\n${clientId}.${time}.${rawBody}`, 'utf8'), merchantPublicKey, signature);
}

export async function startFakeAntom(options: {
  readonly merchantPublicKey: KeyObject;
  readonly antomPrivateKey: KeyObject;
  readonly clientId: string;
}): Promise<FakeAntom & { reply(res: ServerResponse, path: string, body: unknown, reply?: SignedReplyOptions): void }> {
  const requests: ReceivedRequest[] = [];
  let responder: Responder = (_request, res) => {
    res.statusCode = 500;
    res.end();
  };

  const reply = (res: ServerResponse, path: string, body: unknown, replyOptions: SignedReplyOptions = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const responseTime = replyOptions.responseTime ?? '2024-05-01T12:00:00+08:00';
    const clientId = replyOptions.clientId ?? options.clientId;
    res.statusCode = replyOptions.status ?? 200;
    res.setHeader('content-type', 'application/json; charset=UTF-8');
    res.setHeader('client-id', clientId);
    res.setHeader('response-time', responseTime);
    if (!replyOptions.unsigned) {
      const value = rsaSignForTest(replyOptions.key ?? options.antomPrivateKey, path, clientId, responseTime, text);
      res.setHeader('signature', `algorithm=RSA256, keyVersion=1, signature=${value}`);
    }
    for (const [name, value] of Object.entries(replyOptions.headers ?? {})) res.setHeader(name, value);
    res.end(replyOptions.sendInstead ?? text);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        rawBody,
        signatureValid: checkSignature(options.merchantPublicKey, path, req.headers, rawBody),
      };
      requests.push(request);
      Promise.resolve(responder(request, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    reply,
    respondWith(next) {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
