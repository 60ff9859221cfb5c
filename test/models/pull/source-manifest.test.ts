import { describe, expect, it } from "vitest";
import { SDXL_INSTANTID } from "../../../models/manifests/production.ts";
import { PullError } from "../../../models/pull/pull-error.ts";
import { parseSourceManifest, pinnedFiles } from "../../../models/pull/source-manifest.ts";

const base = {
  name: "demo",
  description: "",
  precision: "fp16-weights",
  faceEmbeddings: ["antelopev2"],
  facePack: "antelopev2",
  repos: [
    {
      repo: "owner/name",
      revision: "a".repeat(40),
      licence: "Apache-2.0",
      provenance: "test",
      files: [{ path: "unet/config.json", bytes: 10, sha256: "b".repeat(64), use: "checkpoint" }],
    },
  ],
};
const withFile = (file: Record<string, unknown>, repo: Record<string, unknown> = {}) => ({ ...base, repos: [{ ...base.repos[0], ...repo, files: [file] }] });
const problemOf = (raw: unknown): PullError => {
  try {
    parseSourceManifest(raw, "demo.json");
  } catch (err) {
    expect(err).toBeInstanceOf(PullError);
    expect((err as PullError).code).toBe("manifest_invalid");
    return err as PullError;
  }
  throw new Error("the manifest was accepted");
};

describe("source manifests", () => {
  it("the production manifest pins every file: a commit, a size and a sha256 (none left unknown)", () => {
    const files = pinnedFiles(SDXL_INSTANTID);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(f.revision, f.key).toMatch(/^[0-9a-f]{40}$/);
      expect(f.bytes, f.key).toBeGreaterThan(0);
      expect(f.sha256, f.key).toMatch(/^[0-9a-f]{64}$/);
    }
    // The VAE decoder runs in fp32: its fp32 weights are pulled, not the fp16 variant.
    expect(files.filter((f) => f.path.startsWith("vae/")).map((f) => f.path)).toEqual(["vae/config.json", "vae/diffusion_pytorch_model.safetensors"]);
  });

  it("refuses an unknown digest unless it is marked verifyOnFirstPull, and accepts it when it is", () => {
    const unknown = { path: "x.safetensors", bytes: null, sha256: null, use: "checkpoint" };
    expect(problemOf(withFile(unknown)).message).toMatch(/verifyOnFirstPull/);
    expect(pinnedFiles(parseSourceManifest(withFile({ ...unknown, verifyOnFirstPull: true }), "demo.json"))[0]!.sha256).toBeNull();
  });

  it("refuses a branch or tag where a commit is required", () => {
    expect(problemOf(withFile(base.repos[0]!.files[0]!, { revision: "main" })).message).toMatch(/repos\.0\.revision: a full 40-hex commit hash/);
  });

  it("refuses paths that climb out of the repository or are absolute", () => {
    for (const path of ["../secrets.json", "/etc/passwd", "a/../../b", "a\\b"]) {
      expect(problemOf(withFile({ path, bytes: 1, sha256: "c".repeat(64), use: "checkpoint" })).message, path).toMatch(/relative path/);
    }
  });

  it("refuses two files that would land in the same place", () => {
    const raw = {
      ...base,
      repos: [base.repos[0], { ...base.repos[0], repo: "other/repo", files: [{ path: "config.json", as: "unet/config.json", bytes: 1, sha256: "d".repeat(64), use: "checkpoint" }] }],
    };
    expect(problemOf(raw).message).toContain("both land at checkpoint:unet/config.json");
  });
});
