import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { compilePack } from "../../../models/pack/compile-pack.ts";
import { readPackManifest } from "../../../shared/pack/pack-manifest.ts";
import { denoiserStepFeeds } from "../../gpu-runtime/helpers/denoiser-step-feeds.ts";
import { opCounts } from "../../../shared/onnx/onnx-model.ts";
import { maxAbsDiff } from "../../../shared/tensor/tensor.ts";
import { SessionNetworks } from "../../../gpu-runtime/sessions/session-networks.ts";
import { TINY_PACK_DIR, writeTinyCheckpoints } from "../../../models/tiny/build-tiny-pack.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";
import { atolOf, loadGoldenCase } from "../../golden/golden-case.ts";

const root = join(import.meta.dirname, "../../..");
const run = promisify(execFile);

describe("npm run models -- compile", () => {
  let src: string;
  beforeAll(() => {
    src = mkdtempSync(join(tmpdir(), "diffusers-"));
    writeTinyCheckpoints(src);
  });

  it("compiles a diffusers-layout folder with fp16 weights where they hold the tolerance", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "pack-")), "fp16");
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", join(root, "models/cli.ts"), "compile", src, out, "--precision", "fp16-weights", "--name", "tiny16"], { cwd: root });
    expect(stdout).toMatch(/pack "tiny16" \(fp16-weights\) written/);
    expect(stderr).toMatch(/\[6\/6\] compile vae_decoder done/);
    const manifest = readPackManifest(out);
    expect(manifest.precision).toBe("fp16-weights");
    const size = (dir: string, name: string) => statSync(join(dir, `${name}.onnx`)).size;
    // UNet and IdentityNet halve; the Resampler, text encoders and VAE decoder stay float32
    for (const n of ["unet", "controlnet"]) expect(size(out, n)).toBeLessThan(size(TINY_PACK_DIR, n) * 0.55);
    for (const n of ["resampler", "text_encoder", "text_encoder_2", "vae_decoder"]) expect(size(out, n)).toBe(size(TINY_PACK_DIR, n));
  });

  it("compiles UNet and IdentityNet attention as fused MultiHeadAttention with --fused-attention, recorded in pack.json, within the UNet's golden tolerance", async () => {
    const plain = await ensureTinyPack();
    const out = join(mkdtempSync(join(tmpdir(), "pack-")), "fused");
    const { stdout } = await run(process.execPath, ["--import", "tsx", join(root, "models/cli.ts"), "compile", src, out, "--precision", "fp32", "--name", "tinyfused", "--fused-attention"], { cwd: root });
    expect(stdout).toMatch(/pack "tinyfused" \(fp32, fused attention\) written/);
    const manifest = readPackManifest(out);
    expect(manifest.fusedAttention).toBe(true);
    expect(readPackManifest(plain).fusedAttention).toBeUndefined();
    const mha = (dir: string, n: string) => opCounts(join(dir, `${n}.onnx`)).get("com.microsoft:MultiHeadAttention") ?? 0;
    const softmax = (dir: string, n: string) => opCounts(join(dir, `${n}.onnx`)).get("Softmax") ?? 0;
    for (const n of ["unet", "controlnet"]) {
      // every attention of the plain graph (one Softmax each) is one fused node instead
      expect(mha(out, n)).toBe(softmax(plain, n));
      expect(mha(out, n)).toBeGreaterThan(0);
      expect(softmax(out, n)).toBe(0);
    }
    // the text encoders' attention is masked (causal) and the Resampler stays as it was
    for (const n of ["text_encoder", "text_encoder_2", "resampler", "vae_decoder"]) expect(mha(out, n)).toBe(0);

    // one denoising step (IdentityNet + UNet, fused denoiser, CFG batch of 2) on both packs, same feeds
    const step = async (dir: string) => {
      const networks = await SessionNetworks.load(dir, manifest, { providers: ["cpu"], threads: 1 });
      try {
        const { control, unet } = denoiserStepFeeds(manifest, { seed: 7, timestep: 501 });
        return (await networks.chain("controlnet", control, "unet", unet)).noise_pred!.data as Float32Array;
      } finally {
        await networks.release();
      }
    };
    const [fused, reference] = [await step(out), await step(plain)];
    const atol = atolOf(loadGoldenCase(join(root, "test/fixtures/golden/unet")));
    expect(fused.length).toBe(reference.length);
    expect(maxAbsDiff(fused, reference)).toBeLessThanOrEqual(atol);
  });

  it("names a missing part of the checkpoint folder", async () => {
    const broken = mkdtempSync(join(tmpdir(), "diffusers-"));
    writeTinyCheckpoints(broken);
    rmSync(join(broken, "ip-adapter.safetensors"));
    await expect(compilePack(broken, join(broken, "out"), { name: "x" })).rejects.toThrow(/ip-adapter\.bin/);
  });

  it("refuses text encoders whose widths do not add up to the UNet's cross-attention width, before compiling", async () => {
    const broken = mkdtempSync(join(tmpdir(), "diffusers-"));
    writeTinyCheckpoints(broken);
    const cfgPath = join(broken, "text_encoder", "config.json");
    const te = JSON.parse(readFileSync(cfgPath, "utf8")) as { hidden_size: number };
    writeFileSync(cfgPath, JSON.stringify({ ...te, hidden_size: te.hidden_size + 8 }));
    const out = join(broken, "out");
    await expect(compilePack(broken, out, { name: "x" })).rejects.toMatchObject({ code: "bad_config", message: expect.stringMatching(/do not add up/) });
    expect(() => statSync(out)).toThrow();
  });

  it("answers a bad precision with the usage", async () => {
    const err = await run(process.execPath, ["--import", "tsx", join(root, "models/cli.ts"), "compile", src, join(src, "o"), "--precision", "int4"], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
  });
});

describe("compilePack over an existing pack", () => {
  it("leaves the previous pack intact when a compile fails", async () => {
    const src = mkdtempSync(join(tmpdir(), "diffusers-"));
    writeTinyCheckpoints(src);
    const out = join(mkdtempSync(join(tmpdir(), "pack-")), "tiny");
    const first = await compilePack(src, out, { name: "first" });
    rmSync(join(src, "vae", "diffusion_pytorch_model.safetensors"));
    await expect(compilePack(src, out, { name: "second" })).rejects.toThrow(/weights in .*vae/);
    expect(readPackManifest(out).name).toBe(first.name);
    expect(() => statSync(`${out}.partial`)).toThrow();
  });
});

