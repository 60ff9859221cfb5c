import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { PROBLEM_CONTENT_TYPE } from "../../../shared/contract/problem.ts";
import { photoForm, readFace, startHarness, type Harness, type TestResponse } from "../helpers/edge-harness.ts";

let h: Harness;
let keyA: string;
let keyB: string;
let astronaut: Uint8Array;
let grace: Uint8Array;
let rocket: Uint8Array;

beforeAll(async () => {
  h = await startHarness();
  keyA = await h.createKey("user-a");
  keyB = await h.createKey("user-b");
  [astronaut, grace, rocket] = await Promise.all([
    readFace("astronaut.png"),
    readFace("grace_hopper.jpg"),
    readFace("no-face-rocket.jpg"),
  ]);
});
afterAll(() => h?.close());

const register = (key: string, ...photos: Uint8Array[]) =>
  h.fetch("/v1/identities", { method: "POST", key, body: photoForm(...photos) });

async function expectProblem(res: TestResponse, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
  const body = await res.json();
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}

/**
 * A JSON POST on a connection of its own, answered as soon as the response is in: an edge that
 * refuses the body before reading it may close the connection mid-upload (the Worker under
 * wrangler does), so the test's shared keep-alive pool must not get that socket back.
 */
function postOnItsOwnConnection(path: string, key: string, body: Uint8Array) {
  const url = new URL(h.url);
  return new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        answered = true;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          resolve({ status: res.statusCode!, contentType: res.headers["content-type"], body: text });
          req.destroy();
        });
      },
    );
    // A write cut short by the edge closing after its answer is expected; before it, a failure.
    req.on("error", (e) => !answered && reject(e));
    req.end(body);
  });
}

/** An iPhone photo as it arrives: an HEIF container with HEIC brands (a real AVIF of the astronaut, relabelled). */
async function heicPhoto(): Promise<Uint8Array> {
  const file = Buffer.from(await sharp(astronaut).resize(64, 64).avif().toBuffer());
  const ftypSize = file.readUInt32BE(0);
  for (let o = 8; o + 4 <= ftypSize; o += 4) if (o !== 12) file.write(o === 8 ? "heic" : "mif1", o, "latin1");
  return new Uint8Array(file);
}

