/**
 * The sandbox's notion of "now". It reads a source clock (the machine's, or a virtual clock shared with the offline
 * workflow test environment) and adds an offset that the admin API can advance, so years of token life pass in a
 * test without waiting.
 */

export interface TimeSource {
  now(): number;
}

export const systemTimeSource: TimeSource = { now: () => Date.now() };

export class SandboxClock {
  private offsetMs = 0;

  constructor(private readonly source: TimeSource = systemTimeSource) {}

  /** Sandbox time in epoch milliseconds: source time plus everything advanced so far. */
  now(): number {
    return this.source.now() + this.offsetMs;
  }

  /**
   * Source time without the admin offset. Request-time freshness is checked against this: a client keeps sending
   * its own wall (or virtual) time while the sandbox's calendar is advanced for token expiry.
   */
  sourceNow(): number {
    return this.source.now();
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('clock can only be advanced by a finite, non-negative amount');
    this.offsetMs += ms;
    return this.now();
  }

  /** Jumps to an absolute sandbox time; moving backwards is refused because issued expiries would stop making sense. */
  set(epochMs: number): number {
    const delta = epochMs - this.now();
    if (!Number.isFinite(delta) || delta < 0) throw new RangeError('clock cannot be moved backwards');
    this.offsetMs += delta;
    return this.now();
  }

  offset(): number {
    return this.offsetMs;
  }

  resetOffset(): void {
    this.offsetMs = 0;
  }
}
