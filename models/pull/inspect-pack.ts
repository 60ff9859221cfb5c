/**
 * `list` (what is on disk, from sizes alone) and `verify` (every byte hashed against the manifest,
 * the lock and pack.json; each damaged file named).
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { MANIFEST_FILE, PackError, readPackManifest, type PackManifest } from "../../shared/pack/pack-manifest.ts";
import { checkDigest, type Expected } from "./file-digest.ts";
import { blobsDir, hubLocationFromEnv, snapshotPath } from "./hub-location.ts";
import { DEFAULT_PACKS_DIR, packPaths } from "./pack-paths.ts";
import { expectedDigest, readLock } from "./pull-lock.ts";
import { pinnedFiles, type PinnedFile, type SourceManifest } from "./source-manifest.ts";

export interface InspectOptions {
  packsDir?: string;
  cacheDir?: string;
}

export interface SourceStatus {
  key: string;
  /** partial: an interrupted download that the next pull resumes. */
  state: "present" | "partial" | "missing";
  bytes: number;
  expectedBytes: number | null;
  cachePath: string;
}

export interface FaceFileStatus {
  path: string;
  present: boolean;
}

export interface PackStatus {
  name: string;
  packDir: string;
  /** pack.json when the pack is compiled; the reason when it is not there or unreadable. */
  pack: PackManifest | { missing: string };
  faceDir: string;
  faceFiles: FaceFileStatus[];
  cacheDir: string;
  sources: SourceStatus[];
}

export function listPack(m: SourceManifest, o: InspectOptions = {}): PackStatus {
  const cacheDir = o.cacheDir ?? hubLocationFromEnv().cacheDir;
  const paths = packPaths(o.packsDir ?? DEFAULT_PACKS_DIR, m);
  const lock = readLock(paths.lockFile, m.name);
  const files = pinnedFiles(m);
  let pack: PackStatus["pack"];
  try {
    pack = readPackManifest(paths.packDir);
  } catch (err) {
    if (!(err instanceof PackError)) throw err;
    pack = { missing: err.message };
  }
  return {
    name: m.name,
    packDir: paths.packDir,
    pack,
    faceDir: paths.faceDir,
    faceFiles: files.filter((f) => f.use === "face").map((f) => ({ path: faceFilePath(paths.faceDir, f), present: existsSync(faceFilePath(paths.faceDir, f)) })),
    cacheDir,
    sources: files.map((f) => sourceStatus(cacheDir, f, expectedDigest(f, lock.files[f.key]))),
  };
}

function sourceStatus(cacheDir: string, f: PinnedFile, expected: Expected): SourceStatus {
  const cachePath = snapshotPath(cacheDir, f.repo, f.revision, f.path);
  const base = { key: f.key, expectedBytes: expected.bytes, cachePath };
  if (existsSync(cachePath)) return { ...base, state: "present", bytes: statSync(cachePath).size };
  // An LFS blob is named by its sha256: a partial download sits beside it.
  if (expected.sha256) {
    for (const suffix of [".incomplete", ".resume"]) {
      const partial = join(blobsDir(cacheDir, f.repo), expected.sha256 + suffix);
      if (existsSync(partial) && statSync(partial).size > 0) return { ...base, state: "partial", bytes: statSync(partial).size };
    }
  }
  return { ...base, state: "missing", bytes: 0 };
}

export interface VerifyReport {
  /** Files hashed and found intact. */
  intact: string[];
  /** Each file that is missing where it must be, or damaged: named, with what is wrong. */
  problems: { file: string; kind: "missing" | "damaged"; problem: string }[];
  /** Things worth knowing that are not failures (sources not in this machine's cache). */
  notes: string[];
}

/**
 * What the runtime loads must be there and intact: the compiled pack (against pack.json) and the
 * face files (against the manifest). Sources in the hub cache are checked when present; a missing
 * one is only a note, since a compiled pack no longer needs them (a container mounts packs only).
 */
export async function verifyPack(m: SourceManifest, o: InspectOptions = {}): Promise<VerifyReport> {
  const status = listPack(m, o);
  const lock = readLock(packPaths(o.packsDir ?? DEFAULT_PACKS_DIR, m).lockFile, m.name);
  const report: VerifyReport = { intact: [], problems: [], notes: [] };

  if ("missing" in status.pack) {
    const compiled = existsSync(join(status.packDir, MANIFEST_FILE));
    report.problems.push({
      file: join(status.packDir, MANIFEST_FILE),
      kind: compiled ? "damaged" : "missing",
      problem: compiled ? status.pack.missing : `the pack is not compiled; pull it with: npm run models -- pull ${m.name}`,
    });
  } else {
    for (const pf of status.pack.files) {
      await checkOne(join(status.packDir, pf.path), { bytes: pf.bytes, sha256: pf.sha256 }, report);
    }
  }
  for (const f of pinnedFiles(m).filter((x) => x.use === "face")) {
    await checkOne(faceFilePath(status.faceDir, f), expectedDigest(f, lock.files[f.key]), report);
  }
  const files = new Map(pinnedFiles(m).map((f) => [f.key, f]));
  const absent = status.sources.filter((s) => s.state === "missing").length;
  if (absent) report.notes.push(`${absent} of ${status.sources.length} source files are not in the hub cache ${status.cacheDir} (only needed to compile the pack again)`);
  for (const s of status.sources) {
    if (s.state === "partial") report.notes.push(`${s.key}: partly downloaded (${s.bytes} bytes); the next pull resumes it`);
    if (s.state !== "present") continue;
    const f = files.get(s.key)!;
    const expected = expectedDigest(f, lock.files[f.key]);
    if (expected.sha256 === null) report.notes.push(`${s.key}: no digest known yet (pull once to pin it)`);
    await checkOne(s.cachePath, expected, report, s.key);
  }
  return report;
}

async function checkOne(path: string, expected: Expected, report: VerifyReport, name = path): Promise<void> {
  if (!existsSync(path)) {
    report.problems.push({ file: name, kind: "missing", problem: name === path ? "not there" : `not at ${path}` });
    return;
  }
  const check = await checkDigest(path, expected);
  if (check.problem) report.problems.push({ file: name, kind: "damaged", problem: `${check.problem}${name === path ? "" : ` (${path})`}` });
  else report.intact.push(name);
}

function faceFilePath(faceDir: string, f: PinnedFile): string {
  return join(faceDir, ...(f.as ?? f.path).split("/"));
}
