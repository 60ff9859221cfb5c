/** The pull / list / verify commands of `npm run models`: argument handling and what they print. */
import { readFileSync } from "node:fs";
import { SOURCE_MANIFESTS } from "../manifests/production.ts";
import { stderrProgress } from "../pack/progress.ts";
import { formatBytes, stderrDownloadProgress } from "./download-progress.ts";
import { listPack, verifyPack, type PackStatus } from "./inspect-pack.ts";
import { PullError } from "./pull-error.ts";
import { pullPack } from "./pull-pack.ts";
import { parseSourceManifest, type SourceManifest } from "./source-manifest.ts";

export interface PullCommandOptions {
  /** A source manifest JSON file instead of a built-in pack name. */
  manifest?: string;
  packsDir?: string;
  force?: boolean;
  skipCompile?: boolean;
}

export const PULL_USAGE = `  npm run models -- pull <pack> [--manifest FILE] [--packs-dir DIR] [--force] [--skip-compile]
  npm run models -- list [<pack>] [--manifest FILE] [--packs-dir DIR]
  npm run models -- verify [<pack>] [--manifest FILE] [--packs-dir DIR]
     packs: ${Object.keys(SOURCE_MANIFESTS).join(", ")}; env: HF_TOKEN, HF_ENDPOINT, HF_HOME, HF_HUB_CACHE`;

/** Returns the exit code; output on stdout, progress on stderr. */
export async function runPullCommand(command: "pull" | "list" | "verify", name: string | undefined, o: PullCommandOptions): Promise<number> {
  const manifests = selectManifests(name, o.manifest, command === "pull");
  const where = o.packsDir ? { packsDir: o.packsDir } : {};
  let failed = false;
  for (const m of manifests) {
    if (command === "pull") {
      const r = await quietLibraryLog(() =>
        pullPack(m, { ...where, progress: stderrDownloadProgress(), compileProgress: stderrProgress(6), force: o.force === true, compile: o.skipCompile !== true }),
      );
      console.log(`${m.name}: ${r.downloaded.length} file(s) downloaded, ${r.reused.length} already in the cache and intact`);
      if (r.pinned.length) console.log(`  pinned on first pull (in ${r.lockFile}): ${r.pinned.join(", ")}`);
      console.log(`  pack: ${r.packDir} (${r.compiled ? "compiled now" : o.skipCompile ? "not compiled (--skip-compile)" : "already compiled from these sources"})`);
      console.log(`  face pack: ${r.faceDir}`);
    } else if (command === "list") {
      printStatus(listPack(m, where));
    } else {
      const r = await verifyPack(m, where);
      for (const p of r.problems) console.log(`${p.kind.toUpperCase()} ${p.file}: ${p.problem}`);
      for (const n of r.notes) console.log(`note: ${n}`);
      console.log(`${m.name}: ${r.intact.length} file(s) intact, ${r.problems.length} damaged or missing`);
      if (r.problems.length) failed = true;
    }
  }
  return failed ? 1 : 0;
}

function selectManifests(name: string | undefined, file: string | undefined, required: boolean): SourceManifest[] {
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new PullError("manifest_invalid", `${file}: ${(err as Error).message}`);
    }
    const m = parseSourceManifest(raw, file);
    if (name && name !== m.name) throw new PullError("manifest_invalid", `${file} describes pack "${m.name}", not "${name}"`);
    return [m];
  }
  if (!name) {
    if (required) throw new PullError("unknown_pack", `which pack? known: ${Object.keys(SOURCE_MANIFESTS).join(", ")}`);
    return Object.values(SOURCE_MANIFESTS);
  }
  const m = SOURCE_MANIFESTS[name];
  if (!m) throw new PullError("unknown_pack", `no pack "${name}"; known: ${Object.keys(SOURCE_MANIFESTS).join(", ")}`);
  return [m];
}

function printStatus(s: PackStatus): void {
  console.log(`${s.name}`);
  if ("missing" in s.pack) console.log(`  pack       ${s.packDir}: not compiled`);
  else {
    const bytes = s.pack.files.reduce((n, f) => n + f.bytes, 0);
    console.log(`  pack       ${s.packDir}: ${s.pack.precision}, ${s.pack.files.length} files, ${formatBytes(bytes)}, compiled ${s.pack.createdAt}`);
  }
  console.log(`  face pack  ${s.faceDir}: ${s.faceFiles.filter((f) => f.present).length}/${s.faceFiles.length} files`);
  console.log(`  sources    in ${s.cacheDir}`);
  for (const src of s.sources) {
    const size = formatBytes(src.bytes);
    const of = src.expectedBytes !== null && src.state !== "present" ? ` / ${formatBytes(src.expectedBytes)}` : "";
    console.log(`    ${src.state.padEnd(8)} ${`${size}${of}`.padEnd(22)} ${src.key}`);
  }
}

/** @huggingface/hub announces each download with console.debug, on stdout; the progress bar already says it. */
async function quietLibraryLog<T>(run: () => Promise<T>): Promise<T> {
  const debug = console.debug;
  console.debug = () => {};
  try {
    return await run();
  } finally {
    console.debug = debug;
  }
}
