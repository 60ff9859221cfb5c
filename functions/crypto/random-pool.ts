/**
 * CSPRNG bytes drawn 4 KiB at a time. A crypto.getRandomValues call costs a few microseconds
 * however few bytes it fills, and every generation request draws twice (its id, its seed). Each
 * byte is handed out once; a refill replaces the pool instead of overwriting it, so views handed
 * out earlier never change (Node's randomUUID keeps a cache of its entropy the same way).
 */
const POOL_BYTES = 4096;

let pool = new Uint8Array(0);
let offset = 0;

export function randomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`byte count must be a non-negative integer, got ${n}`);
  if (n > POOL_BYTES / 4) return crypto.getRandomValues(new Uint8Array(n));
  if (offset + n > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

/** A uniformly random integer in [0, 2^32). */
export function randomUint32(): number {
  const b = randomBytes(4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}
