import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { readPackManifest, NETWORKS, type PackManifest } from "../../../shared/pack/pack-manifest.ts";
import { sha256File } from "../../../models/pack/sha256-file.ts";
import { TINY_PACK_DIR } from "../../../models/tiny/build-tiny-pack.ts";
import { createSession } from "../../../shared/onnx/ort-session.ts";

const root = join(import.meta.dirname, "../../..");
const run = promisify(execFile);

describe("the tiny model pack", () => {
  let manifest: PackManifest;
  beforeAll(() => {
    manifest = readPackManifest(TINY_PACK_DIR);
  });

  it("is shaped like SDXL: two text encoders that add up to the cross-attention width, projection = pooled width", () => {
    const { textHiddenSizes, crossAttentionDim, pooledDim } = manifest.model;
    expect(textHiddenSizes[0] + textHiddenSizes[1]).toBe(crossAttentionDim);
    expect(pooledDim).toBeGreaterThan(0);
    expect(Object.keys(manifest.networks).sort()).toEqual([...NETWORKS].sort());
  });

  it("lists every file with its true sha256", async () => {
    for (const f of manifest.files) expect(await sha256File(join(TINY_PACK_DIR, f.path)), f.path).toBe(f.sha256);
  });

  it("has networks whose interfaces fit each other", async () => {
    const io = async (name: keyof PackManifest["networks"]) => {
      const s = await createSession(join(TINY_PACK_DIR, manifest.networks[name]!));
      const names = { inputs: [...s.inputNames], outputs: [...s.outputNames] };
      await s.release();
      return names;
    };
    const unet = await io("unet");
    const controlnet = await io("controlnet");
    // every IdentityNet residual is a UNet input
    for (const out of controlnet.outputs) expect(unet.inputs).toContain(out);
    expect(controlnet.outputs).toHaveLength(manifest.model.downResiduals + 1);
    expect(unet.inputs).toContain("ip_scale");
    expect(controlnet.inputs).toContain("conditioning_scale");
    expect((await io("text_encoder_2")).outputs).toContain("text_embeds");
    expect((await io("resampler")).outputs).toEqual(["tokens"]);
  });

  it("is rebuilt identically from its seed by `npm run models -- build tiny`", async () => {
    const out = mkdtempSync(join(tmpdir(), "tiny-"));
    // No wall-clock assertion: on a loaded CI machine the build time says nothing about correctness.
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", join(root, "models/cli.ts"), "build", "tiny", "--out", out], { cwd: root });
    expect(stdout).toMatch(/tiny pack written/);
    expect(stderr).toMatch(/\[7\/7\] compile vae_decoder done/);
    const rebuilt = readPackManifest(out);
    const digests = (m: PackManifest) => m.files.map((f) => `${f.path}:${f.sha256}`);
    expect(digests(rebuilt)).toEqual(digests(manifest));
  });

  it("refuses a pack folder without pack.json with a hint to build one", async () => {
    expect(() => readPackManifest(mkdtempSync(join(tmpdir(), "nopack-")))).toThrowError(/npm run models -- build tiny/);
  });

  it("says how to use the models command when called wrongly", async () => {
    const err = await run(process.execPath, ["--import", "tsx", join(root, "models/cli.ts"), "build", "huge"], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/usage:/);
  });

  it("pins the tiny configs it was built from", () => {
    const unet = JSON.parse(readFileSync(join(root, "models/tiny/unet.json"), "utf8")) as { cross_attention_dim: number };
    expect(unet.cross_attention_dim).toBe(manifest.model.crossAttentionDim);
  });
});
