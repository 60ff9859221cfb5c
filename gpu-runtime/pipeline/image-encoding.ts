/** Output files from RGB bytes with sharp (libvips): deterministic for the same pixels and options. */
import sharp from "sharp";
import { OUTPUT_MIME_TYPES, type OutputFormat } from "../../shared/contract/index.ts";

export interface EncodedImage {
  readonly mimeType: string;
  readonly bytes: Uint8Array;
}

const QUALITY = { jpeg: 92, webp: 92 } as const;

export async function encodeRgb(rgb: Uint8Array, width: number, height: number, format: OutputFormat): Promise<EncodedImage> {
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  const out =
    format === "png"
      ? img.png({ compressionLevel: 6 })
      : format === "jpeg"
        ? img.jpeg({ quality: QUALITY.jpeg, chromaSubsampling: "4:4:4" })
        : img.webp({ quality: QUALITY.webp });
  // Strip nothing and add nothing: sharp writes no timestamp, so equal pixels give equal bytes.
  const bytes = await out.toBuffer();
  return { mimeType: OUTPUT_MIME_TYPES[format], bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
