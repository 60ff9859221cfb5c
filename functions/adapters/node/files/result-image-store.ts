import { writeFile } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import type { ResultImageStore } from "../../../stores/result-image-store.ts";

const KEY_PATTERN = /^[a-z0-9]\/[a-z0-9_]+-[0-9]+\.(png|jpeg|webp)$/;

/**
 * Result images as files under `root` (data/generations): `<xx>/<generationId>-<index>.<ext>`,
 * fanned out by the last character of the id (32 folders). A file is
 * written before its row is stored, so no reader ever finds it half-written.
 */
export function createFileResultImageStore(root: string): ResultImageStore {
  const base = resolve(root);
  const madeDirs = new Set<string>();
  const pathOf = (key: string): string | undefined => {
    if (!KEY_PATTERN.test(key)) return undefined;
    const p = resolve(base, key);
    return p.startsWith(base + sep) ? p : undefined;
  };
  return {
    async put(generationId, index, extension, bytes) {
      const fan = generationId.slice(-1).toLowerCase();
      const key = `${fan}/${generationId}-${index}.${extension}`;
      const path = pathOf(key);
      if (!path) throw new Error(`invalid result image key ${key}`);
      const dir = dirname(path);
      if (!madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        madeDirs.add(dir);
      }
      // The callback API: lighter than fs/promises' FileHandle for many small writes.
      await new Promise<void>((resolve, reject) => writeFile(path, bytes, (e) => (e ? reject(e) : resolve())));
      return key;
    },
    async get(key) {
      const path = pathOf(key);
      if (!path) return undefined;
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async delete(key) {
      const path = pathOf(key);
      if (path) await rm(path, { force: true });
    },
  };
}
