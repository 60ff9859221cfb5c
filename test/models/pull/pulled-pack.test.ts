/**
 * From an empty cache to a serving runtime: pull the tiny checkpoints (served as the production
 * repositories) from the hub double, compile them with compilePack, start the runtime on the result
 * and generate. Then `list` and `verify` (library and CLI) on that pull, intact and tampered.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startRuntime } from "../../../gpu-runtime/service/runtime.ts";
import { readPackManifest } from "../../../shared/pack/pack-manifest.ts";
import { snapshotPath } from "../../../models/pull/hub-location.ts";
import { listPack, verifyPack } from "../../../models/pull/inspect-pack.ts";
import { pullPack, type PullReport } from "../../../models/pull/pull-pack.ts";
import { pinnedFiles } from "../../../models/pull/source-manifest.ts";
import { writeTinyCheckpoints } from "../../../models/tiny/build-tiny-pack.ts";
import { decodeBase64, encodeEmbedding, parseRuntimeEvent, readSseStream, type RuntimeEvent } from "../../../shared/contract/index.ts";
import { startHubDouble, type HubDouble } from "./hub-double.ts";
import { SDXL_REPO, tinyHub, type TinyHub } from "./tiny-hub.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const run = promisify(execFile);
const TOKEN = "pulled-pack-test-token-0123";

describe("a pulled and compiled pack", () => {
  let work: string;
  let hub: TinyHub;
  let double: HubDouble;
  let cacheDir: string;
  let packsDir: string;
  let pulled: PullReport;

  /** A throwaway copy of the pull (packs and cache), to damage without disturbing other tests. */
  const copyOfPull = () => {
    const dir = mkdtempSync(join(work, "copy-"));
    cpSync(packsDir, join(dir, "packs"), { recursive: true, verbatimSymlinks: true });
    cpSync(cacheDir, join(dir, "cache"), { recursive: true, verbatimSymlinks: true });
    return { packsDir: join(dir, "packs"), cacheDir: join(dir, "cache") };
  };
  const flipByte = (path: string, at: number) => {
    const b = readFileSync(path);
    b[at] = b[at]! ^ 0xff;
    writeFileSync(path, b);
  };
  const cli = async (args: string[], env: Record<string, string>) => {
    try {
      const r = await run(process.execPath, [join(ROOT, "node_modules/tsx/dist/cli.mjs"), "models/cli.ts", ...args], {
        cwd: ROOT,
        env: { ...process.env, HF_TOKEN: "", ...env },
        maxBuffer: 16 << 20,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    vi.spyOn(console, "debug").mockImplementation(() => {});
    work = mkdtempSync(join(tmpdir(), "pulled-pack-"));
    writeTinyCheckpoints(join(work, "checkpoints"));
    hub = tinyHub(join(work, "checkpoints"));
    double = await startHubDouble(hub.files);
    cacheDir = join(work, "hub-cache"); // does not exist yet: an empty cache
    packsDir = join(work, "packs");
    pulled = await pullPack(hub.manifest, { hubUrl: double.url, cacheDir, packsDir, retryDelayMs: 0 });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await double?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("is compiled with the manifest's precision and face packs, beside the antelopev2 folder", () => {
    expect(pulled.compiled).toBe(true);
    const pack = readPackManifest(pulled.packDir);
    expect([pack.name, pack.precision, pack.faceEmbeddings]).toEqual(["sdxl", "fp16-weights", ["antelopev2"]]);
    expect(Object.keys(pack.networks).sort()).toEqual(["controlnet", "resampler", "text_encoder", "text_encoder_2", "unet", "vae_decoder"]);
    expect(pulled.faceDir).toBe(join(packsDir, "antelopev2"));
  });

  it("serves a tiny generation from the pulled-and-compiled pack", async () => {
    const runtime = await startRuntime({
      packDir: pulled.packDir,
      token: TOKEN,
      providers: ["cpu"],
      threads: 1,
      workers: 1,
      queueCapacity: 2,
      maxBatchLanes: 1,
      batchWindowMs: 0,
      shutdownGraceMs: 1000,
      promptCacheSize: 4,
      faceCacheSize: 4,
    });
    try {
      const health = await runtime.app.fetch(new Request("http://runtime/healthz"));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", pack: "sdxl" });

      const res = await runtime.app.fetch(
        new Request("http://runtime/v1/generate", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({
            embedding: encodeEmbedding(new Float32Array(512).map((_, i) => Math.cos(i * 0.21) * 2)),
            embeddingPack: "antelopev2",
            kps: [[20, 24], [44, 24], [32, 36], [22, 50], [42, 50]],
            prompt: "a portrait photo",
            width: 64,
            height: 64,
            steps: 2,
            guidanceScale: 5,
            identityStrength: 0.8,
            adapterStrength: 0.8,
            seed: 3,
            scheduler: "euler",
            numImages: 1,
            outputFormat: "png",
          }),
        }),
      );
      expect(res.status).toBe(200);
      const events: RuntimeEvent[] = [];
      for await (const m of readSseStream(res.body!)) events.push(parseRuntimeEvent(m.event, m.data));
      expect(events.map((e) => e.type)).toEqual(["accepted", "started", "progress", "progress", "image", "done"]);
      const image = events.find((e) => e.type === "image")!;
      if (image.type !== "image") throw new Error("unreachable");
      const meta = await sharp(decodeBase64(image.data.data)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["png", 64, 64]);
    } finally {
      await runtime.close(0);
    }
  });

  it("list shows the pack, the face files and every source as present", () => {
    const s = listPack(hub.manifest, { packsDir, cacheDir });
    expect("missing" in s.pack).toBe(false);
    expect(s.faceFiles.every((f) => f.present)).toBe(true);
    expect(s.sources.map((x) => x.state)).toEqual(pinnedFiles(hub.manifest).map(() => "present"));
  });

  it("verify finds an intact pull intact", async () => {
    const r = await verifyPack(hub.manifest, { packsDir, cacheDir });
    expect(r.problems).toEqual([]);
    const pack = readPackManifest(pulled.packDir);
    expect(r.intact.length).toBe(pack.files.length + 2 + pinnedFiles(hub.manifest).length);
  });

  it("verify names a tampered pack file, a damaged face file and a damaged cached source", async () => {
    const copy = copyOfPull();
    const packDir = join(copy.packsDir, "sdxl");
    flipByte(join(packDir, "unet.onnx"), 200);
    flipByte(join(copy.packsDir, "antelopev2", "glintr100.onnx"), 10);
    const vae = pinnedFiles(hub.manifest).find((f) => f.path === "vae/diffusion_pytorch_model.safetensors")!;
    flipByte(snapshotPath(copy.cacheDir, SDXL_REPO, vae.revision, vae.path), 64);

    const r = await verifyPack(hub.manifest, copy);
    expect(r.problems.map((p) => p.file).sort()).toEqual([join(copy.packsDir, "antelopev2", "glintr100.onnx"), join(packDir, "unet.onnx"), vae.key].sort());
    for (const p of r.problems) {
      expect(p.kind).toBe("damaged");
      expect(p.problem).toMatch(/^sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    }
  });

  it("verify without a compiled pack says how to get one; sources missing from the cache are only noted", async () => {
    const empty = { packsDir: mkdtempSync(join(work, "no-packs-")), cacheDir: mkdtempSync(join(work, "no-cache-")) };
    const r = await verifyPack(hub.manifest, empty);
    expect(r.problems[0]!.problem).toContain("npm run models -- pull sdxl");
    expect(r.problems.map((p) => p.file)).toEqual([
      join(empty.packsDir, "sdxl", "pack.json"),
      join(empty.packsDir, "antelopev2", "scrfd_10g_bnkps.onnx"),
      join(empty.packsDir, "antelopev2", "glintr100.onnx"),
    ]);
    expect(r.problems.map((p) => p.kind)).toEqual(["missing", "missing", "missing"]);
    expect(r.notes).toEqual([`${pinnedFiles(hub.manifest).length} of ${pinnedFiles(hub.manifest).length} source files are not in the hub cache ${empty.cacheDir} (only needed to compile the pack again)`]);
  });

  it("the CLI pulls from HF_ENDPOINT into HF_HUB_CACHE, then `verify` exits 0, and 1 naming a tampered file", async () => {
    const dir = mkdtempSync(join(work, "cli-"));
    const manifestFile = join(dir, "sdxl.json");
    writeFileSync(manifestFile, JSON.stringify(hub.manifest));
    const env = { HF_ENDPOINT: double.url, HF_HUB_CACHE: join(dir, "cache") };
    const where = ["--manifest", manifestFile, "--packs-dir", join(dir, "packs")];

    double.requests.length = 0;
    const pull = await cli(["pull", "sdxl", ...where], env);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`sdxl: ${new Set(pinnedFiles(hub.manifest).map((f) => `${f.repo}:${f.sha256}`)).size} file(s) downloaded`);
    expect(pull.stderr).toMatch(/verified/);
    expect(pull.stdout).not.toMatch(/^Downloading /m); // stdout stays the summary alone
    expect(double.requests.length).toBeGreaterThan(0);

    const list = await cli(["list", "sdxl", ...where], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`face pack  ${join(dir, "packs", "antelopev2")}: 2/2 files`);

    const intact = await cli(["verify", ...where], env);
    expect(intact.code, intact.stdout).toBe(0);

    flipByte(join(dir, "packs", "antelopev2", "scrfd_10g_bnkps.onnx"), 5);
    const tampered = await cli(["verify", ...where], env);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`DAMAGED ${join(dir, "packs", "antelopev2", "scrfd_10g_bnkps.onnx")}: sha256`);
  });
});
