/**
 * `npm run bench:signing` — what one signed Antom call costs in CPU: sign the request + verify the response
 * (RSA-2048, 1 KB body), single-threaded, i.e. per core. Next to it, measured in the same run:
 * - the floor: node:crypto with reused KeyObjects doing the same two operations on ready-made bytes;
 * - `openssl speed rsa2048` (combined rate = 1 / (1/sign + 1/verify)) when the openssl CLI is available;
 * - the cost of parsing the PEM on every call, which is why keys are loaded once into KeyObjects.
 * Rates are per second of this process's CPU time (user + system), which is what `openssl speed` reports too (it
 * divides by user CPU time unless given -elapsed): on a shared, busy machine wall-clock rates mostly measure the
 * neighbours. Wall-clock rates are printed alongside. Variants are interleaved round by round and the median is
 * reported, so background load hits all of them alike. It reports; it never fails on timing.
 */
import { sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey, loadPublicKey } from '../src/antom/keys';
import { signParts, verifyParts, type SignedParts } from '../src/antom/signing';
import { formatSignatureHeader, parseSignatureHeader } from '../src/antom/signatureHeader';

const KEYS_DIR = join(__dirname, '..', 'test', 'fixtures', 'keys');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const WARMUP_MS = 500;

// ---------- inputs: a realistic 1 KB request and a 1 KB response signed by "Antom" ----------

