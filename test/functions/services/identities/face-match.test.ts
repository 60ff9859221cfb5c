/**
 * Photos of different people are refused as one identity (422 identity_mismatch), by each face
 * pack's documented threshold; photos of one person still register.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMismatchedPhoto, IDENTITY_MATCH_THRESHOLDS } from "../../../../functions/services/identities/face-match.ts";
import { photoForm, readFace, startHarness, type Harness } from "../../helpers/edge-harness.ts";

/** A 512-d vector with `base` plus a seeded perturbation of the given size. */
function vector(seed: number, base?: Float32Array, noise = 1): Float32Array {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Float32Array.from({ length: 512 }, (_, i) => (base ? base[i]! : 0) + noise * rand());
}

describe("findMismatchedPhoto", () => {
  it("documents a threshold for every face pack", () => {
    expect(Object.keys(IDENTITY_MATCH_THRESHOLDS).sort()).toEqual(["antelopev2", "lite"]);
  });

  it("accepts one photo, and photos near one direction (raw scale does not matter)", () => {
    const person = vector(1);
    expect(findMismatchedPhoto([person], "antelopev2")).toBeUndefined();
    const same = [vector(2, person, 0.5), vector(3, person, 0.5).map((x) => x * 7), vector(4, person, 0.5)];
    expect(findMismatchedPhoto(same, "antelopev2")).toBeUndefined();
  });

  it("names the photo that matches the others least when it is below the threshold", () => {
    const person = vector(1);
    const stranger = vector(99);
    const m = findMismatchedPhoto([vector(2, person, 0.5), vector(3, person, 0.5), stranger], "antelopev2");
    expect(m).toMatchObject({ photoIndex: 2, threshold: 0.2 });
    expect(m!.similarity).toBeLessThan(0.2);
  });

  it("refuses unrelated faces under either pack", () => {
    const four = [vector(10), vector(20), vector(30), vector(40)];
    expect(findMismatchedPhoto(four, "antelopev2")).toBeDefined();
    // lite's threshold (0) refuses a face pointing away from the others.
    expect(findMismatchedPhoto([vector(10), vector(20), vector(30), vector(10).map((x) => -x)], "lite")).toBeDefined();
  });
});

describe("POST /v1/identities with photos of different people (real lite pack)", () => {
  let h: Harness;
  let key: string;
  beforeAll(async () => {
    h = await startHarness();
    key = await h.createKey("user-match");
  });
  afterAll(() => h?.close());

  it("refuses four photos of four different people with 422 identity_mismatch", async () => {
    const photos = await Promise.all(["astronaut.png", "grace_hopper.jpg", "sample1.jpg", "camera.png"].map(readFace));
    const res = await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(...photos) });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body).toMatchObject({ code: "identity_mismatch", threshold: IDENTITY_MATCH_THRESHOLDS.lite });
    expect(body.photoIndex).toBeGreaterThanOrEqual(0);
    expect(body.similarity).toBeLessThan(IDENTITY_MATCH_THRESHOLDS.lite);
  });

  it("registers three photos of one person (mirrored, re-compressed, smaller)", async () => {
    const camera = await readFace("camera.png");
    const mirrored = await sharp(camera).flop().jpeg({ quality: 70 }).toBuffer();
    const smaller = await sharp(camera).resize({ width: 300 }).modulate({ brightness: 1.2 }).jpeg({ quality: 60 }).toBuffer();
    const res = await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(camera, mirrored, smaller) });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await res.json()).photos).toBe(3);
  });
});
