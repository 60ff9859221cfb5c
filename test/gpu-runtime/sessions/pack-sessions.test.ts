/**
 * How the runtime opens a pack (SessionNetworks.load): the fused denoiser straight from the pack's files
 * (IdentityNet's and the UNet's own sessions never opened, their weights never read into JS), and the
 * session options each network gets, held to the golden tolerances.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPackManifest, type PackManifest } from "../../../shared/pack/pack-manifest.ts";
import { denoiserStepFeeds } from "../helpers/denoiser-step-feeds.ts";
import { onnx, type ModelProto } from "../../../shared/onnx/onnx-model.ts";
import { maxAbsDiff, type Tensor } from "../../../shared/tensor/tensor.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";
import { loadPackSessions, networkSessionOptions } from "../../../gpu-runtime/sessions/load-pack-sessions.ts";
import { outlineModelFile } from "../../../gpu-runtime/sessions/model-file-outline.ts";
import { SessionNetworks } from "../../../gpu-runtime/sessions/session-networks.ts";
import { compile as compileVaeDecoder } from "../../golden/components/vae_decoder.ts";
import { loadGoldenCase } from "../../golden/golden-case.ts";
import { runNetworkCase } from "../../golden/network-case.ts";

/**
 * The outline's reference (what the runtime did before it, reading the whole file into JS): the file's
 * graph with its inline initializers over 1 KB turned into ONNX external data (location, offset,
 * length) inside that same file.
 */
function decodeModelReferencingFile(path: string): ModelProto {
  const file = readFileSync(path);
  const m = onnx.ModelProto.decode(file);
  for (const t of m.graph?.initializer ?? []) {
    const raw = t.rawData;
    if (!raw || raw.byteLength <= 1024 || raw.buffer !== file.buffer) continue;
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: "location", value: basename(path) },
      { key: "offset", value: String(raw.byteOffset - file.byteOffset) },
      { key: "length", value: String(raw.byteLength) },
    ];
    delete (t as { rawData?: Uint8Array }).rawData;
  }
  return m;
}

const cfg = { providers: ["cpu" as const], threads: 1 };


describe("a pack's networks as the runtime opens them", () => {
  let dir: string;
  let manifest: PackManifest;
  let loaded: SessionNetworks;
  beforeAll(async () => {
    dir = await ensureTinyPack();
    manifest = readPackManifest(dir);
    loaded = await SessionNetworks.load(dir, manifest, cfg);
  });
  afterAll(async () => {
    await loaded?.release();
  });

  it("opens the fused denoiser at load, reported as IdentityNet's and the UNet's provider", async () => {
    expect(await loaded.describeDenoiser()).toEqual({ fused: true, splitEmbedding: true });
    const report = await loaded.report();
    expect(report.map((r) => r.network).sort()).toEqual(Object.keys(manifest.networks).sort());
    for (const r of report) expect(r.provider).toBe("cpu");
  });

  it("steps exactly as the separate sessions fused on first use, and as the two-session chain", async () => {
    const { control, unet } = denoiserStepFeeds(manifest, { seed: 11, timestep: 701 });
    const out = async (n: SessionNetworks) => (await n.chain("controlnet", control, "unet", unet)).noise_pred!.data as Float32Array;
    const fromLoad = await out(loaded);
    const lazy = new SessionNetworks(await loadPackSessions(dir, manifest, cfg));
    const chain = new SessionNetworks(await loadPackSessions(dir, manifest, cfg), { fuseDenoiser: false });
    try {
      expect(maxAbsDiff(fromLoad, await out(lazy))).toBe(0);
      expect(maxAbsDiff(fromLoad, await out(chain))).toBe(0);
    } finally {
      await Promise.all([lazy.release(), chain.release()]);
    }
  });

  it("opens IdentityNet alone on demand when asked for it", async () => {
    const { control } = denoiserStepFeeds(manifest, { seed: 11, timestep: 701 });
    const { lane_sample: _l, row_lanes: _r, ...rest } = control;
    const sample = { dtype: "float32", shape: [2, ...control.lane_sample!.shape.slice(1)], data: new Float32Array(2 * control.lane_sample!.data.length) } as Tensor;
    const outs = await loaded.run("controlnet", { ...rest, sample });
    expect(Object.keys(outs).length).toBe(manifest.model.downResiduals + 1);
  });

  it("reads a pack file's graph with its weights left in the file, as decoding it whole and dropping them does", () => {
    for (const n of ["unet", "controlnet", "vae_decoder"] as const) {
      const path = join(dir, manifest.networks[n]);
      const outlined = onnx.ModelProto.toObject(outlineModelFile(path), { bytes: String, longs: String });
      const decoded = onnx.ModelProto.toObject(decodeModelReferencingFile(path), { bytes: String, longs: String });
      expect(outlined).toEqual(decoded);
      const external = (outlined.graph.initializer as { dataLocation?: number }[]).filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
      expect(external.length).toBeGreaterThan(0);
    }
  });

  it.each(["all", "disabled"] as const)("holds the golden VAE decoder case with the decoder's runtime session options (optimisation %s)", async (optimization) => {
    const c = loadGoldenCase(join(import.meta.dirname, "../../fixtures/golden/vae_decoder"));
    const { providers: _p, ...options } = networkSessionOptions("vae_decoder", cfg);
    expect(options.disabledOptimizers).toContain("NchwcTransformer");
    const result = await runNetworkCase(c, compileVaeDecoder(c), { optimization, sessionOptions: options });
    expect(result.maxAbsErr).toBeLessThanOrEqual(result.atol!);
  });
});
