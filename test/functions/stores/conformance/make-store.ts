/**
 * What every conformance suite takes: a factory for a fresh, empty store (called once per test).
 * The suites import only vitest and the store interfaces (no node:*), so the same suites run on
 * memory and SQLite under Node and on D1 / Durable Objects inside workerd.
 */
export type MakeStore<T> = () => T | Promise<T>;

/** Every promise's outcome, in order, without failing fast (races must all finish before checking). */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<{ values: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    values: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
  };
}
