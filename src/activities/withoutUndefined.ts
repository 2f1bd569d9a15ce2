/**
 * Drops keys whose value is undefined. Antom wants optional fields omitted (never null or ""), and Temporal
 * payloads and the applyToken journal digest must not depend on whether a key was absent or undefined.
 */
export function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
