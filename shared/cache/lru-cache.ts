/**
 * A map that forgets its least recently used entry beyond `capacity`, so caches keyed by user input
 * (prompts, BPE words, face embeddings, identities) keep a fixed memory footprint in a long-running
 * service. Capacity 0 caches nothing.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();
  private readonly pending = new Map<K, Promise<V>>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map iteration order is insertion order: re-inserting marks the entry most recent.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /**
   * The cached value, or the one `compute` makes (stored once it resolves). Concurrent callers for the
   * same key share one computation, so two requests with one prompt encode it once.
   */
  async getOrCompute(key: K, compute: () => Promise<V>): Promise<V> {
    const pending = this.pending;
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const inFlight = pending.get(key);
    if (inFlight) return inFlight;
    const p = compute().then(
      (v) => {
        this.set(key, v);
        pending.delete(key);
        return v;
      },
      (err: unknown) => {
        pending.delete(key);
        throw err;
      },
    );
    pending.set(key, p);
    return p;
  }
}
