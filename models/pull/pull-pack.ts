/**
 * `npm run models -- pull <name>`: every file of a source manifest into the hub cache (verified,
 * resumed, never twice), the face-analysis files into their pack folder, and the checkpoints
 * compiled into a model pack with compilePack.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { compilePack } from "../pack/compile-pack.ts";
import { MANIFEST_FILE } from "../../shared/pack/pack-manifest.ts";
import { silentProgress, type Progress } from "../pack/progress.ts";
import { formatBytes, silentDownloadProgress, type DownloadProgress } from "./download-progress.ts";
import { fetchToCache } from "./fetch-to-cache.ts";
import { checkDigest, type Expected } from "./file-digest.ts";
import { hubLocationFromEnv, snapshotPath, type HubLocation } from "./hub-location.ts";
import { DEFAULT_PACKS_DIR, packPaths, SOURCES_STAMP } from "./pack-paths.ts";
import { PullError } from "./pull-error.ts";
import { expectedDigest, readLock, writeLock, type PullLock } from "./pull-lock.ts";
import { pinnedFiles, type PinnedFile, type SourceManifest } from "./source-manifest.ts";

export interface PullOptions extends Partial<HubLocation> {
  packsDir?: string;
  progress?: DownloadProgress;
  compileProgress?: Progress;
  /** Range re-requests after a connection cut, per file, before the pull fails (default 5). */
  retries?: number;
  retryDelayMs?: number;
  fetch?: typeof fetch;
  /** Download and verify only (default: compile too). */
  compile?: boolean;
  /** Recompile even when the pack was compiled from these very sources. */
  force?: boolean;
}

export interface PullReport {
  packDir: string;
  faceDir: string;
  lockFile: string;
  /** Fetched over the network. */
  downloaded: string[];
  /** Already in the cache and intact (or the same bytes as a cached file, linked to it). */
  reused: string[];
  /** Files whose digest the manifest left unknown and this pull recorded in the lock. */
  pinned: string[];
  compiled: boolean;
}

export async function pullPack(m: SourceManifest, o: PullOptions = {}): Promise<PullReport> {
  const hub = { ...hubLocationFromEnv(), ...definedOnly({ hubUrl: o.hubUrl, cacheDir: o.cacheDir, accessToken: o.accessToken }) };
  const progress = o.progress ?? silentDownloadProgress;
  const paths = packPaths(o.packsDir ?? DEFAULT_PACKS_DIR, m);
  mkdirSync(dirname(paths.lockFile), { recursive: true });
  const lock = readLock(paths.lockFile, m.name);
  const report: PullReport = { ...paths, downloaded: [], reused: [], pinned: [], compiled: false };
  const files = pinnedFiles(m);
  const cached = new Map<string, string>();

  for (const f of files) {
    const expected = expectedDigest(f, lock.files[f.key]);
    const pointer = snapshotPath(hub.cacheDir, f.repo, f.revision, f.path);
    if (existsSync(pointer)) {
      const pinnedBefore = lock.files[f.key] !== undefined;
      if (await intactInCache(pointer, f, expected, lock)) {
        if ((f.sha256 === null || f.bytes === null) && !pinnedBefore) report.pinned.push(f.key);
        report.reused.push(f.key);
        cached.set(f.key, pointer);
        continue;
      }
      progress.info(`${f.key}: the cached copy is damaged; downloading it again`);
      removeCached(pointer);
    }
    const fileProgress = progress.file(f.key);
    const { path, transferred } = await fetchToCache(f, { ...hub, progress: fileProgress, ...definedOnly({ retries: o.retries, retryDelayMs: o.retryDelayMs, fetch: o.fetch }) });
    const check = await checkDigest(path, expected);
    if (check.problem) {
      removeCached(path);
      fileProgress.done("REFUSED");
      throw new PullError("file_corrupt", `${f.key}: the download does not match the manifest (${check.problem}); it was refused and removed from the cache`, f.key);
    }
    if (f.sha256 === null || f.bytes === null) {
      if (!lock.files[f.key]) report.pinned.push(f.key);
      progress.info(`${f.key}: no digest in the manifest; pinned sha256 ${check.sha256} (${check.bytes} bytes) in ${paths.lockFile}`);
    }
    record(lock, f, path, check.bytes, check.sha256);
    writeLock(paths.lockFile, lock);
    fileProgress.done(`${formatBytes(check.bytes)} verified${transferred ? "" : " (same bytes as a file already in the cache)"}`);
    (transferred ? report.downloaded : report.reused).push(f.key);
    cached.set(f.key, path);
  }
  writeLock(paths.lockFile, lock);

  await placeFaceFiles(files, cached, lock, paths.faceDir);
  if (o.compile !== false) report.compiled = await compileIfStale(m, files, lock, cached, paths.packDir, o);
  return report;
}

