/**
 * `npm run bench:sandbox` — applyToken round trips per second with the real AntomClient against the sandbox on
 * loopback, next to raw undici POSTs of the same request/response sizes to a trivial node:http server in the same
 * process and run. Prints the ratio and the share of a round trip spent on RSA (the client signs the request and
 * verifies the response; the sandbox verifies the request and signs the response: 2 signs + 2 verifies per call).
 *
 * Each variant runs at concurrency 1 (latency-bound) and 16 (throughput-bound); variants are interleaved round by
 * round and the median round is reported, so background load hits all alike. It reports; it never fails on timing.
 * Everything (client, sandbox, baseline server) shares one Node process and core, as a developer's test run does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { Pool } from 'undici';
import { AntomClient } from '../src/antom/client';
import { signParts, verifyParts, type SignedParts } from '../src/antom/signing';
import { startSandbox } from '../src/sandbox';
import { antomKeys, merchantKeys } from '../test/support/fixtureKeys';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1_000);
const CONCURRENCIES = [1, 16];
const CLIENT_ID = 'SANDBOX_BENCH_MERCHANT';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Runs `call` with `concurrency` in flight for `ms`; returns completed calls per second. */
async function rate(call: () => Promise<unknown>, concurrency: number, ms: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await call();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** RSA operations per second on ready-made inputs (the same keys and sizes as a round trip). */
function cryptoRate(op: () => unknown, ms = 400): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    op();
    n += 1;
  }
  return n / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    privateKey: antomKeys.privateKey,
    merchants: [{ clientId: CLIENT_ID, publicKey: merchantKeys.publicKey }],
  });
  const client = new AntomClient({
    clientId: CLIENT_ID,
    privateKey: merchantKeys.privateKey,
    antomPublicKey: sandbox.publicKey,
    baseUrl: sandbox.url,
    connections: 32,
  });

  // One authorization on a non-rotating wallet (TNG): each refresh is a full applyToken that issues a new token.
  const authState = `bench-${Date.now()}`;
  await client.consult({ customerBelongsTo: 'TNG', authRedirectUrl: 'https://merchant.example/return', scopes: ['AGREEMENT_PAY'], authState, terminalType: 'WEB' });
  const { authCode } = sandbox.admin.approve({ authState });
  const first = await client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'TNG', authCode });
  const refreshRequest = { grantType: 'REFRESH_TOKEN' as const, customerBelongsTo: 'TNG', refreshToken: first.refreshToken ?? '' };
  const applyToken = () => client.applyToken(refreshRequest);

  // Same sizes for the baseline: the request body the client sends, and a response body like the sandbox's.
  const requestBody = JSON.stringify(refreshRequest);
  const sample = await applyToken();
  const responseBody = JSON.stringify({
    result: sample.result,
    accessToken: sample.accessToken,
    accessTokenExpiryTime: sample.accessTokenExpiryTime.iso,
    refreshToken: sample.refreshToken,
    refreshTokenExpiryTime: sample.refreshTokenExpiryTime?.iso,
    userLoginId: sample.userLoginId,
  });
  const trivial = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(responseBody));
  });
  await new Promise<void>((resolve) => trivial.listen(0, '127.0.0.1', resolve));
  const pool = new Pool(`http://127.0.0.1:${(trivial.address() as AddressInfo).port}`, { connections: 32 });
  const rawPost = async () => {
    const response = await pool.request({
      method: 'POST',
      path: '/ams/api/v1/authorizations/applyToken',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: requestBody,
    });
    await response.body.text();
  };

  // Warm-up.
  await rate(applyToken, 4, 500);
  await rate(rawPost, 4, 300);

  const results = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const concurrency of CONCURRENCIES) {
      for (const [name, call] of [['client+sandbox', applyToken], ['raw undici', rawPost]] as const) {
        const key = `${name}@${concurrency}`;
        results.set(key, [...(results.get(key) ?? []), await rate(call, concurrency, ROUND_MS)]);
      }
    }
  }

  // RSA cost per round trip on the same keys and body sizes.
  const requestParts: SignedParts = { path: '/ams/sandbox/api/v1/authorizations/applyToken', clientId: CLIENT_ID, time: String(Date.now()), body: requestBody };
  const responseParts: SignedParts = { ...requestParts, time: '2030-01-01T08:00:00+08:00', body: responseBody };
  const responseSignature = signParts(antomKeys.privateKey, responseParts);
  const signRate = cryptoRate(() => signParts(merchantKeys.privateKey, requestParts));
  const verifyRate = cryptoRate(() => verifyParts(antomKeys.publicKey, responseParts, responseSignature));
  const rsaMsPerRoundTrip = 2 * (1000 / signRate) + 2 * (1000 / verifyRate);

  console.log(`bench:sandbox — applyToken (REFRESH_TOKEN, TNG) over loopback, ${ROUNDS} rounds × ${ROUND_MS} ms, median`);
  console.log(`node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`request body ${Buffer.byteLength(requestBody)} B, response body ${Buffer.byteLength(responseBody)} B; client, sandbox and baseline server share one process`);
  console.log('');
  console.log('concurrency  client+sandbox rt/s  raw undici rt/s  ratio (raw/client)  RSA share of a round trip');
  for (const concurrency of CONCURRENCIES) {
    const sandboxRate = median(results.get(`client+sandbox@${concurrency}`) ?? []);
    const rawRate = median(results.get(`raw undici@${concurrency}`) ?? []);
    const roundTripMs = 1000 / sandboxRate;
    // At concurrency 1, a round trip's wall time; above, the process is CPU-bound, so 1/rate is CPU per call.
    const rsaShare = (concurrency === 1 ? rsaMsPerRoundTrip / roundTripMs : rsaMsPerRoundTrip * sandboxRate / 1000) * 100;
    console.log(
      `${String(concurrency).padStart(11)}  ${sandboxRate.toFixed(0).padStart(19)}  ${rawRate.toFixed(0).padStart(15)}  ${(rawRate / sandboxRate).toFixed(1).padStart(17)}×  ${rsaShare.toFixed(0).padStart(24)}%`,
    );
  }
  console.log('');
  console.log(`RSA-2048 on this machine: sign ${signRate.toFixed(0)}/s, verify ${verifyRate.toFixed(0)}/s → ${rsaMsPerRoundTrip.toFixed(2)} ms of RSA per round trip (2 signs + 2 verifies)`);

  await pool.close();
  await new Promise<void>((resolve) => trivial.close(() => resolve()));
  await client.close();
  await sandbox.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
