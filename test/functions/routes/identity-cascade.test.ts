/**
 * DELETE /v1/identities/{id}?cascade=true: the identity's generations and their stored images
 * (files on Node, R2 objects on Workers) go with it; without cascade they stay (the previous
 * behaviour, still the default).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { photoForm, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness();
  key = await h.createKey("user-cascade");
});
afterAll(() => h?.close());

async function identityWithImage(photo: string): Promise<{ identityId: string; generation: string; image: string }> {
  const identity = await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace(photo)) })).json();
  const res = await h.fetch("/v1/generations", {
    method: "POST",
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2 }),
  });
  expect(res.status).toBe(202);
  const generation = (await res.json()).links.self as string;
  for (let i = 0; i < 400; i++) {
    const g = await (await h.fetch(generation, { key })).json();
    if (g.status === "succeeded") return { identityId: identity.id, generation, image: `${generation}/images/0` };
    expect(["queued", "running"]).toContain(g.status);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the generation did not finish");
}

/** Whether the edge's image storage holds an image of the generation (a file on Node, an R2 object on Workers). */
const holdsImageOf = async (generationId: string) => (await h.storedImageKeys()).some((k) => k.includes(generationId));

describe("DELETE /v1/identities/{id}", () => {
  it("with ?cascade=true removes its generations and their stored images", async () => {
    const { identityId, generation, image } = await identityWithImage("astronaut.png");
    expect((await h.fetch(image, { key })).status).toBe(200);
    const generationId = generation.split("/").at(-1)!;
    expect(await holdsImageOf(generationId)).toBe(true);

    expect((await h.fetch(`/v1/identities/${identityId}?cascade=true`, { method: "DELETE", key })).status).toBe(204);
    expect((await h.fetch(`/v1/identities/${identityId}`, { key })).status).toBe(404);
    expect((await h.fetch(generation, { key })).status).toBe(404);
    expect((await h.fetch(image, { key })).status).toBe(404);
    expect(await holdsImageOf(generationId)).toBe(false);
  });

  it("without cascade removes the identity only: its generations' images stay readable", async () => {
    const { identityId, image } = await identityWithImage("grace_hopper.jpg");
    expect((await h.fetch(`/v1/identities/${identityId}`, { method: "DELETE", key })).status).toBe(204);
    expect((await h.fetch(`/v1/identities/${identityId}`, { key })).status).toBe(404);
    expect((await h.fetch(image, { key })).status).toBe(200);
  });

  it("refuses a cascade value other than true/false, and is 404 for another user's identity", async () => {
    const identity = await (await h.fetch("/v1/identities", { method: "POST", key, body: photoForm(await readFace("camera.png")) })).json();
    const bad = await h.fetch(`/v1/identities/${identity.id}?cascade=yes`, { method: "DELETE", key });
    expect(bad.status).toBe(400);
    const other = await h.createKey("user-cascade-other");
    expect((await h.fetch(`/v1/identities/${identity.id}?cascade=true`, { method: "DELETE", key: other })).status).toBe(404);
    expect((await h.fetch(`/v1/identities/${identity.id}`, { key })).status).toBe(200);
  });
});
