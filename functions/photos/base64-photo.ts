/**
 * Base64 photos from JSON bodies, decoded in one linear pass with a lookup table: no regular
 * expression (a backtracking pattern overflowed the stack at ~5.5 M characters, so phone photos
 * over ~4 MB were refused as "not base64"). Accepts an optional `data:<type>;base64,` prefix,
 * ASCII whitespace anywhere (line-wrapped base64), and missing padding; refuses anything else.
 */

const INVALID = -1;
const SKIP = -2;
const TABLE = (() => {
  const t = new Int8Array(256).fill(INVALID);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  for (const ws of [0x20, 0x09, 0x0a, 0x0d]) t[ws] = SKIP;
  return t;
})();
const PAD = 0x3d; // "="

/** Where the base64 payload starts: after a `data:...;base64,` prefix, if there is one. */
function payloadStart(s: string): number | undefined {
  if (!s.startsWith("data:")) return 0;
  const comma = s.indexOf(",");
  if (comma === -1) return undefined;
  return s.slice(comma - 7, comma).toLowerCase() === ";base64" ? comma + 1 : undefined;
}

/** How many bytes `s` decodes to, counted without allocating; undefined if it is not base64. */
export function base64DecodedLength(s: string): number | undefined {
  const start = payloadStart(s);
  if (start === undefined) return undefined;
  let digits = 0;
  let pads = 0;
  for (let i = start; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const v = code < 256 ? TABLE[code]! : INVALID;
    if (v >= 0) {
      if (pads > 0) return undefined; // data after padding
      digits++;
    } else if (code === PAD) {
      pads++;
    } else if (v !== SKIP) {
      return undefined;
    }
  }
  if (pads > 2 || (pads > 0 && (digits + pads) % 4 !== 0)) return undefined;
  if (digits % 4 === 1) return undefined; // 6 bits cannot make a byte
  return Math.floor((digits * 6) / 8);
}

/** The bytes of a base64 photo, or undefined when it is not base64 (or is empty). */
export function decodeBase64Photo(s: string): Uint8Array | undefined {
  const length = base64DecodedLength(s);
  if (!length) return undefined;
  const start = payloadStart(s)!;
  const out = new Uint8Array(length);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = start; i < s.length && o < length; i++) {
    const v = TABLE[s.charCodeAt(i)]!;
    if (v < 0) continue; // whitespace or padding (validated above)
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
