/**
 * Recognise an image container from its first bytes, before any decoder sees it: the accepted
 * formats are named precisely, and the refused ones are named so the error can say what was sent.
 */
export type AcceptedImageFormat = "jpeg" | "png" | "webp" | "avif";

export type SniffedFormat =
  | { readonly accepted: true; readonly format: AcceptedImageFormat }
  | { readonly accepted: false; readonly format: string };

const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1", "heif"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = "";
  for (let i = start; i < start + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** ISO base media file (HEIF/AVIF/MP4): the ftyp box's major and compatible brands. */
function ftypBrands(bytes: Uint8Array): string[] | null {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== "ftyp") return null;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  const brands = [ascii(bytes, 8, 4)];
  for (let o = 16; o + 4 <= end; o += 4) brands.push(ascii(bytes, o, 4));
  return brands;
}

export function sniffImageFormat(bytes: Uint8Array): SniffedFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { accepted: true, format: "jpeg" };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { accepted: true, format: "png" };
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return { accepted: true, format: "webp" };
  const brands = ftypBrands(bytes);
  if (brands) {
    // AVIF files often also list mif1 (the generic HEIF brand): an AVIF brand anywhere wins.
    if (brands.some((b) => AVIF_BRANDS.has(b))) return { accepted: true, format: "avif" };
    if (brands.some((b) => HEIF_BRANDS.has(b))) return { accepted: false, format: "HEIC" };
    return { accepted: false, format: `ISO media (${brands[0]!.trim() || "unknown brand"})` };
  }
  if (ascii(bytes, 0, 4) === "GIF8") return { accepted: false, format: "GIF" };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { accepted: false, format: "TIFF" };
  if (ascii(bytes, 0, 2) === "BM") return { accepted: false, format: "BMP" };
  if (startsWith(bytes, [0xff, 0x0a]) || ascii(bytes, 4, 8) === "JXL \r\n\x87\n") return { accepted: false, format: "JPEG XL" };
  if (/^\s*</.test(ascii(bytes, 0, 64))) return { accepted: false, format: "SVG/XML" };
  return { accepted: false, format: "unknown" };
}
