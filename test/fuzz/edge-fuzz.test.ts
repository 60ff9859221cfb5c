/**
 * Fuzzing the edge over real HTTP (fast-check, fixed seeds, bounded runs for CI): request bodies,
 * headers, multipart framing and image bytes (mutated JPEG/PNG/WebP/AVIF headers, truncations,
 * huge declared dimensions, zip-bomb-like PNGs). Whatever arrives: never a 5xx other than a
 * retryable 503, never a crash, and memory stays bounded.
 */
import fc from "fast-check";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crc32 } from "../../shared/checkpoint/crc32.ts";
import { readFace, startHarness, type Harness, type TestResponse } from "../functions/helpers/edge-harness.ts";

let h: Harness;
let key: string;
let identityId: string;
const seeds: Record<string, Buffer> = {};

beforeAll(async () => {
  h = await startHarness();
  key = await h.createKey("user-fuzz", ["--requests-burst", "100000", "--requests-per-minute", "100000"]);
  const face = await readFace("astronaut.png");
  seeds.png = Buffer.from(face);
  seeds.jpeg = await sharp(face).jpeg().toBuffer();
  seeds.webp = await sharp(face).webp().toBuffer();
  seeds.avif = await sharp(face).resize(128).avif().toBuffer();
  const res = await h.fetch("/v1/identities", { method: "POST", key, body: form(seeds.png) });
  identityId = (await res.json()).id;
}, 120_000);
afterAll(() => h?.close());

function form(bytes: Uint8Array, field = "image"): FormData {
  const f = new FormData();
  f.append(field, new Blob([new Uint8Array(bytes)]), "photo");
  return f;
}

/** A 5xx is a bug, except a retryable 503 (photos in flight past the pixel budget, a busy runtime). */
async function expectHandled(res: TestResponse, what: string): Promise<void> {
  const text = await res.text();
  if (res.status >= 500) {
    expect(res.status, `${what}: ${text}`).toBe(503);
    expect(JSON.parse(text).retryable, `${what}: ${text}`).toBe(true);
  }
  if (res.status >= 400) expect(res.headers.get("content-type"), what).toBe("application/problem+json");
}

/** A PNG whose IHDR declares other dimensions (CRC fixed, so only the size lies). */
function withDeclaredSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)) >>> 0, 29);
  return out;
}

const RUNS = { numRuns: 40, seed: 1313, endOnFailure: true } as const;

describe("fuzz: image bytes", () => {
  it("mutated headers, truncations and flipped bytes of JPEG/PNG/WebP/AVIF photos", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("png", "jpeg", "webp", "avif"),
        fc.array(fc.tuple(fc.nat({ max: 63 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (format, flips, cut) => {
          let bytes = Buffer.from(seeds[format]!);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          if (cut !== undefined) bytes = bytes.subarray(0, cut % bytes.length);
          await expectHandled(await h.fetch("/v1/identities", { method: "POST", key, body: form(bytes) }), `${format} ${JSON.stringify({ flips, cut })}`);
        },
      ),
      RUNS,
    );
  }, 300_000);

  it("huge declared dimensions and zip-bomb-like PNGs are refused or shrunk, with memory bounded", async () => {
    const before = process.memoryUsage().rss;
    // 20000x20000 of one colour compresses to a few hundred KB and would be 1.2 GB of RGB.
    const bomb = await sharp({ create: { width: 20000, height: 20000, channels: 3, background: "black" }, limitInputPixels: false }).png({ compressionLevel: 9 }).toBuffer();
    const nearLimit = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: "black" } }).png({ compressionLevel: 9 }).toBuffer();
    const cases: [string, Buffer][] = [
      ["bomb 400 MP", bomb],
      ["49 MP of zeros", nearLimit],
      ...[[0, 0], [1, 0x7fffffff], [0x7fffffff, 0x7fffffff], [65535, 65535], [1, 1]].map(
        ([w, hgt]) => [`declared ${w}x${hgt}`, withDeclaredSize(seeds.png!, w!, hgt!)] as [string, Buffer],
      ),
    ];
    for (const [what, bytes] of cases) {
      const res = await h.fetch("/v1/identities", { method: "POST", key, body: form(bytes) });
      await expectHandled(res, what);
      expect(res.status, what).not.toBe(201);
    }
    // The test process holds the edge, the fixtures and vitest; decoding a bomb would add > 1 GB.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  }, 300_000);
});

describe("fuzz: request bodies, headers and multipart framing", () => {
  it("arbitrary JSON and bytes to both POST endpoints", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/v1/identities", "/v1/generations"),
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.record({ identityId: fc.oneof(fc.constant(identityId), fc.string()), prompt: fc.string(), width: fc.integer(), steps: fc.integer(), seed: fc.double() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
          fc.record({ image: fc.string(), images: fc.array(fc.base64String({ maxLength: 200 })) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 300 }),
        ),
        fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", "multipart/form-data"),
        async (path, body, type) => {
          const res = await h.fetch(path, { method: "POST", key, headers: { "content-type": type }, body });
          await expectHandled(res, `${path} ${type} ${body.slice(0, 120)}`);
        },
      ),
      { ...RUNS, numRuns: 120 },
    );
  }, 300_000);

  it("arbitrary header names and values, and authorization values", async () => {
    const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/);
    const value = fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(token, value, { maxKeys: 8 }), fc.option(value, { nil: undefined }), async (headers, auth) => {
        const init: Record<string, string> = { ...headers };
        if (auth !== undefined) init.authorization = auth;
        else init.authorization = `Bearer ${key}`;
        for (const path of [`/v1/identities/${identityId}`, "/v1/generations/gen_x", "/healthz"]) {
          let res: TestResponse;
          try {
            res = (await fetch(`${h.url}${path}`, { headers: init })) as TestResponse;
          } catch {
            return; // a header fetch itself refuses to send
          }
          await expectHandled(res, `${path} ${JSON.stringify(init).slice(0, 200)}`);
        }
      }),
      RUNS,
    );
  }, 300_000);

  it("broken multipart framing: wrong or missing boundaries, truncated parts, odd field names", async () => {
    const photo = seeds.jpeg!;
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[0-9A-Za-z'()+_,./:=?-]{1,70}$/),
        fc.constantFrom("image", "images", "Image", "", "image[]"),
        fc.nat(),
        fc.boolean(),
        fc.constantFrom("", "; boundary=", "; boundary=wrong", "; boundary=\"\""),
        async (boundary, field, cut, closeIt, typeTail) => {
          const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
          const tail = Buffer.from(closeIt ? `\r\n--${boundary}--\r\n` : "\r\n");
          let body = Buffer.concat([head, photo, tail]);
          body = body.subarray(0, Math.max(1, cut % (body.length + 1)));
          const type = typeTail === "" ? `multipart/form-data; boundary=${boundary}` : `multipart/form-data${typeTail}`;
          const res = await h.fetch("/v1/identities", { method: "POST", key, headers: { "content-type": type }, body });
          await expectHandled(res, `${type} field=${field} cut=${cut} close=${closeIt}`);
        },
      ),
      RUNS,
    );
  }, 300_000);
});