/** Unchanged since it was last hashed (size and mtime), or hashed now and found right. */
async function intactInCache(pointer: string, f: PinnedFile, expected: Expected, lock: PullLock): Promise<boolean> {
  const st = statSync(pointer);
  const locked = lock.files[f.key];
  if (locked?.checked && expected.sha256 === locked.sha256 && locked.checked.bytes === st.size && locked.checked.mtimeMs === st.mtimeMs) return true;
  const check = await checkDigest(pointer, expected);
  if (check.problem) return false;
  record(lock, f, pointer, check.bytes, check.sha256);
  return true;
}

function record(lock: PullLock, f: PinnedFile, pointer: string, bytes: number, sha256: string): void {
  const st = statSync(pointer);
  const pinned = f.sha256 === null || f.bytes === null;
  lock.files[f.key] = { bytes, sha256, ...(pinned ? { pinnedOnFirstPull: true } : {}), checked: { bytes: st.size, mtimeMs: st.mtimeMs } };
}

/** The snapshot link and the blob behind it (a later pull downloads it afresh). */
function removeCached(pointer: string): void {
  let blob: string | undefined;
  try {
    blob = realpathSync(pointer);
  } catch {
    // dangling link: nothing behind it to remove
  }
  rmSync(pointer, { force: true });
  if (blob && blob !== pointer) rmSync(blob, { force: true });
}

async function placeFaceFiles(files: PinnedFile[], cached: Map<string, string>, lock: PullLock, faceDir: string): Promise<void> {
  for (const f of files.filter((x) => x.use === "face")) {
    const dest = join(faceDir, ...(f.as ?? f.path).split("/"));
    const expected = expectedDigest(f, lock.files[f.key]);
    if (existsSync(dest) && !(await checkDigest(dest, expected)).problem) continue;
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(cached.get(f.key)!, dest);
  }
}

/** Compiles unless the pack on disk was compiled from exactly these sources with these settings. */
async function compileIfStale(m: SourceManifest, files: PinnedFile[], lock: PullLock, cached: Map<string, string>, packDir: string, o: PullOptions): Promise<boolean> {
  const digest = sourcesDigest(m, files, lock);
  const stamp = join(packDir, SOURCES_STAMP);
  if (!o.force && existsSync(join(packDir, MANIFEST_FILE)) && existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return false;

  const parent = dirname(packDir);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.staging-${m.name}-`));
  try {
    for (const f of files.filter((x) => x.use === "checkpoint")) {
      const link = join(staging, ...(f.as ?? f.path).split("/"));
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(realpathSync(cached.get(f.key)!), link);
    }
    await compilePack(staging, packDir, { name: m.name, precision: m.precision, faceEmbeddings: m.faceEmbeddings, progress: o.compileProgress ?? silentProgress });
    writeFileSync(stamp, digest);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return true;
}

function sourcesDigest(m: SourceManifest, files: PinnedFile[], lock: PullLock): string {
  const h = createHash("sha256").update(JSON.stringify({ precision: m.precision, faceEmbeddings: m.faceEmbeddings }));
  for (const f of files.filter((x) => x.use === "checkpoint").sort((a, b) => a.key.localeCompare(b.key))) {
    h.update(`${f.as ?? f.path}=${f.sha256 ?? lock.files[f.key]?.sha256}\n`);
  }
  return h.digest("hex");
}

function definedOnly<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
