import type { ResultImageStore } from "../../../stores/result-image-store.ts";

const MIME: Readonly<Record<string, string>> = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" };
const KEY_PATTERN = /^generations\/[A-Za-z0-9_]+\/[0-9]+\.(png|jpeg|webp)$/;

/** Result images in R2 under `generations/<id>/<index>.<ext>`; the bytes are in memory, so R2 knows their length. */
export function createR2ResultImageStore(bucket: R2Bucket): ResultImageStore {
  return {
    async put(generationId, index, extension, bytes) {
      const key = `generations/${generationId}/${index}.${extension}`;
      if (!KEY_PATTERN.test(key)) throw new Error(`invalid result image key ${key}`);
      await bucket.put(key, bytes, { httpMetadata: { contentType: MIME[extension] ?? "application/octet-stream" } });
      return key;
    },
    async get(key) {
      if (!KEY_PATTERN.test(key)) return undefined;
      const object = await bucket.get(key);
      return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
    },
    async delete(key) {
      if (KEY_PATTERN.test(key)) await bucket.delete(key);
    },
  };
}
