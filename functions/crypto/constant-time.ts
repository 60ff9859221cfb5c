/**
 * Equality whose running time does not depend on where the bytes differ, so a caller cannot
 * learn a stored hash byte by byte from response times. Lengths are public (hashes are 32 bytes).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
