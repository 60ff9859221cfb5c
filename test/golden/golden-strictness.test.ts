/**
 * The golden runner must not pass a case vacuously, and every component's comparison must bite:
 * each shipped case, with one expected value corrupted, has to fail. Cases are copied to a temp
 * folder (beside a link to the faces folder, as the face case looks for its photo there).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGoldenCase } from "./runner.ts";

const fixtures = join(import.meta.dirname, "../fixtures");
let root: string;
let golden: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "golden-strict-"));
  golden = join(root, "golden");
  cpSync(join(fixtures, "golden"), golden, { recursive: true });
  symlinkSync(join(fixtures, "faces"), join(root, "faces"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Adds a large offset to the first float of an F32 tensor in a safetensors file, in place. */
function corruptTensor(file: string, tensor: string): void {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const entry = header[tensor];
  if (!entry) throw new Error(`${file} has no tensor ${tensor}`);
  if (entry.dtype !== "F32") throw new Error(`${tensor} is ${entry.dtype}, expected F32`);
  const at = 8 + headerLength + entry.data_offsets[0];
  bytes.writeFloatLE(bytes.readFloatLE(at) + 1000, at);
  writeFileSync(file, bytes);
}

function tensorNames(file: string): string[] {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return Object.keys(JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as object).filter((k) => k !== "__metadata__");
}

function editJson(file: string, edit: (json: any) => void): void {
  const json = JSON.parse(readFileSync(file, "utf8"));
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

/** A fresh copy of one case under another name, so corruptions never touch each other. */
function copyCase(name: string, as: string): string {
  const dir = join(golden, as);
  cpSync(join(golden, name), dir, { recursive: true });
  return dir;
}

const lastOut = (file: string) => tensorNames(file).filter((n) => n.startsWith("out.")).sort().at(-1)!;

describe("golden runner strictness: a case with nothing to compare fails", () => {
  it("a network case without out.* tensors", async () => {
    const dir = copyCase("resampler", "resampler_no_outputs");
    const io = readFileSync(join(dir, "io.safetensors"));
    const headerLength = Number(io.readBigUInt64LE(0));
    const header = JSON.parse(io.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
    // Rename out.* to kept.* (same bytes, same offsets): the inputs stay, the expectations go.
    const renamed = Object.fromEntries(Object.entries(header).map(([k, v]) => [k.startsWith("out.") ? `kept.${k.slice(4)}` : k, v]));
    let json = JSON.stringify(renamed);
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(dir, "io.safetensors"), Buffer.concat([head, Buffer.from(json), io.subarray(8 + headerLength)]));
    const result = await runGoldenCase(dir);
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/no out\.\* tensors/);
  });

  it("a face case without entries", async () => {
    const dir = copyCase("face", "face_empty");
    editJson(join(dir, "meta.json"), (m) => {
      delete m.scrfd;
      delete m.align;
    });
    const result = await runGoldenCase(dir);
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/no scrfd or align entries/);
  });

  it("a tokenizer file without cases", async () => {
    const file = join(root, "tokenizer-empty.json");
    writeFileSync(file, JSON.stringify({ component: "tokenizer", cases: [] }));
    const result = await runGoldenCase(file);
    expect(result.pass).toBe(false);
  });
});

describe("golden runner strictness: a corrupted expected value fails the case, for every component", () => {
  const networkCases = ["controlnet", "resampler", "text_encoder", "text_encoder_2", "unet", "vae_decoder"];
  it.each(networkCases)("%s: one value of its last out.* tensor", async (name) => {
    // Corrupted in place on the copy: the pipeline case reads its siblings' checkpoints, not their io.
    const dir = copyCase(name, `${name}_corrupt`);
    const io = join(dir, "io.safetensors");
    const tensor = lastOut(io);
    corruptTensor(io, tensor);
    const result = await runGoldenCase(dir);
    expect(result, `${name} ${tensor}`).toMatchObject({ pass: false });
    expect(result.detail?.[tensor.slice(4)]).toBeGreaterThan(result.atol!);
  });

  const schedulers = ["ddim", "dpmpp_2m_karras", "euler", "euler_a", "lcm"].map((s) => `scheduler_${s}_4`);
  it.each(schedulers)("%s: one value of the last step's prev_sample, and separately of the timesteps", async (name) => {
    for (const tensor of ["step3.prev_sample", "out.timesteps"]) {
      const dir = copyCase(name, `${name}_corrupt_${tensor}`);
      corruptTensor(join(dir, "io.safetensors"), tensor);
      expect(await runGoldenCase(dir), `${name} ${tensor}`).toMatchObject({ pass: false });
    }
  });

  it("pipeline: one value of out.image, and separately of a traced step", async () => {
    for (const tensor of ["out.image", "trace.step1.latents"]) {
      const dir = copyCase("pipeline", `pipeline_corrupt_${tensor}`);
      corruptTensor(join(dir, "io.safetensors"), tensor);
      expect(await runGoldenCase(dir), tensor).toMatchObject({ pass: false });
    }
  });

  it("face: an SCRFD box, an SCRFD keypoint, an alignment matrix entry, an aligned crop", async () => {
    const corruptions: [string, (dir: string) => Promise<void> | void][] = [
      ["boxes", (dir) => corruptTensor(join(dir, "scrfd_0.safetensors"), "boxes")],
      ["kps", (dir) => corruptTensor(join(dir, "scrfd_1.safetensors"), "kps")],
      ["M", (dir) => editJson(join(dir, "meta.json"), (m) => (m.align[0].M[0][2] += 1))],
      [
        "crop",
        async (dir) => {
          const file = join(dir, "aligned_1.png");
          const inverted = await sharp(readFileSync(file)).negate({ alpha: false }).png().toBuffer();
          writeFileSync(file, inverted);
        },
      ],
    ];
    for (const [what, corrupt] of corruptions) {
      const dir = copyCase("face", `face_corrupt_${what}`);
      await corrupt(dir);
      expect(await runGoldenCase(dir), what).toMatchObject({ pass: false });
    }
  });

  it("draw_kps: the reference control image inverted", async () => {
    const dir = copyCase("draw_kps_0", "draw_kps_corrupt");
    const file = join(dir, "kps.png");
    writeFileSync(file, await sharp(readFileSync(file)).negate({ alpha: false }).png().toBuffer());
    expect(await runGoldenCase(dir)).toMatchObject({ pass: false });
  });

  it("tokenizer: one expected id changed", async () => {
    const file = join(root, "tokenizer-corrupt.json");
    const json = JSON.parse(readFileSync(join(fixtures, "golden/tokenizer.json"), "utf8"));
    const target = (json.cases as { ids: number[] }[]).find((c) => c.ids.length > 1)!;
    target.ids[1]! += 1;
    writeFileSync(file, JSON.stringify(json));
    expect(await runGoldenCase(file)).toMatchObject({ pass: false, maxAbsErr: 1 });
  });
});
