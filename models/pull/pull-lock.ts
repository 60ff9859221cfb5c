/**
 * <packs>/<name>.lock.json: what this machine pulled. It pins the digest of any file the manifest
 * left unknown (trust on first pull), and remembers each cached file's size and mtime when it was
 * last hashed, so a second pull does not re-read gigabytes it already checked (`verify` always does).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { Expected } from "./file-digest.ts";
import { PullError } from "./pull-error.ts";
import type { PinnedFile } from "./source-manifest.ts";

const LockedFile = z.object({
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** True when the manifest did not know this digest and the first pull recorded it. */
  pinnedOnFirstPull: z.boolean().optional(),
  /** The cached file as it was when last found intact. */
  checked: z.object({ bytes: z.number().int().nonnegative(), mtimeMs: z.number() }).optional(),
});
export type LockedFile = z.infer<typeof LockedFile>;

const PullLock = z.object({
  format: z.literal(1),
  pack: z.string(),
  files: z.record(z.string(), LockedFile),
});
export type PullLock = z.infer<typeof PullLock>;

export function readLock(path: string, pack: string): PullLock {
  if (!existsSync(path)) return { format: 1, pack, files: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new PullError("manifest_invalid", `${path} is not JSON (${(err as Error).message}); delete it to pull again from scratch`);
  }
  const r = PullLock.safeParse(raw);
  if (!r.success) throw new PullError("manifest_invalid", `${path} is not a pull lock (${r.error.issues[0]?.message}); delete it to pull again from scratch`);
  return r.data;
}

/** Written to a temporary name and renamed, so an interrupted write never leaves half a lock. */
export function writeLock(path: string, lock: PullLock): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(lock, null, 2) + "\n");
  renameSync(tmp, path);
}

/** The manifest's digest, or the one the first pull pinned when the manifest has none. */
export function expectedDigest(f: PinnedFile, locked: LockedFile | undefined): Expected {
  return { bytes: f.bytes ?? locked?.bytes ?? null, sha256: f.sha256 ?? locked?.sha256 ?? null };
}
