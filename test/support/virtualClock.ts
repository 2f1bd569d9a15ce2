/**
 * Virtual time: a clock that only moves when told, and the queue of things due at given virtual instants (workflow
 * timers, activity retries and timeouts). Entries due at the same instant fire together, in scheduling order, so
 * that e.g. two timers ending at the same time reach the workflow in one workflow task, as on a server.
 */
interface DueEntry {
  atMs: number;
  order: number;
  label: string;
  action: () => void;
  cancelled: boolean;
}

export class VirtualClock {
  private entries: DueEntry[] = [];
  private nextOrder = 0;

  constructor(private current: number) {}

  get nowMs(): number {
    return this.current;
  }

  /** Schedule `action` at virtual time `atMs`; returns a function that cancels it. */
  at(atMs: number, label: string, action: () => void): () => void {
    const entry: DueEntry = { atMs: Math.max(atMs, this.current), order: this.nextOrder++, label, action, cancelled: false };
    // Binary search keeps the queue ordered by (time, scheduling order).
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.entries[mid] as DueEntry;
      if (other.atMs < entry.atMs || (other.atMs === entry.atMs && other.order < entry.order)) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Virtual time of the earliest pending entry. */
  peek(): number | undefined {
    while (this.entries.length > 0 && (this.entries[0] as DueEntry).cancelled) this.entries.shift();
    return this.entries[0]?.atMs;
  }

  /** Pending entries, earliest first (for diagnostics). */
  pending(): Array<{ atMs: number; label: string }> {
    return this.entries.filter((e) => !e.cancelled).map(({ atMs, label }) => ({ atMs, label }));
  }

  /** Move to the earliest pending instant and run every entry due then. */
  fireNext(): void {
    const atMs = this.peek();
    if (atMs === undefined) return;
    this.current = Math.max(this.current, atMs);
    while (this.entries.length > 0 && (this.entries[0] as DueEntry).atMs <= this.current) {
      const entry = this.entries.shift() as DueEntry;
      if (!entry.cancelled) entry.action();
    }
  }

  /** Move forward (never backward) without running anything; callers fire due entries first. */
  advanceTo(ms: number): void {
    if (ms > this.current) this.current = ms;
  }
}
