/**
 * The tiny seeded checkpoints dressed up as the production repositories: the same repos, revisions
 * and paths as models/manifests/production.ts, each path served with the tiny file of the same role
 * (the tiny writer has no fp16 variants and writes the adapter as safetensors; the compiler sniffs
 * the format, not the name). A manifest with the tiny files' sizes and digests goes with it, so a
 * pull from the double exercises the production file list end to end.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SDXL_INSTANTID } from "../../../models/manifests/production.ts";
import type { SourceManifest } from "../../../models/pull/source-manifest.ts";
import type { DoubleFile } from "./hub-double.ts";

export const INSTANTID_REPO = "InstantX/InstantID";
export const SDXL_REPO = "stabilityai/stable-diffusion-xl-base-1.0";
export const FACE_REPO = "DIAMONIK7777/antelopev2";

export interface TinyHub {
  manifest: SourceManifest;
  files: DoubleFile[];
  /** Bytes served for a repo path. */
  content(repo: string, path: string): Uint8Array;
}

/** Deterministic stand-in bytes (the face files are only copied, never run, in these tests). */
export function seededBytes(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let block = createHash("sha256").update(label).digest();
  for (let i = 0; i < n; i += block.length) {
    out.set(block.subarray(0, Math.min(block.length, n - i)), i);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

export function tinyHub(tinyCheckpointDir: string): TinyHub {
  const files: DoubleFile[] = [];
  const repos = SDXL_INSTANTID.repos.map((r) => {
    const served = r.files.map((f) => {
      const content = f.use === "face" ? seededBytes(f.path, 96_000) : readFileSync(tinyEquivalent(tinyCheckpointDir, f.path));
      files.push({ repo: r.repo, revision: r.revision, path: f.path, content });
      return { ...f, bytes: content.byteLength, sha256: sha256(content) };
    });
    // The tiny Resampler is not InstantID's, so its shape comes with it (compilePack reads this file when present).
    if (r.repo === INSTANTID_REPO) {
      const content = readFileSync(join(tinyCheckpointDir, "image_proj_config.json"));
      files.push({ repo: r.repo, revision: r.revision, path: "image_proj_config.json", content });
      served.push({ path: "image_proj_config.json", bytes: content.byteLength, sha256: sha256(content), use: "checkpoint" });
    }
    return { ...r, files: served };
  });
  const manifest: SourceManifest = { ...SDXL_INSTANTID, repos };
  return {
    manifest,
    files,
    content(repo, path) {
      const f = files.find((x) => x.repo === repo && x.path === path);
      if (!f) throw new Error(`no ${repo}/${path}`);
      return f.content;
    },
  };
}

function tinyEquivalent(dir: string, path: string): string {
  const candidates = [path, path.replace(/\.fp16\.safetensors$/, ".safetensors"), path.replace(/^ip-adapter\.bin$/, "ip-adapter.safetensors")];
  const found = candidates.map((c) => join(dir, c)).find((p) => existsSync(p));
  if (!found) throw new Error(`the tiny checkpoints have nothing for production file ${path}`);
  return found;
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}
