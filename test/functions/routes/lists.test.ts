/**
 * GET /v1/identities and GET /v1/generations over real HTTP: the key's user's rows newest first,
 * each as its single GET shows it (never an embedding), filtered by identity and live status, paged
 * with an opaque cursor that neither skips nor repeats while new rows arrive, and bad query
 * parameters refused as 400 invalid_request naming the field. Runs on the Node edge and, unchanged,
 * on the Workers edge (vitest project workers-contract).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import { startHarness, type Harness } from "../helpers/edge-harness.ts";

let h: Harness;
const BIG = ["--requests-burst", "100000", "--requests-per-minute", "100000"];

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

let faces = 0;
/** A face analysed on a device: a distinct embedding each call, so a distinct identity. */
async function newIdentity(key: string): Promise<any> {
  faces++;
  const embedding = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.37 + faces) * (1 + (faces % 5)));
  const body = {
    embeddingModel: "lite",
    face: {
      embedding: encodeEmbedding(embedding),
      kps: [
        [200, 220],
        [300, 220],
        [250, 280],
        [210, 330],
        [290, 330],
      ],
      bbox: [150, 150, 350, 400],
      score: 0.9,
      imageWidth: 512,
      imageHeight: 512,
    },
  };
  const res = await h.fetch("/v1/identities", { method: "POST", key, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return res.json();
}

async function finishedGeneration(key: string, identityId: string): Promise<any> {
  const res = await h.fetch("/v1/generations", {
    method: "POST",
    key,
    headers: { "content-type": "application/json", prefer: "wait=30" },
    body: JSON.stringify({ identityId, prompt: "a portrait", width: 64, height: 64, steps: 2 }),
  });
  expect(res.status).toBe(201);
  const g = await res.json();
  expect(g.status).toBe("succeeded");
  return g;
}

/** Every page from `path` (which has its own query) with `limit`, following nextCursor. */
async function walk(key: string, path: string, limit: number, between?: () => Promise<void>): Promise<{ ids: string[]; pages: any[][] }> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  const sep = path.includes("?") ? "&" : "?";
  do {
    const res = await h.fetch(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(["data", "nextCursor"]);
    expect(body.data.length).toBeLessThanOrEqual(limit);
    pages.push(body.data);
    cursor = body.nextCursor;
    if (cursor) expect(typeof cursor).toBe("string");
    if (cursor && between) await between();
  } while (cursor);
  return { ids: pages.flat().map((x) => x.id), pages };
}

/** Newest first: createdAt descending, then id descending. */
const isNewestFirst = (items: { id: string; createdAt: string }[]) =>
  items.every((x, i) => i === 0 || items[i - 1].createdAt > x.createdAt || (items[i - 1].createdAt === x.createdAt && items[i - 1].id > x.id));

describe("GET /v1/identities", () => {
  it("lists only the key's user's identities, newest first, each as GET /v1/identities/{id} shows it (no embedding)", async () => {
    const key = await h.createKey("lists-identities", BIG);
    const other = await h.createKey("lists-identities-other", BIG);
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await newIdentity(key));
    const theirs = await newIdentity(other);

    const res = await h.fetch("/v1/identities", { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    // Rate limited like the other reads.
    expect(res.headers.get("ratelimit")).toMatch(/requests/);
    const { data, nextCursor } = await res.json();
    expect(nextCursor).toBeNull();
    expect(new Set(data.map((x: any) => x.id))).toEqual(new Set(mine.map((x) => x.id)));
    expect(isNewestFirst(data)).toBe(true);
    for (const item of data) {
      expect(item).toEqual(await (await h.fetch(`/v1/identities/${item.id}`, { key })).json());
      expect(item).not.toHaveProperty("embedding");
    }
    expect((await (await h.fetch("/v1/identities", { key: other })).json()).data.map((x: any) => x.id)).toEqual([theirs.id]);
    expect((await h.fetch("/v1/identities")).status).toBe(401);
  });

  it("pages with limit and cursor: every identity once, none repeated or skipped while new ones are registered", async () => {
    const key = await h.createKey("lists-identities-pages", BIG);
    for (let i = 0; i < 5; i++) await newIdentity(key);
    const all = (await (await h.fetch("/v1/identities?limit=100", { key })).json()).data.map((x: any) => x.id);
    expect(all).toHaveLength(5);
    // The default page holds them all (20).
    expect((await (await h.fetch("/v1/identities", { key })).json()).data).toHaveLength(5);

    const added: string[] = [];
    const { ids, pages } = await walk(key, "/v1/identities", 2, async () => {
      added.push((await newIdentity(key)).id);
    });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(ids).toEqual(all);
    // The identities registered while paging are on a fresh first page, newest first.
    const fresh = (await (await h.fetch("/v1/identities?limit=2", { key })).json()).data.map((x: any) => x.id);
    expect(new Set(fresh)).toEqual(new Set(added));
  });

  it("refuses a bad limit, cursor or unknown parameter: 400 invalid_request naming the field", async () => {
    const key = await h.createKey("lists-identities-bad", BIG);
    const cases: [string, string][] = [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=abc", "limit"],
      ["limit=1.5", "limit"],
      ["limit=", "limit"],
      ["cursor=not-a-cursor", "cursor"],
      // A cursor of the right shape edited by hand: base64url of "x:idn_1".
      ["cursor=eDppZG5fMQ", "cursor"],
      ["cursor=", "cursor"],
    ];
    for (const [query, field] of cases) {
      const res = await h.fetch(`/v1/identities?${query}`, { key });
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = await res.json();
      expect(problem.code).toBe("invalid_request");
      expect(problem.errors.map((e: { path: string }) => e.path)).toEqual([field]);
    }
    const unknown = await (await h.fetch("/v1/identities?identity=1", { key })).json();
    expect(unknown.code).toBe("invalid_request");
    expect(unknown.detail).toContain("identity");
  });
});

describe("GET /v1/generations", () => {
  it("lists the user's generations newest first as GET /v1/generations/{id} shows them, by identity and by live status, paged", async () => {
    const key = await h.createKey("lists-generations", BIG);
    const other = await h.createKey("lists-generations-other", BIG);
    const x = await newIdentity(key);
    const y = await newIdentity(key);
    h.stub.behaviour = "complete";
    const done = [await finishedGeneration(key, x.id), await finishedGeneration(key, y.id), await finishedGeneration(key, x.id)];

    // One left running: the runtime has started it and says nothing more until the test ends it.
    h.stub.behaviour = "manual";
    const manual = h.stub.nextManual();
    const post = await h.fetch("/v1/generations", {
      method: "POST",
      key,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: x.id, prompt: "a portrait", width: 64, height: 64, steps: 3 }),
    });
    expect(post.status).toBe(202);
    const running = await post.json();
    const m = await manual;
    try {
      m.send({ type: "accepted", data: { requestId: running.id, queuePosition: 0 } });
      m.send({ type: "started", data: {} });
      m.send({ type: "progress", data: { step: 1, total: 3 } });
      for (let i = 0; i < 1000; i++) {
        const now = await (await h.fetch(`/v1/generations/${running.id}`, { key })).json();
        if (now.status === "running" && now.progress.step === 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }

      const list = async (query: string, k = key) => {
        const res = await h.fetch(`/v1/generations${query}`, { key: k });
        expect(res.status, query).toBe(200);
        return res.json();
      };
      const all = await list("");
      expect(all.nextCursor).toBeNull();
      expect(new Set(all.data.map((g: any) => g.id))).toEqual(new Set([...done.map((g) => g.id), running.id]));
      expect(isNewestFirst(all.data)).toBe(true);
      for (const g of all.data) expect(g).toEqual(await (await h.fetch(`/v1/generations/${g.id}`, { key })).json());
      // The running one with its live state, not the stored "queued".
      const live = all.data.find((g: any) => g.id === running.id);
      expect(live).toMatchObject({ status: "running", progress: { step: 1, total: 3 } });
      // Image URLs are the single GET's, and they serve the image.
      const shown = all.data.find((g: any) => g.id === done[0].id);
      expect(shown.images.map((i: any) => i.url)).toEqual(done[0].images.map((i: any) => i.url));
      const image = await h.fetch(shown.images[0].url, { key });
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe(shown.images[0].mimeType);

      const ids = (body: any) => body.data.map((g: any) => g.id);
      expect(new Set(ids(await list(`?identityId=${x.id}`)))).toEqual(new Set([done[0].id, done[2].id, running.id]));
      expect(ids(await list(`?identityId=${y.id}`))).toEqual([done[1].id]);
      expect(ids(await list("?identityId=idn_none"))).toEqual([]);
      expect(new Set(ids(await list("?status=succeeded")))).toEqual(new Set(done.map((g) => g.id)));
      expect(ids(await list("?status=running"))).toEqual([running.id]);
      expect(ids(await list("?status=queued"))).toEqual([]);
      expect(ids(await list(`?status=running&identityId=${y.id}`))).toEqual([]);
      expect(ids(await list("?status=failed"))).toEqual([]);
      // Another user sees none of them, even naming the identity.
      expect(ids(await list(`?identityId=${x.id}`, other))).toEqual([]);
      expect(ids(await list("", other))).toEqual([]);

      // Paged: two pages of two, then a walk under a filter.
      const { ids: walked, pages } = await walk(key, "/v1/generations", 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
      expect(walked).toEqual(ids(all));
      expect((await walk(key, `/v1/generations?identityId=${x.id}`, 1)).ids).toEqual(ids(all).filter((id: string) => id !== done[1].id));
    } finally {
      m.end();
      h.stub.behaviour = "complete";
    }
  });

  it("refuses a bad limit, cursor, status or unknown parameter: 400 invalid_request naming the field", async () => {
    const key = await h.createKey("lists-generations-bad", BIG);
    const cases: [string, string][] = [
      ["limit=0", "limit"],
      ["limit=1000", "limit"],
      ["limit=-1", "limit"],
      ["cursor=%25%25", "cursor"],
      ["status=done", "status"],
      ["identityId=", "identityId"],
    ];
    for (const [query, field] of cases) {
      const res = await h.fetch(`/v1/generations?${query}`, { key });
      expect(res.status, query).toBe(400);
      const problem = await res.json();
      expect(problem.code).toBe("invalid_request");
      expect(problem.errors.map((e: { path: string }) => e.path)).toEqual([field]);
    }
    expect((await h.fetch("/v1/generations?statuses=queued", { key })).status).toBe(400);
    expect((await h.fetch("/v1/generations")).status).toBe(401);
  });
});
