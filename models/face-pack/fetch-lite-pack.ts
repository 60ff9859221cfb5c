/**
 * Puts the lite face pack in place: skips when every file is there with its pinned sha256;
 * otherwise `npm pack`s the package into a temp dir (no install, no scripts run), extracts only
 * the three model files, checks them, and moves them in (rename, so concurrent runs never see
 * half a file).
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { FacePackError } from "./face-pack-error.ts";
import { LITE_PACK_PACKAGE, LITE_PACK_SHA256 } from "../../shared/face/lite/lite-pack-manifest.ts";
import { DEFAULT_LITE_PACK_DIR } from "../../shared/face/pack-dirs.ts";
import { readTgzEntries } from "./tgz-entries.ts";

export interface FetchLitePackOptions {
  /** Where the three files go. Default models/packs/face-lite. */
  readonly dir?: string;
  /** Use this package tarball instead of downloading (offline machines). */
  readonly fromTgz?: string;
  readonly log?: (line: string) => void;
}

export interface FetchLitePackResult {
  readonly dir: string;
  /** False when the files were already there and valid. */
  readonly fetched: boolean;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** True when every pack file is present with its pinned checksum. */
export function litePackValid(dir: string = DEFAULT_LITE_PACK_DIR): boolean {
  return Object.entries(LITE_PACK_SHA256).every(([name, sum]) => {
    const path = join(dir, name);
    return existsSync(path) && sha256(readFileSync(path)) === sum;
  });
}

async function npmPack(destination: string): Promise<string> {
  try {
    // cwd outside the project: the package is fetched as a tarball, never installed.
    await promisify(execFile)("npm", [
      "pack", LITE_PACK_PACKAGE, "--pack-destination", destination, "--loglevel=error",
      // Offline should fail in seconds, not after npm's minute of back-off.
      "--fetch-retries=1", "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=5000",
    ], {
      cwd: destination,
      timeout: 5 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: unknown };
    const lines = (e.stderr ?? "").split("\n").filter((l) => /^npm err(or|!)/i.test(l)).map((l) => l.replace(/^npm err(or|!)\s*/i, ""));
    const detail = lines.slice(0, 2).join("; ") || e.message.split("\n")[0]!;
    const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network|offline/i.test(`${e.stderr ?? ""} ${e.message}`);
    throw new FacePackError(
      "download_failed",
      `could not download ${LITE_PACK_PACKAGE} from the npm registry${offline ? " (offline?)" : ""}: ${detail.trim()}. ` +
        "Rerun `npm run models:face` when the registry is reachable, or pass --from <the package .tgz>.",
    );
  }
  const tgz = readdirSync(destination).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new FacePackError("download_failed", `npm pack ${LITE_PACK_PACKAGE} produced no tarball`);
  return join(destination, tgz);
}

export async function fetchLitePack(options: FetchLitePackOptions = {}): Promise<FetchLitePackResult> {
  const dir = options.dir ?? DEFAULT_LITE_PACK_DIR;
  const log = options.log ?? (() => {});
  if (litePackValid(dir)) {
    log(`face lite pack: present and verified in ${dir}`);
    return { dir, fetched: false };
  }
  const work = mkdtempSync(join(tmpdir(), "face-lite-pack-"));
  try {
    const tgzPath = options.fromTgz ?? (log(`face lite pack: downloading ${LITE_PACK_PACKAGE} (npm pack)`), await npmPack(work));
    const names = Object.keys(LITE_PACK_SHA256);
    const wanted = new Set(names.map((n) => `model/${n}`));
    // npm tarballs put everything under one top folder ("package/").
    const strip = (p: string) => p.split("/").slice(1).join("/");
    const entries = await readTgzEntries(readFileSync(tgzPath), (p) => wanted.has(strip(p)));
    const files = new Map([...entries].map(([p, data]) => [strip(p).slice("model/".length), data]));
    for (const name of names) {
      const data = files.get(name);
      if (!data) throw new FacePackError("archive_invalid", `${tgzPath} has no model/${name}`);
      const sum = sha256(data);
      if (sum !== LITE_PACK_SHA256[name]) {
        throw new FacePackError("checksum_mismatch", `model/${name} has sha256 ${sum}, expected ${LITE_PACK_SHA256[name]}; refusing it`);
      }
    }
    mkdirSync(dir, { recursive: true });
    for (const name of names) {
      const staged = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      writeFileSync(staged, files.get(name)!);
      renameSync(staged, join(dir, name));
    }
    log(`face lite pack: ${names.join(", ")} verified and written to ${dir}`);
    return { dir, fetched: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