function bodyOfSize(bytes: number, seed: string): string {
  const head = `{"grantType":"REFRESH_TOKEN","refreshToken":"${seed}","merchantRegion":"SG","extendInfo":"`;
  const tail = '"}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

const merchantPrivatePem = readFileSync(join(KEYS_DIR, 'merchant-private.pkcs8.pem'), 'utf8');
const antomPrivatePem = readFileSync(join(KEYS_DIR, 'antom-private.pem'), 'utf8');
const antomPublicPem = readFileSync(join(KEYS_DIR, 'antom-public.pem'), 'utf8');
const merchantPrivateKey = loadPrivateKey(merchantPrivatePem);
const antomPrivateKey = loadPrivateKey(antomPrivatePem);
const antomPublicKey = loadPublicKey(antomPublicPem);

const request: SignedParts = {
  path: '/ams/api/v1/authorizations/applyToken',
  clientId: 'SANDBOX_5YBX2N2ZQWQB01234',
  time: '1735689600000',
  body: bodyOfSize(1024, 'r-20240101-000001'),
};
const response: SignedParts = {
  path: request.path,
  clientId: request.clientId,
  time: '2025-01-01T08:00:00.123+08:00',
  body: bodyOfSize(1024, 'a-20240101-000002'),
};
const responseHeader = formatSignatureHeader({ signature: signParts(antomPrivateKey, response) });
if (Buffer.byteLength(request.body) !== 1024 || Buffer.byteLength(response.body) !== 1024) throw new Error('bodies must be 1 KB');

// The baseline gets its bytes and the response's raw signature ready-made: only the two RSA operations remain.
const requestBytes = Buffer.from(`POST ${request.path}\n${request.clientId}.${request.time}.${request.body}`, 'utf8');
const responseBytes = Buffer.from(`POST ${response.path}\n${response.clientId}.${response.time}.${response.body}`, 'utf8');
const responseRawSignature = Buffer.from(decodeURIComponent(parseSignatureHeader(responseHeader)!.signature), 'base64');

// A sink the optimiser cannot see through.
let sink = 0;

/** What the transport does per call: sign + header for the request, header parse + verify for the response. */
function oursSignedCall(): void {
  const header = formatSignatureHeader({ signature: signParts(merchantPrivateKey, request) });
  const parsed = parseSignatureHeader(responseHeader);
  if (!parsed || !verifyParts(antomPublicKey, response, parsed.signature)) throw new Error('response did not verify');
  sink += header.length;
}

function baselineSignedCall(): void {
  const signature = rsaSign('sha256', requestBytes, merchantPrivateKey).toString('base64');
  if (!rsaVerify('sha256', responseBytes, antomPublicKey, responseRawSignature)) throw new Error('baseline did not verify');
  sink += signature.length;
}

const signWithKeyObject = (): void => {
  sink += rsaSign('sha256', requestBytes, merchantPrivateKey).length;
};
const signWithPemPerCall = (): void => {
  sink += rsaSign('sha256', requestBytes, merchantPrivatePem).length;
};
const verifyWithKeyObject = (): void => {
  sink += Number(rsaVerify('sha256', responseBytes, antomPublicKey, responseRawSignature));
};
const verifyWithPemPerCall = (): void => {
  sink += Number(rsaVerify('sha256', responseBytes, antomPublicPem, responseRawSignature));
};

// ---------- measurement ----------

interface Rates {
  /** Calls per second of process CPU time (user + system). */
  readonly cpu: number;
  /** Calls per second of elapsed time. */
  readonly wall: number;
}

/** Rates of `fn`, running it for about `ms` milliseconds of elapsed time. */
function measureRates(fn: () => void, ms: number): Rates {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let calls = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 8; i += 1) fn();
    calls += 8;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: (calls * 1e6) / (cpu.user + cpu.system), wall: (calls * 1000) / (now - start) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const variants = {
  ours: oursSignedCall,
  baseline: baselineSignedCall,
  signKeyObject: signWithKeyObject,
  signPem: signWithPemPerCall,
  verifyKeyObject: verifyWithKeyObject,
  verifyPem: verifyWithPemPerCall,
} as const;
type Variant = keyof typeof variants;

/** Runs all variants round-robin; `midway` runs between the middle rounds so it sees the same background load. */
function measureAll<T>(midway: () => T): { rates: Record<Variant, Rates>; midwayResult: T } {
  for (const fn of Object.values(variants)) measureRates(fn, WARMUP_MS);
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, [] as Rates[]])) as Record<Variant, Rates[]>;
  let midwayResult: T | undefined;
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round === Math.floor(ROUNDS / 2)) midwayResult = midway();
    for (const [name, fn] of Object.entries(variants) as Array<[Variant, () => void]>) {
      // Verify is ~15× faster than sign; give each variant the same time, not the same call count.
      samples[name].push(measureRates(fn, ROUND_MS));
    }
  }
  const rates = Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      { cpu: median(values.map((v) => v.cpu)), wall: median(values.map((v) => v.wall)) },
    ]),
  ) as Record<Variant, Rates>;
  return { rates, midwayResult: midwayResult ?? midway() };
}

interface OpensslSpeed {
  readonly version: string;
  readonly signPerSecond: number;
  readonly verifyPerSecond: number;
}

/**
 * `openssl speed -seconds 2 rsa2048`, parsed from its result line. Rates are the columns without an "s" suffix
 * (OpenSSL 3.0 prints sign/verify; 3.2+ adds encrypt/decrypt after them), sign/s first, verify/s second.
 */
function opensslSpeed(): OpensslSpeed | string {
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (version.status !== 0) return 'openssl CLI not available';
  const run = spawnSync('openssl', ['speed', '-seconds', '2', 'rsa2048'], { encoding: 'utf8', timeout: 60_000 });
  const line = run.stdout?.split('\n').find((l) => /^rsa\s+2048 bits?\s/.test(l));
  if (!line) return `could not parse openssl speed output (exit ${run.status})`;
  const rates = line.replace(/^rsa\s+2048 bits?/, '').trim().split(/\s+/).filter((field) => /^[\d.]+$/.test(field)).map(Number);
  if (rates.length < 2 || !rates[0] || !rates[1]) return `could not parse openssl speed line: ${line.trim()}`;
  return { version: version.stdout.trim().split(' (')[0]!, signPerSecond: rates[0], verifyPerSecond: rates[1] };
}

// ---------- report ----------

