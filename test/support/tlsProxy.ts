// TLS in front of the Temporal dev server, which serves only plaintext gRPC (`temporal server start-dev` has no TLS
// flags). Two kinds, both real TLS on loopback:
//   startTlsTerminator   — TCP level: decrypts and pipes bytes to the server, so gRPC's HTTP/2 passes untouched (the
//                          worker's long polls too). With clientCa it requires a client certificate (mTLS).
//   startRecordingH2Proxy — HTTP/2 level: forwards each gRPC call and records its request headers, so a test can see
//                          what a client sent (the API key's authorization header) while the real server answers.
import { connect as connectHttp2, constants, createSecureServer, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

export interface RunningProxy {
  /** host:port to dial (127.0.0.1). */
  readonly address: string;
  close(): Promise<void>;
}

export interface TlsTerminator extends RunningProxy {
  /** Handshakes that failed, with the reason (e.g. a client without a certificate under mTLS). */
  readonly rejected: string[];
  /** Connections that completed the handshake, with the client certificate's CN when one was presented. */
  readonly accepted: { clientCertificateCn?: string }[];
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export async function startTlsTerminator(options: { target: string; cert: Buffer; key: Buffer; clientCa?: Buffer }): Promise<TlsTerminator> {
  const target = splitAddress(options.target);
  const rejected: string[] = [];
  const accepted: { clientCertificateCn?: string }[] = [];
  const open = new Set<Socket>();
  const server = createTlsServer(
    {
      cert: options.cert,
      key: options.key,
      ALPNProtocols: ['h2'],
      ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (socket: TLSSocket) => {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      accepted.push(typeof cn === 'string' ? { clientCertificateCn: cn } : {});
      const upstream = connectTcp(target.port, target.host);
      open.add(socket).add(upstream);
      for (const side of [socket, upstream]) side.once('close', () => open.delete(side));
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  server.on('tlsClientError', (error: Error) => rejected.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    rejected,
    accepted,
    close: () => new Promise((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface RecordingH2Proxy extends RunningProxy {
  /** Request headers of every call forwarded, in arrival order. */
  readonly calls: IncomingHttpHeaders[];
}

const HOP_BY_HOP = new Set([':authority', ':scheme', 'connection', 'keep-alive', 'transfer-encoding']);

export async function startRecordingH2Proxy(options: { target: string; cert: Buffer; key: Buffer }): Promise<RecordingH2Proxy> {
  const calls: IncomingHttpHeaders[] = [];
  let upstream: ClientHttp2Session | undefined;
  const session = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = connectHttp2(`http://${options.target}`);
      upstream.on('error', () => undefined);
    }
    return upstream;
  };
  const server = createSecureServer({ cert: options.cert, key: options.key });
  server.on('stream', (stream, headers) => {
    calls.push(headers);
    const forwarded: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) forwarded[name] = value;
    const call = session().request(forwarded);
    let trailers: OutgoingHttpHeaders = {};
    call.on('response', (response) => {
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(response)) if (!HOP_BY_HOP.has(name)) out[name] = value;
      stream.respond(out, { waitForTrailers: true });
    });
    call.on('trailers', (received) => {
      trailers = { ...received };
    });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    call.on('data', (chunk: Buffer) => stream.write(chunk));
    call.on('end', () => stream.end());
    call.on('error', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('data', (chunk: Buffer) => call.write(chunk));
    stream.on('end', () => call.end());
    stream.on('error', () => call.close(constants.NGHTTP2_CANCEL));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => {
      upstream?.destroy();
      server.close(() => resolve());
      // Open client sessions keep close() waiting; the SDK's connections are closed by the test first.
      setTimeout(resolve, 2_000).unref();
    }),
  };
}
