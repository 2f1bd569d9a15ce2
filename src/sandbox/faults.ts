/**
 * Scripted bad days. A fault script matches calls to one endpoint (or all), lets `skipCalls` of them through, then
 * affects the next `times` calls: answer with a given result code, process but drop the connection, delay, answer
 * HTTP 5xx, answer malformed JSON, or answer unsigned / wrongly signed. A rate limit answers
 * REQUEST_TRAFFIC_EXCEED_LIMIT (U) above N requests per second.
 */
import type { Platform } from '../antom/endpoints';

export type SandboxEndpoint = 'consult' | 'applyToken' | 'revoke' | 'prepare' | 'cancelToken';

export type FaultEffect =
  /** Answer with this result instead of the real one; `process: true` also performs the operation (a lie after the fact). */
  | { readonly type: 'result'; readonly resultStatus: 'S' | 'F' | 'U'; readonly resultCode: string; readonly resultMessage?: string; readonly process?: boolean }
  /** Destroy the connection without an answer; by default after processing (the worst case: it happened, nobody heard). */
  | { readonly type: 'drop'; readonly process?: boolean }
  /** Answer with an HTTP error status (default 503) and a non-Antom body; by default without processing. */
  | { readonly type: 'httpError'; readonly status?: number; readonly process?: boolean }
  /** Answer HTTP 200 with a body that is not JSON (signed over those bytes, so only parsing fails). */
  | { readonly type: 'malformedJson'; readonly process?: boolean }
  /** Process normally but leave the signature header out. */
  | { readonly type: 'unsigned' }
  /** Process normally but sign with a key that is not the sandbox's. */
  | { readonly type: 'wrongSignature' };

export interface FaultScript {
  /** Which endpoint; omitted = every endpoint. */
  readonly endpoint?: SandboxEndpoint;
  /** Which platform; omitted = both. */
  readonly platform?: Platform;
  /** Matching calls to let through unaffected first. Default 0. */
  readonly skipCalls?: number;
  /** How many matching calls to affect after that. Default 1; `Infinity` for all. */
  readonly times?: number;
  /** Real milliseconds to wait before answering (the answer itself is normal unless `effect` says otherwise). */
  readonly delayMs?: number;
  readonly effect?: FaultEffect;
}

export interface RateLimit {
  /** Which endpoint; omitted = all together. */
  readonly endpoint?: SandboxEndpoint;
  readonly requestsPerSecond: number;
}

/** What the server must do for one call. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly effect: FaultEffect | undefined;
  readonly rateLimited: boolean;
}

interface ActiveScript {
  readonly id: number;
  readonly script: FaultScript;
  seen: number;
  applied: number;
}

export interface FaultScriptView extends FaultScript {
  readonly id: number;
  readonly seen: number;
  readonly applied: number;
}

const WINDOW_MS = 1_000;

export class FaultBook {
  private scripts: ActiveScript[] = [];
  private nextId = 1;
  private rateLimits: RateLimit[] = [];
  /** Arrival times (monotonic ms) per rate-limit bucket within the last second. */
  private readonly arrivals = new Map<string, number[]>();

  constructor(private readonly monotonicNow: () => number = () => performance.now()) {}

  add(script: FaultScript): number {
    const times = script.times ?? 1;
    if (!(times > 0)) throw new RangeError('times must be positive');
    if ((script.skipCalls ?? 0) < 0) throw new RangeError('skipCalls must not be negative');
    if (script.delayMs !== undefined && !(script.delayMs >= 0)) throw new RangeError('delayMs must not be negative');
    if (script.delayMs === undefined && script.effect === undefined) throw new TypeError('a fault needs delayMs or an effect');
    const id = this.nextId++;
    this.scripts.push({ id, script, seen: 0, applied: 0 });
    return id;
  }

  remove(id: number): boolean {
    const before = this.scripts.length;
    this.scripts = this.scripts.filter((s) => s.id !== id);
    return this.scripts.length !== before;
  }

  /** Sets the limit for `limit.endpoint` (or all endpoints together), replacing the previous one; undefined lifts all limits. */
  setRateLimit(limit: RateLimit | undefined): void {
    if (limit === undefined) {
      this.rateLimits = [];
    } else {
      if (!(limit.requestsPerSecond >= 0)) throw new RangeError('requestsPerSecond must not be negative');
      this.rateLimits = [...this.rateLimits.filter((l) => l.endpoint !== limit.endpoint), limit];
    }
    this.arrivals.clear();
  }

  clear(): void {
    this.scripts = [];
    this.rateLimits = [];
    this.arrivals.clear();
  }

  list(): FaultScriptView[] {
    return this.scripts.map((s) => ({ ...s.script, id: s.id, seen: s.seen, applied: s.applied }));
  }

  listRateLimits(): RateLimit[] {
    return [...this.rateLimits];
  }

  /** Called once per routed API call; counts it against every matching script and rate limit. */
  decide(platform: Platform, endpoint: SandboxEndpoint): FaultDecision {
    const rateLimited = this.countArrival(endpoint);
    let chosen: ActiveScript | undefined;
    for (const active of this.scripts) {
      const { script } = active;
      if (script.endpoint !== undefined && script.endpoint !== endpoint) continue;
      if (script.platform !== undefined && script.platform !== platform) continue;
      active.seen += 1;
      if (chosen !== undefined) continue;
      if (active.seen <= (script.skipCalls ?? 0)) continue;
      if (active.applied >= (script.times ?? 1)) continue;
      active.applied += 1;
      chosen = active;
    }
    // Spent scripts are dropped so the list shows what is still armed.
    this.scripts = this.scripts.filter((s) => s.applied < (s.script.times ?? 1));
    return { delayMs: chosen?.script.delayMs ?? 0, effect: chosen?.script.effect, rateLimited };
  }

  private countArrival(endpoint: SandboxEndpoint): boolean {
    let limited = false;
    const now = this.monotonicNow();
    for (const limit of this.rateLimits) {
      if (limit.endpoint !== undefined && limit.endpoint !== endpoint) continue;
      const key = limit.endpoint ?? '*';
      const recent = (this.arrivals.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
      if (recent.length >= limit.requestsPerSecond) limited = true;
      else recent.push(now);
      this.arrivals.set(key, recent);
    }
    return limited;
  }
}
