/**
 * The customers the development demo itself linked, so its key-less API (demoRoutes.ts) reads, shows QR codes for and
 * cancels only those — never a real customer's authorization, and never hands out another customer's authState.
 * Kept in this process's memory: a restarted demo starts with none (link again), and a bounded number so a flood of
 * links cannot grow it without limit (the oldest is forgotten first).
 */
export const MAX_DEMO_CUSTOMERS = 10_000;

export class DemoCustomers {
  readonly #linked = new Set<string>();

  constructor(private readonly limit = MAX_DEMO_CUSTOMERS) {}

  static #key(wallet: string, customerId: string): string {
    return JSON.stringify([wallet, customerId]);
  }

  add(wallet: string, customerId: string): void {
    const key = DemoCustomers.#key(wallet, customerId);
    this.#linked.delete(key);
    this.#linked.add(key);
    while (this.#linked.size > this.limit) this.#linked.delete(this.#linked.values().next().value!);
  }

  has(wallet: string, customerId: string): boolean {
    return this.#linked.has(DemoCustomers.#key(wallet, customerId));
  }
}
