/**
 * Classifier-free guidance: uncond + scale * (cond - uncond), rounded to float32 after each operation
 * as the reference computes it in float32 tensors.
 */
export function classifierFreeGuidance(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  if (uncond.length !== cond.length) throw new RangeError(`guidance: halves differ in length (${uncond.length} vs ${cond.length})`);
  const out = new Float32Array(cond.length);
  const g = Math.fround(scale);
  for (let i = 0; i < out.length; i++) {
    const u = uncond[i]!;
    out[i] = u + Math.fround(g * Math.fround(cond[i]! - u));
  }
  return out;
}

/** diffusers runs the unconditional half only when guidance_scale > 1. */
export function usesGuidance(scale: number): boolean {
  return scale > 1;
}
