import type { ResultImageStore } from "../result-image-store.ts";

/** Result images in one process's memory, under the same key shape as the file store. */
export function createMemoryResultImageStore(): ResultImageStore {
  const images = new Map<string, Uint8Array>();
  const store = {
    async put(generationId: string, index: number, extension: string, bytes: Uint8Array) {
      const key = `${generationId.slice(-1).toLowerCase()}/${generationId}-${index}.${extension}`;
      images.set(key, new Uint8Array(bytes));
      return key;
    },
    async get(key: string) {
      const b = images.get(key);
      return b ? new Uint8Array(b) : undefined;
    },
    async delete(key: string) {
      images.delete(key);
    },
  };
  return store;
}
