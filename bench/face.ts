/**
 * Face analysis latency per photo, over the test photos (test/fixtures/faces):
 * intake alone (bytes -> upright RGB) and the lite pack's analysis (RGB -> faces, through the
 * worker-pool analyser, one call at a time). Prints p50/p95 in milliseconds, one number a line.
 * Then throughput in the same run: every photo sent at once to an analyser that batches them (the
 * runtime's /v1/faces/analyze: one task, each network's rows in one run) vs the photos one by one, in
 * images/s (same worker count, one ORT thread each).
 *
 *   npm run bench -- face [--runs 5]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fetchLitePack } from "../models/face-pack/fetch-lite-pack.ts";
import type { DecodedImage } from "../shared/face/face-analyser.ts";
import { createFaceAnalyser } from "../shared/face/onnx-face-analyser.ts";
import { decodeImage } from "../shared/image/image-intake.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { runs: { type: "string", default: "5" } },
});
const runs = Number(values.runs);
if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const facesDir = join(import.meta.dirname, "../test/fixtures/faces");
const photos = readdirSync(facesDir)
  .filter((f) => /\.(jpe?g|png|webp|avif)$/i.test(f))
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(facesDir, name)) }));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [performance.now() - t0, value];
}

const decoded: DecodedImage[] = [];
const intakeMs: number[] = [];
for (const p of photos) decoded.push(await decodeImage(p.bytes)); // warm-up, and the analyser's inputs
for (let r = 0; r < runs; r++) for (const p of photos) intakeMs.push((await time(() => decodeImage(p.bytes)))[0]);

const { dir } = await fetchLitePack();
const analyser = await createFaceAnalyser({ pack: "lite", dir }, { workers: 1 });
const liteMs: number[] = [];
try {
  for (const image of decoded) await analyser.analyse(image); // warm-up
  for (let r = 0; r < runs; r++) for (const image of decoded) liteMs.push((await time(() => analyser.analyse(image)))[0]);
} finally {
  await analyser.close();
}

// batched vs one by one, alternating rounds so both see the same machine load
const oneByOne = await createFaceAnalyser({ pack: "lite", dir }, { workers: 1 });
const batching = await createFaceAnalyser({ pack: "lite", dir, batchRows: true }, { workers: 1, batch: { maxImages: decoded.length, windowMs: 50 } });
let sequentialMs = 0;
let batchedMs = 0;
try {
  for (const image of decoded) await oneByOne.analyse(image); // warm-up
  await Promise.all(decoded.map((image) => batching.analyse(image)));
  for (let r = 0; r < runs; r++) {
    sequentialMs += (await time(async () => {
      for (const image of decoded) await oneByOne.analyse(image);
    }))[0];
    // the batch leaves when it holds every photo, not after the window
    batchedMs += (await time(() => Promise.all(decoded.map((image) => batching.analyse(image)))))[0];
  }
} finally {
  await Promise.all([oneByOne.close(), batching.close()]);
}
const rate = (ms: number) => (runs * decoded.length) / (ms / 1000);

console.log(`photos ${photos.length}`);
console.log(`runs ${runs}`);
console.log(`intake_p50_ms ${percentile(intakeMs, 50).toFixed(2)}`);
console.log(`intake_p95_ms ${percentile(intakeMs, 95).toFixed(2)}`);
console.log(`lite_p50_ms ${percentile(liteMs, 50).toFixed(2)}`);
console.log(`lite_p95_ms ${percentile(liteMs, 95).toFixed(2)}`);
console.log(`lite_images_per_s_batched ${rate(batchedMs).toFixed(2)}`);
console.log(`lite_images_per_s_one_by_one ${rate(sequentialMs).toFixed(2)}`);
