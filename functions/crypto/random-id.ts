/** Unguessable ids: a readable prefix and 128 random bits in lowercase base32 (no padding). */
import { randomBytes } from "./random-pool.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

export function randomToken(bytes: number): string {
  const raw = randomBytes(bytes);
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

export type IdGenerator = (prefix: string) => string;

export const randomId: IdGenerator = (prefix) => `${prefix}_${randomToken(16)}`;
