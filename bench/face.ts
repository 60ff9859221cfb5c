/**
 * Face analysis latency per photo, over the test photos (test/fixtures/faces):
 * intake alone (bytes -> upright RGB) and the lite pack's analysis (RGB -> faces, through the
 * worker-pool analyser, one call at a time). Prints p50/p95 in milliseconds, one number a line.
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

console.log(`photos ${photos.length}`);
console.log(`runs ${runs}`);
console.log(`intake_p50_ms ${percentile(intakeMs, 50).toFixed(2)}`);
console.log(`intake_p95_ms ${percentile(intakeMs, 95).toFixed(2)}`);
console.log(`lite_p50_ms ${percentile(liteMs, 50).toFixed(2)}`);
console.log(`lite_p95_ms ${percentile(liteMs, 95).toFixed(2)}`);
