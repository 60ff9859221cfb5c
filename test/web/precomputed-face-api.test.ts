/**
 * POST /v1/identities with a precomputed face (what the web app sends after analysing the photo on
 * the device): the edge keeps the embedding and keypoints like an analysed photo's, deduplicates by
 * the embedding's hash, refuses another pack's embeddings (422) and malformed faces (400), and the
 * identity generates like any other. Real edge on loopback, real SQLite, the stub runtime.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEmbedding, encodeEmbedding } from "../../shared/contract/embedding.ts";
import { createFacePipeline } from "../../shared/face/create-face-pipeline.ts";
import { decodeImage } from "../../shared/image/image-intake.ts";
import { faceJsonBody } from "../../web/tools/face-json.ts";
import { startHarness, type Harness } from "../functions/helpers/edge-harness.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";

const ASTRONAUT = fileURLToPath(new URL("../../examples/astronaut.png", import.meta.url));

let h: Harness;
let key: string;
let body: ReturnType<typeof faceJsonBody>;

const post = (json: unknown, k = key) =>
  h.fetch("/v1/identities", { method: "POST", key: k, headers: { "content-type": "application/json" }, body: JSON.stringify(json) });

/** The body with `face` fields replaced. */
const withFace = (patch: Record<string, unknown>) => ({ ...body, face: { ...body.face, ...patch } });

beforeAll(async () => {
  const pipeline = await createFacePipeline({ pack: "lite", dir: await litePackDir() });
  try {
    const image = await decodeImage(readFileSync(ASTRONAUT));
    const [face] = await pipeline.analyse(image);
    body = faceJsonBody(face!, image.width, image.height, "lite");
  } finally {
    await pipeline.release();
  }
  h = await startHarness();
  key = await h.createKey("alice");
});

afterAll(async () => {
  await h?.close();
});

describe("precomputed-face identities", () => {
  let id: string;

  it("registers the face as sent (201), and the same embedding again is the same identity (200)", async () => {
    const res = await post(body);
    expect(res.status).toBe(201);
    const identity = await res.json();
    id = identity.id;
    expect(res.headers.get("location")).toBe(`/v1/identities/${id}`);
    expect(identity.embeddingModel).toBe("lite");
    expect(identity.face.kps).toEqual(body.face.kps);
    expect(identity.face.bbox).toEqual(body.face.bbox);
    expect(identity.imageSize).toEqual({ width: 512, height: 512 });
    expect(identity).not.toHaveProperty("embedding");

    const again = await post(withFace({ score: 0.5 }));
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(id);
    // Another user's identities are their own, even from the same embedding.
    const bob = await post(body, await h.createKey("bob"));
    expect(bob.status).toBe(201);
    expect((await bob.json()).id).not.toBe(id);
  });

  it("generates from it: the runtime gets the embedding as sent and its keypoints mapped onto the output", async () => {
    const res = await h.fetch("/v1/generations", {
      method: "POST",
      key,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: id, prompt: "portrait", width: 256, height: 256, steps: 2 }),
    });
    expect(res.status).toBe(202);
    const generation = await res.json();
    for (;;) {
      const g = await (await h.fetch(generation.links.self, { key })).json();
      if (["succeeded", "failed", "cancelled"].includes(g.status)) {
        expect(g.status).toBe("succeeded");
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const sent = h.stub.requests.at(-1)!;
    expect(sent.embeddingPack).toBe("lite");
    expect(Array.from(decodeEmbedding(sent.embedding)!)).toEqual(Array.from(decodeEmbedding(body.face.embedding)!));
    // A 512x512 photo onto a 256x256 output: half the coordinates.
    sent.kps.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(body.face.kps[i]![0]! / 2, 3);
      expect(y).toBeCloseTo(body.face.kps[i]![1]! / 2, 3);
    });
  });

  it.each([
    ["antelopev2", "another pack the edge could serve"],
    ["arcface_r100", "a model the edge does not know"],
  ])("refuses embeddingModel %s (%s): 422 embedding_model_mismatch", async (model) => {
    const res = await post({ ...body, embeddingModel: model });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = await res.json();
    expect(problem.code).toBe("embedding_model_mismatch");
    expect(problem.detail).toContain("lite");
  });

  const embeddingOf = (fill: (i: number) => number) => encodeEmbedding(Float32Array.from({ length: 512 }, (_, i) => fill(i)));
  it.each([
    ["511 floats", { embedding: Buffer.from(new Uint8Array(511 * 4)).toString("base64") }, "face.embedding", /2048 bytes/],
    ["513 floats", { embedding: Buffer.from(new Uint8Array(513 * 4)).toString("base64") }, "face.embedding", /2048 bytes/],
    ["a NaN", { embedding: embeddingOf((i) => (i === 7 ? NaN : 0.1)) }, "face.embedding", /value 7 is not finite/],
    ["an infinity", { embedding: embeddingOf((i) => (i === 511 ? -Infinity : 0.1)) }, "face.embedding", /value 511 is not finite/],
    ["not base64", { embedding: "%%%" }, "face.embedding", /base64/],
    ["a keypoint right of the image", { kps: [[10, 10], [20, 10], [15, 15], [10, 20], [513, 20]] }, "face.kps.4", /outside the 512x512 image/],
    ["a keypoint above the image", { kps: [[10, -1], [20, 10], [15, 15], [10, 20], [20, 20]] }, "face.kps.0", /outside/],
    ["four keypoints", { kps: [[10, 10], [20, 10], [15, 15], [10, 20]] }, "face.kps", /./],
    ["an empty box", { bbox: [100, 100, 100, 200] }, "face.bbox", /./],
    ["a zero width", { imageWidth: 0 }, "face.imageWidth", /./],
  ])("refuses a face with %s: 400 invalid_request naming the field", async (_what, patch, path, message) => {
    const res = await post(withFace(patch));
    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem.code).toBe("invalid_request");
    const error = problem.errors.find((e: { path: string }) => e.path === path);
    expect(error, JSON.stringify(problem.errors)).toBeDefined();
    expect(error.message).toMatch(message);
  });

  it("still takes photos as JSON base64 (a body without `face`)", async () => {
    const res = await post({ image: readFileSync(ASTRONAUT).toString("base64") });
    expect(res.status).toBe(201);
  });

  it("is documented in the OpenAPI document", async () => {
    const doc = await (await h.fetch("/openapi.json")).json();
    const json = doc.paths["/v1/identities"].post.requestBody.content["application/json"].schema;
    expect(JSON.stringify(json)).toContain("#/components/schemas/CreateIdentityFaceJson");
    const schema = doc.components.schemas.CreateIdentityFaceJson;
    expect(schema.required).toEqual(expect.arrayContaining(["face", "embeddingModel"]));
    expect(doc.paths["/v1/identities"].post.responses["422"].description).toContain("embedding_model_mismatch");
  });
});
