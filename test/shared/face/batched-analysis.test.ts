/**
 * Face analysis of several photos at once (the runtime's /v1/faces/analyze under concurrent requests):
 * photos that arrive together become one worker task whose detector, landmark and recognition rows run
 * as batches, and every face comes out exactly (to the byte) as analysing the photos one by one gives it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecodedImage, DetectedFace } from "../../../shared/face/face-analyser.ts";
import { openBatchable } from "../../../shared/face/batchable-model.ts";
import { LITE_PACK_FILES } from "../../../shared/face/face-pack-config.ts";
import { createFaceAnalyser } from "../../../shared/face/onnx-face-analyser.ts";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";
import { litePackDir } from "./lite-pack.ts";

const facesDir = join(import.meta.dirname, "../../fixtures/faces");
const bytesOf = (faces: DetectedFace[]) => faces.map((f) => ({ ...f, embedding: Buffer.from(f.embedding.buffer, f.embedding.byteOffset, f.embedding.byteLength).toString("hex") }));

let dir: string;
let photos: DecodedImage[];
beforeAll(async () => {
  dir = await litePackDir();
  const names = readdirSync(facesDir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  photos = await Promise.all(names.map((n) => decodeImage(readFileSync(join(facesDir, n)))));
});

describe("batched face analysis (lite pack, cpu)", () => {
  let sequential: Awaited<ReturnType<typeof createFaceAnalyser>>;
  let batched: Awaited<ReturnType<typeof createFaceAnalyser>>;
  beforeAll(async () => {
    sequential = await createFaceAnalyser({ pack: "lite", dir }, { workers: 1 });
    batched = await createFaceAnalyser({ pack: "lite", dir, batchRows: true }, { workers: 1, batch: { maxImages: 16, windowMs: 200 } });
  });
  afterAll(async () => {
    await Promise.all([sequential?.close(), batched?.close()]);
  });

  it("gives concurrent photos, analysed as one batch, byte-identical faces to one-by-one analysis", async () => {
    const one: DetectedFace[][] = [];
    for (const p of photos) one.push(await sequential.analyse(p));
    expect(one.flat().length).toBeGreaterThan(photos.length / 2);
    const together = await Promise.all(photos.map((p) => batched.analyse(p)));
    expect(batched.stats()).toEqual({ tasks: 1, images: photos.length, largestBatch: photos.length });
    expect(together.map(bytesOf)).toEqual(one.map(bytesOf));
    // and a photo alone through the batching analyser is the same too
    expect(bytesOf(await batched.analyse(photos[0]!))).toEqual(bytesOf(one[0]!));
    expect(batched.stats().tasks).toBe(2);
  });

  it("opens every lite network batchable (MobileFaceNet's constant [1, 512] reshape rewritten), each row as it comes alone", async () => {
    for (const file of LITE_PACK_FILES) {
      const s = await openBatchable(join(dir, file), { intraOpThreads: 1 });
      expect(s, file).toBeDefined();
      await s!.release();
    }
  });

  it("leaves a model it cannot check row by row (dynamic spatial dims) unbatched", async () => {
    const tiny = await ensureTinyPack();
    expect(await openBatchable(join(tiny, "vae_decoder.onnx"), {})).toBeUndefined();
  });
});
