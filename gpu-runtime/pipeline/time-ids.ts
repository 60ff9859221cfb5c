/**
 * SDXL's micro-conditioning: (original height, width), crop top-left (y, x), (target height, width).
 * The runtime always generates uncropped at the requested size, so both sizes are the output size.
 */
export function sdxlTimeIds(width: number, height: number): Float32Array {
  return Float32Array.of(height, width, 0, 0, height, width);
}
