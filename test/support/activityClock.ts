/**
 * Makes `Date.now()` inside activities run by the offline environment follow virtual time, as the issue requires
 * of "activity contexts". Only code running within such an activity (tracked with AsyncLocalStorage) sees it; all
 * other code keeps the real clock. Inside an attempt, time starts at the virtual instant the attempt started and
 * flows at real speed, so polling loops and elapsed-time measurements still work. `new Date()` without arguments is
 * not affected (write `new Date(Date.now())`, or inject a clock such as `() => env.now()`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const realNow = Date.now.bind(Date);
const virtualNow = new AsyncLocalStorage<() => number>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  Date.now = () => {
    const now = virtualNow.getStore();
    return now ? now() : realNow();
  };
}

/** Run `fn` (an activity attempt) with `Date.now()` starting at `virtualStartMs`. */
export function runWithVirtualDateNow<T>(virtualStartMs: number, fn: () => Promise<T>): Promise<T> {
  install();
  const realStart = realNow();
  return virtualNow.run(() => virtualStartMs + (realNow() - realStart), fn);
}

/** Run `fn` outside any activity's virtual clock (the environment's own scheduling must use real time). */
export function outsideVirtualDateNow<T>(fn: () => T): T {
  return virtualNow.exit(fn);
}
