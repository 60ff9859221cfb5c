/**
 * Memory stays bounded whatever photos arrive: 20 concurrent 49 MP PNGs (under 2 MB each,
 * under the 50 MP limit) from two users keep the edge process under 768 MB peak RSS. Photos are
 * shrunk on load and admitted against a pixel budget; what does not fit is refused with 503 +
 * Retry-After instead of growing. The edge is a real process, so its RSS is its own.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeysCli } from "../../functions/cli/keys.ts";
import { crc32 } from "../../shared/checkpoint/crc32.ts";
import { readFace } from "../functions/helpers/edge-harness.ts";
import { startEdgeProcess, type EdgeProcess } from "./helpers/edge-process.ts";

const MB = 1024 * 1024;
let edge: EdgeProcess;
let dataDir: string;
const keys: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-mem-"));
  for (const user of ["mem-a", "mem-b"]) {
    const lines: string[] = [];
    await runKeysCli(["create", "--user", user, "--requests-burst", "100"], dataDir, (l) => lines.push(l));
    keys.push(lines.at(-1)!);
  }
  edge = await startEdgeProcess({ DATA_DIR: dataDir, RUNTIME_URL: "http://127.0.0.1:9" });
});
afterAll(async () => {
  await edge?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.runIf(existsSync("/proc/self/status"))("bounded photo memory", () => {
  it("20 concurrent 7000x7000 PNGs from two users: every answer 201/200 or 503 + Retry-After, peak RSS under 768 MB", async () => {
    // The face fills a phone-photo-like share of the frame (it must survive the shrink to 2048).
    const face = await sharp(await readFace("astronaut.png")).resize(1600, 1600).png().toBuffer();
    // One 7000x7000 palette PNG (small upload, as the issue's ~150 KB photos: the cost is in the
    // pixels); each copy gets its own text chunk, so none is answered from the content-hash cache.
    const base = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: { r: 110, g: 130, b: 140 } } })
      .composite([{ input: face, left: 2700, top: 2700 }])
      .png({ palette: true })
      .toBuffer();
    const photos = Array.from({ length: 20 }, (_, i) => withTextChunk(base, `copy ${i}`));
    expect(Math.max(...photos.map((p) => p.length))).toBeLessThan(2 * MB);
    const before = edge.rss()!;
    const responses = await Promise.all(
      photos.map((p, i) => {
        const form = new FormData();
        form.append("image", new Blob([new Uint8Array(p)]), "big.png");
        return fetch(`${edge.url}/v1/identities`, { method: "POST", headers: { authorization: `Bearer ${keys[i % 2]}` }, body: form });
      }),
    );
    const statuses = responses.map((r) => r.status);
    for (const r of responses) {
      if (r.status === 503) {
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(await r.json()).toMatchObject({ code: "intake_busy", retryable: true });
      } else {
        expect(r.status, await r.text()).toBe(201);
      }
    }
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    const peak = edge.peakRss()!;
    console.log(`photo memory: rss before ${(before / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB; answers ${JSON.stringify(statuses)}`);
    expect(peak).toBeLessThan(768 * MB);
  });
});

/** The PNG with a tEXt chunk inserted before IEND (the last 12 bytes). */
function withTextChunk(png: Buffer, text: string): Buffer {
  const data = Buffer.from(`Comment\0${text}`, "latin1");
  const typeAndData = Buffer.concat([Buffer.from("tEXt", "latin1"), data]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData) >>> 0, 8 + data.length);
  return Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
}
