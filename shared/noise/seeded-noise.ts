/**
 * Where schedulers (and the initial latents) get their Gaussian noise. A generation is reproducible from
 * its seed: the default source is counter-based (Philox4x32-10, as in Random123 and torch's CUDA generator)
 * with a Box-Muller transform, so the k-th draw depends only on (seed, k), not on how draws are chunked.
 */
import { NoiseError } from "./noise-error.ts";

export interface NoiseSource {
  /** The next n standard normal values. */
  randn(n: number): Float32Array;
}

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of a 32x32-bit product, from 16-bit halves (each partial product is exact in a double). */
function mulhi32(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  const mid = aHi * bLo + aLo * bHi + ((aLo * bLo) >>> 16);
  return (aHi * bHi + Math.floor(mid / 0x10000)) >>> 0;
}

/** Philox4x32 with 10 rounds: four 32-bit words of output for one 128-bit counter and 64-bit key. */
export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter;
  let [k0, k1] = key;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const TWO_POW_32 = 0x100000000;

/** A uniform double in (0, 1] from 53 bits of two words; never 0, so log() in Box-Muller is finite. */
function uniform53(hi: number, lo: number): number {
  return ((hi >>> 5) * 0x4000000 + (lo >>> 6) + 1) / 2 ** 53;
}

class PhiloxNoise implements NoiseSource {
  private readonly key: [number, number];
  /** Index of the next normal value in this seed's stream. */
  private drawn = 0;

  constructor(seed: number) {
    this.key = [seed % TWO_POW_32 >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
  }

  randn(n: number): Float32Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new NoiseError("shape_mismatch", `randn: count must be a non-negative integer, got ${n}`);
    const out = new Float32Array(n);
    let pair: [number, number] = [0, 0];
    for (let i = 0; i < n; i++) {
      const k = this.drawn + i;
      // One Philox block gives one Box-Muller pair: normals 2b and 2b+1 of the stream.
      if (i === 0 || k % 2 === 0) pair = this.pair(Math.floor(k / 2));
      out[i] = pair[k % 2]!;
    }
    this.drawn += n;
    return out;
  }

  private pair(block: number): [number, number] {
    const [w0, w1, w2, w3] = philox4x32([block % TWO_POW_32 >>> 0, Math.floor(block / TWO_POW_32) >>> 0, 0, 0], this.key);
    const radius = Math.sqrt(-2 * Math.log(uniform53(w0, w1)));
    const angle = 2 * Math.PI * uniform53(w2, w3);
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  }
}

/** The default, reproducible noise: same seed, same draws. Seeds are integers in [0, 2^53). */
export function seededNoise(seed: number): NoiseSource {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new NoiseError("invalid_seed", `seed must be an integer in [0, 2^53), got ${seed}`);
  }
  return new PhiloxNoise(seed);
}

/**
 * Replays recorded draws in order (e.g. a reference run's noise), refusing any request that does not ask
 * for exactly the next recorded draw's size: a scheduler drawing more, less or in another order is a bug.
 */
export function replayedNoise(draws: readonly Float32Array[]): NoiseSource {
  let next = 0;
  return {
    randn(n: number): Float32Array {
      const draw = draws[next];
      if (!draw) throw new NoiseError("noise_exhausted", `replayed noise: draw ${next + 1} requested, only ${draws.length} recorded`);
      if (draw.length !== n) {
        throw new NoiseError("shape_mismatch", `replayed noise: draw ${next + 1} has ${draw.length} values, ${n} requested`);
      }
      next++;
      return Float32Array.from(draw);
    },
  };
}