const combined = (signPerSecond: number, verifyPerSecond: number): number => 1 / (1 / signPerSecond + 1 / verifyPerSecond);
const fmtRate = (value: number, width = 9): string => Math.round(value).toLocaleString('en-US').padStart(width);
const fmtMicros = (perSecond: number): string => (1e6 / perSecond).toFixed(0).padStart(8);

function main(): void {
  const cores = availableParallelism();
  console.log('signing benchmark: sign request + verify response, RSA-2048, 1 KB bodies, one thread (= per core)');
  console.log(`node ${process.version} (OpenSSL ${process.versions.openssl}), ${cores} cores; ${ROUNDS} rounds × ${ROUND_MS} ms per variant, medians\n`);
  const loadBefore = loadavg()[0]!;
  const { rates: measured, midwayResult: openssl } = measureAll(opensslSpeed);
  const loadAfter = loadavg()[0]!;

  const rows: Array<{ label: string; cpu: number; wall?: number }> = [
    { label: 'antom-auth: signParts + header + verifyParts', ...measured.ours },
    { label: 'node:crypto, reused KeyObject (baseline)', ...measured.baseline },
  ];
  if (typeof openssl !== 'string') {
    rows.push({ label: 'openssl speed rsa2048: 1/(1/sign + 1/verify)', cpu: combined(openssl.signPerSecond, openssl.verifyPerSecond) });
  }
  console.log(`${'signed calls per second per core'.padEnd(46)} ${'CPU-time/s'.padStart(10)} ${'µs CPU'.padStart(8)} ${'wall/s'.padStart(9)}  ours ÷ this`);
  for (const row of rows) {
    const ratio = row === rows[0] ? '' : (measured.ours.cpu / row.cpu).toFixed(2);
    console.log(`${row.label.padEnd(46)} ${fmtRate(row.cpu, 10)} ${fmtMicros(row.cpu)} ${row.wall === undefined ? '        -' : fmtRate(row.wall)}  ${ratio}`);
  }
  if (typeof openssl === 'string') {
    console.log(`(${openssl}: no openssl figure)`);
  } else {
    console.log(`(${openssl.version}: sign ${fmtRate(openssl.signPerSecond).trim()}/s, verify ${fmtRate(openssl.verifyPerSecond).trim()}/s, per user-CPU second)`);
  }
  const cpuRatio = measured.ours.cpu / measured.baseline.cpu;
  const wallRatio = measured.ours.wall / measured.baseline.wall;
  console.log(`\nours ÷ node:crypto baseline: ${cpuRatio.toFixed(2)} by CPU time, ${wallRatio.toFixed(2)} by wall clock (target ≥ 0.90: ${cpuRatio >= 0.9 ? 'met' : 'NOT met in this run'})`);

  console.log('\nKeyObject reused vs PEM parsed on every call (CPU-time rates):');
  console.log(`${''.padEnd(8)} ${'KeyObject/s'.padStart(12)} ${'PEM/s'.padStart(9)}  PEM is slower by`);
  for (const [label, keyObject, pem] of [
    ['sign', measured.signKeyObject.cpu, measured.signPem.cpu],
    ['verify', measured.verifyKeyObject.cpu, measured.verifyPem.cpu],
  ] as const) {
    console.log(`${label.padEnd(8)} ${fmtRate(keyObject, 12)} ${fmtRate(pem)}  ${(keyObject / pem).toFixed(1)}×`);
  }
  const pemCall = combined(measured.signPem.cpu, measured.verifyPem.cpu);
  console.log(`a signed call parsing both PEMs per call: ${fmtRate(pemCall).trim()}/s, ${(measured.ours.cpu / pemCall).toFixed(2)}× slower than ours`);

  const busy = Math.max(loadBefore, loadAfter) > cores * 0.75;
  console.log(`\nload average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cores} cores${busy ? ' (busy machine: trust the CPU-time columns and the ratios, not wall clock)' : ''}`);
  if (sink === -1) console.log(sink);
}

main();
