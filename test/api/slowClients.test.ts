/**
 * Slow and flooding clients against a real listening server (issue 14 #4): a slow-loris trickling headers or a body to
 * the unauthenticated notification endpoint is cut off by the headers / request timeout instead of holding a socket
 * open for minutes, and requests without an API key are capped in flight (503 + Retry-After) while the backend's keyed
 * requests still get through.
 */
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { API_KEY, startApiHarness, type ApiHarness } from './apiHarness';

const LIMITS = { headersTimeoutMs: 500, requestTimeoutMs: 1500, maxUnauthenticatedRequests: 2 };

async function listening(h: ApiHarness): Promise<number> {
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return (h.app.server.address() as { port: number }).port;
}

interface SlowClient {
  readonly socket: Socket;
  /** Everything the server sent back. */
  received(): string;
  /** Resolves with the milliseconds from connect until the server closed the connection. */
  readonly closed: Promise<number>;
  stop(): void;
}

/** Sends `head` at once, then one byte of `trickle` every `everyMs` until the server closes the connection. */
function slowClient(port: number, head: string, trickle: string, everyMs: number): SlowClient {
  const socket = connect(port, '127.0.0.1');
  const started = Date.now();
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => { clearInterval(timer); resolve(Date.now() - started); }));
  socket.on('connect', () => {
    socket.write(head);
    let i = 0;
    timer = setInterval(() => { if (!socket.destroyed) socket.write(trickle[i++ % trickle.length]!); }, everyMs);
  });
  return { socket, received: () => text, closed, stop: () => { clearInterval(timer); socket.destroy(); } };
}

const within = (promise: Promise<number>, ms: number) =>
  Promise.race([promise, new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), ms))]);

test('slow-loris headers: a client trickling header bytes is disconnected after the headers timeout', async (t) => {
  const h = await startApiHarness(t, { settings: { limits: LIMITS }, logLevel: 'silent' });
  const port = await listening(h);
  const client = slowClient(port, 'POST /notifications/antom HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: aaaaaaaaaaaaaaaa\r\n', 100);
  t.teardown(() => client.stop());
  const elapsed = await within(client.closed, 10_000);
  t.true(elapsed < 5_000, `closed after ${elapsed} ms`);
  t.regex(client.received(), /^(HTTP\/1\.1 408|$)/, 'a 408 or a bare close, never a handled request');
});

test('slow-loris body: a partial notification body is answered 408 and closed after the request timeout, and releases its slot', async (t) => {
  const h = await startApiHarness(t, { settings: { limits: LIMITS }, logLevel: 'silent' });
  const port = await listening(h);
  const head = 'POST /notifications/antom HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"a":"';
  const client = slowClient(port, head, 'x', 100);
  t.teardown(() => client.stop());
  const elapsed = await within(client.closed, 10_000);
  t.true(elapsed < 5_000, `closed after ${elapsed} ms (before: open until the client gave up)`);
  t.regex(client.received(), /^HTTP\/1\.1 408/);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.is(health.status, 200, 'the slot is free again');
  t.deepEqual(h.operations.calls, [], 'nothing was delivered from a partial body');
});

test('requests without an API key are capped in flight (503 + Retry-After); keyed requests still pass', async (t) => {
  const h = await startApiHarness(t, { settings: { limits: { ...LIMITS, requestTimeoutMs: 3000 } }, logLevel: 'silent' });
  const port = await listening(h);
  const head = 'POST /notifications/antom HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{';
  const holders = [slowClient(port, head, ' ', 100), slowClient(port, head, ' ', 100)];
  t.teardown(() => holders.forEach((c) => c.stop()));
  await new Promise((resolve) => setTimeout(resolve, 300));

  const refused = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.is(refused.status, 503);
  t.is(refused.headers.get('retry-after'), '1');
  t.is(((await refused.json()) as { error: { code: string } }).error.code, 'busy');
  const forged = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: 'Bearer not-a-configured-key-000000' } });
  t.is(forged.status, 503, 'a made-up key does not skip the cap');

  const backend = await fetch(`http://127.0.0.1:${port}/authorizations/GCASH/cap-1`, { headers: { authorization: `Bearer ${API_KEY}` } });
  t.is(backend.status, 404, 'the backend is served (no such authorization) while the cap is full');

  await Promise.all(holders.map((c) => within(c.closed, 10_000)));
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'slots free once the slow requests timed out');
});