describe("POST /v1/identities", () => {
  it("registers astronaut and grace_hopper with one face each (lite pack)", async () => {
    for (const photo of [astronaut, grace]) {
      const res = await register(keyA, photo);
      expect(res.status).toBe(201);
      const body = await res.json();
      expect(body.id).toMatch(/^idn_/);
      expect(body.faces).toBe(1);
      expect(body.embeddingModel).toBe("lite");
      expect(body.face.bbox).toHaveLength(4);
      expect(body.face.kps).toHaveLength(5);
      const [x1, y1, x2, y2] = body.face.bbox;
      for (const [x, y] of body.face.kps) {
        expect(x).toBeGreaterThan(x1);
        expect(x).toBeLessThan(x2);
        expect(y).toBeGreaterThan(y1);
        expect(y).toBeLessThan(y2);
      }
      expect(body).not.toHaveProperty("embedding");
      expect(res.headers.get("location")).toBe(`/v1/identities/${body.id}`);
    }
  });

  it("returns the same identity for the same photo again, without analysing it again (200)", async () => {
    const first = await (await register(keyA, astronaut)).json();
    const callsBefore = h.kit.analyser.calls;
    const again = await register(keyA, astronaut);
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(first.id);
    expect(h.kit.analyser.calls).toBe(callsBefore);
  });

  it("analyses concurrent uploads of one new photo once", async () => {
    const photo = await readFace("sample1.jpg");
    const callsBefore = h.kit.analyser.calls;
    const results = await Promise.all([register(keyA, photo), register(keyA, photo), register(keyA, photo)]);
    const bodies = await Promise.all(results.map((r) => r.json()));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(h.kit.analyser.calls - callsBefore).toBe(1);
  });

  it("keeps users apart: the same photo from another user is another identity", async () => {
    const a = await (await register(keyA, grace)).json();
    const b = await register(keyB, grace);
    expect(b.status).toBe(201);
    expect((await b.json()).id).not.toBe(a.id);
  });

  it("averages the embeddings of several photos into one identity", async () => {
    const res = await register(keyA, astronaut, grace);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.photos).toBe(2);
    // The stored embedding is the mean of each photo's own embedding.
    const singles = await Promise.all(
      [astronaut, grace].map(async (p) => (await h.kit.analyser.analyse(await h.kit.decodePhoto(p)))[0].embedding),
    );
    // Read through a second store connection: the row itself is encrypted (embedding-encryption.test.ts).
    const stored = (await h.storedIdentity("user-a", body.id))!.embedding;
    let maxErr = 0;
    for (let i = 0; i < stored.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(stored[i] - (singles[0][i] + singles[1][i]) / 2));
    }
    expect(maxErr).toBeLessThan(1e-6);
    // Order does not matter: the same two photos the other way round are the same identity.
    const swapped = await register(keyA, grace, astronaut);
    expect(swapped.status).toBe(200);
    expect((await swapped.json()).id).toBe(body.id);
  });

  it("accepts JSON base64 photos", async () => {
    const b64 = Buffer.from(astronaut).toString("base64");
    const res = await h.fetch("/v1/identities", {
      method: "POST",
      key: keyB,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ images: [`data:image/png;base64,${b64}`] }),
    });
    expect([200, 201]).toContain(res.status);
    expect((await res.json()).faces).toBe(1);
  });

  it("answers 422 no_face_detected for the rocket photo", async () => {
    await expectProblem(await register(keyA, rocket), 422, "no_face_detected");
  });

  it("answers 422 no_face_detected naming the faceless photo among several", async () => {
    const body = await expectProblem(await register(keyA, grace, rocket), 422, "no_face_detected");
    expect(body.photoIndex).toBe(1);
  });

  it("refuses a HEIC photo with 415 unsupported_format, saying what to send", async () => {
    const body = await expectProblem(await register(keyA, await heicPhoto()), 415, "unsupported_format");
    expect(body.detail).toMatch(/HEIC/);
    expect(body.detail).toMatch(/JPEG, PNG, WebP or AVIF/);
  });

  it("refuses a truncated photo with 400 corrupt_image", async () => {
    await expectProblem(await register(keyA, grace.subarray(0, Math.floor(grace.length / 2))), 400, "corrupt_image");
    await expectProblem(await register(keyA, astronaut.subarray(0, 200)), 400, "corrupt_image");
  });

  it("refuses bad inputs with problem+json codes", async () => {
    await expectProblem(await h.fetch("/v1/identities", { method: "POST", key: keyA, body: new FormData() }), 400, "invalid_request");
    await expectProblem(await register(keyA, astronaut, grace, astronaut, grace, astronaut), 400, "invalid_request");
    await expectProblem(
      await h.fetch("/v1/identities", { method: "POST", key: keyA, headers: { "content-type": "text/plain" }, body: "hi" }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await h.fetch("/v1/identities", { method: "POST", key: keyA, headers: { "content-type": "application/json" }, body: "{" }),
      400,
      "invalid_json",
    );
    await expectProblem(
      await h.fetch("/v1/identities", {
        method: "POST",
        key: keyA,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image: "@@not base64@@" }),
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await h.fetch("/v1/identities", {
        method: "POST",
        key: keyA,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ images: [] }),
      }),
      400,
      "invalid_request",
    );
    await expectProblem(await register(keyA, new TextEncoder().encode("GIF89a not a supported photo")), 415, "unsupported_format");
  });

  it("answers 413 for a body over the limit before reading it", async () => {
    const res = await postOnItsOwnConnection("/v1/identities", keyA, new Uint8Array(65 * 1024 * 1024));
    expect(res.status).toBe(413);
    expect(res.contentType).toContain(PROBLEM_CONTENT_TYPE);
    expect(JSON.parse(res.body)).toMatchObject({ status: 413, code: "payload_too_large" });
  });
});

describe("identities belong to their user", () => {
  it("B cannot see, use or delete A's identity (404, never 403)", async () => {
    const a = await (await register(keyA, astronaut)).json();
    await expectProblem(await h.fetch(`/v1/identities/${a.id}`, { key: keyB }), 404, "identity_not_found");
    await expectProblem(await h.fetch(`/v1/identities/${a.id}`, { method: "DELETE", key: keyB }), 404, "identity_not_found");
    const gen = await h.fetch("/v1/generations", {
      method: "POST",
      key: keyB,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: a.id, prompt: "a person", width: 64, height: 64, steps: 1 }),
    });
    await expectProblem(gen, 404, "identity_not_found");
    // Still there for A.
    expect((await h.fetch(`/v1/identities/${a.id}`, { key: keyA })).status).toBe(200);
  });

  it("DELETE removes the embedding row; the identity is then gone", async () => {
    const photo = await readFace("sample2.jpg");
    const a = await (await register(keyA, photo)).json();
    expect((await h.fetch(`/v1/identities/${a.id}`, { key: keyA })).status).toBe(200);
    // The edge's own database (SQLite file or D1) holds the row, then does not.
    const count = async () => (await h.queryRows("SELECT COUNT(*) AS n FROM identities WHERE id = ?", a.id))[0]!.n;
    expect(await count()).toBe(1);
    const del = await h.fetch(`/v1/identities/${a.id}`, { method: "DELETE", key: keyA });
    expect(del.status).toBe(204);
    expect(await count()).toBe(0);
    await expectProblem(await h.fetch(`/v1/identities/${a.id}`, { key: keyA }), 404, "identity_not_found");
    await expectProblem(await h.fetch(`/v1/identities/${a.id}`, { method: "DELETE", key: keyA }), 404, "identity_not_found");
    // The same photo again is analysed afresh into a new identity.
    const again = await register(keyA, photo);
    expect(again.status).toBe(201);
    expect((await again.json()).id).not.toBe(a.id);
  });
});
