/**
 * The Workers stores inside workerd on real D1, KV, R2 and Durable Objects (Miniflare's local
 * implementations): the behaviours the core relies on, checked where a race could break them.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createD1GenerationStore } from "../../../functions/adapters/workers/d1/generation-store.ts";
import { createD1IdempotencyStore } from "../../../functions/adapters/workers/d1/idempotency-store.ts";
import { createD1IdentityStore } from "../../../functions/adapters/workers/d1/identity-store.ts";
import { createD1ApiKeyStore } from "../../../functions/adapters/workers/d1/api-key-store.ts";
import { createDurableRateLimitStore } from "../../../functions/adapters/workers/durable-objects/user-limiter.ts";
import { createKvCachedIdentityStore } from "../../../functions/adapters/workers/kv/identity-cache.ts";
import { createR2ResultImageStore } from "../../../functions/adapters/workers/r2/result-image-store.ts";
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import { createEmbeddingCipher } from "../../../functions/crypto/embedding-cipher.ts";
import type { GenerationRecord } from "../../../functions/stores/generation-store.ts";
import type { IdentityRecord } from "../../../functions/stores/identity-store.ts";

const identity = (over: Partial<IdentityRecord> = {}): IdentityRecord => ({
  id: "idt_1",
  userId: "alice",
  contentHash: "hash-1",
  pack: "lite",
  embedding: Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 3),
  kps: [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
    [9, 10],
  ],
  bbox: [1, 2, 30, 40],
  score: 0.9,
  faceCount: 1,
  photoCount: 1,
  imageWidth: 64,
  imageHeight: 48,
  createdMs: 1000,
  ...over,
});

const generation = (over: Partial<GenerationRecord> = {}): GenerationRecord => ({
  id: "gen_1",
  userId: "alice",
  identityId: "idt_1",
  poseIdentityId: null,
  status: "queued",
  settings: {
    prompt: "p",
    negativePrompt: "",
    style: null,
    width: 64,
    height: 64,
    steps: 4,
    guidanceScale: 5,
    identityStrength: 0.8,
    adapterStrength: 0.8,
    seed: 7,
    scheduler: "euler",
    numImages: 2,
    outputFormat: "png",
    preview: null,
  },
  progressStep: 0,
  progressTotal: 4,
  errorCode: null,
  errorMessage: null,
  images: [],
  createdMs: 1000,
  finishedMs: null,
  ...over,
});

describe("D1 api keys", () => {
  it("stores, lists by user and revokes once", async () => {
    const store = createD1ApiKeyStore(env.DB);
    const limits = { requestsBurst: 2, requestsPerMinute: 60, costBurst: 1e9, costPerMinute: 1e6 };
    await store.insert({ id: "k1", userId: "u", name: "a", hash: "h", limits, createdMs: 1, revokedMs: null });
    await store.insert({ id: "k2", userId: "v", name: "b", hash: "h2", limits, createdMs: 2, revokedMs: null });
    expect((await store.findById("k1"))?.limits).toEqual(limits);
    expect((await store.list("u")).map((k) => k.id)).toEqual(["k1"]);
    expect((await store.list()).map((k) => k.id)).toEqual(["k1", "k2"]);
    expect(await store.revoke("k1", 5)).toBe(true);
    expect(await store.revoke("k1", 6)).toBe(false);
    expect((await store.findById("k1"))?.revokedMs).toBe(5);
    expect(await store.findById("nope")).toBeUndefined();
  });
});

describe("D1 identities", () => {
  it("round-trips the embedding exactly and scopes every read by user", async () => {
    const store = createD1IdentityStore(env.DB);
    const r = identity();
    expect((await store.insertOrGet(r)).inserted).toBe(true);
    const back = await store.get("alice", r.id);
    expect(back?.embedding).toEqual(r.embedding);
    expect(back).toEqual(r);
    expect(await store.get("bob", r.id)).toBeUndefined();
    expect(await store.findByContentHash("bob", r.contentHash)).toBeUndefined();
    expect(await store.delete("bob", r.id)).toBe(false);
    expect(await store.delete("alice", r.id)).toBe(true);
    expect(await store.get("alice", r.id)).toBeUndefined();
  });

  it("of concurrent inserts of the same photos exactly one inserts; all get the same identity", async () => {
    const store = createD1IdentityStore(env.DB);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.insertOrGet(identity({ id: `idt_${i}`, contentHash: "same" }))),
    );
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
    // Another user with the same photos gets an identity of their own.
    expect((await store.insertOrGet(identity({ id: "idt_b", userId: "bob", contentHash: "same" }))).inserted).toBe(true);
  });
});

describe("KV identity cache in front of D1", () => {
  it("serves a cached identity, keeps users apart, and forgets it on delete", async () => {
    const d1 = createD1IdentityStore(env.DB);
    const cached = createKvCachedIdentityStore(d1, env.IDENTITY_CACHE, 120);
    const r = identity({ id: "idt_kv", contentHash: "kv" });
    await cached.insertOrGet(r);
    const raw = await env.IDENTITY_CACHE.getWithMetadata("identity:idt_kv");
    expect(raw.value).not.toBeNull();
    expect(await cached.get("alice", r.id)).toEqual(r);
    expect(await cached.get("bob", r.id)).toBeUndefined();
    expect(await cached.delete("alice", r.id)).toBe(true);
    expect(await env.IDENTITY_CACHE.get("identity:idt_kv")).toBeNull();
    expect(await cached.get("alice", r.id)).toBeUndefined();
  });

  it("writes entries with an expiration (the TTL)", async () => {
    const cached = createKvCachedIdentityStore(createD1IdentityStore(env.DB), env.IDENTITY_CACHE, 120);
    const before = Date.now() / 1000;
    await cached.insertOrGet(identity({ id: "idt_ttl", contentHash: "ttl" }));
    const listed = await env.IDENTITY_CACHE.list({ prefix: "identity:idt_ttl" });
    expect(listed.keys[0].expiration).toBeGreaterThanOrEqual(Math.floor(before) + 119);
    expect(listed.keys[0].expiration).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 121);
  });
});

describe("embeddings encrypted at rest (EMBEDDING_KEY)", () => {
  it("D1 and KV hold ciphertext bound to the row; the store reads the embedding back exactly", async () => {
    const cipher = createEmbeddingCipher(crypto.getRandomValues(new Uint8Array(32)));
    const store = createKvCachedIdentityStore(createD1IdentityStore(env.DB, cipher), env.IDENTITY_CACHE, 120, cipher);
    const r = identity({ id: "idt_enc", contentHash: "enc" });
    await store.insertOrGet(r);
    const row = await env.DB.prepare("SELECT embedding FROM identities WHERE id = 'idt_enc'").first<{ embedding: number[] }>();
    const blob = Uint8Array.from(row!.embedding);
    expect(String.fromCharCode(blob[0], blob[1])).toBe("E1");
    expect(blob.length).not.toBe(512 * 4);
    const kv = await env.IDENTITY_CACHE.get<{ embedding: string }>("identity:idt_enc", "json");
    expect(kv!.embedding).not.toBe(encodeEmbedding(r.embedding));
    expect((await store.get("alice", "idt_enc"))?.embedding).toEqual(r.embedding);
    // Without the key the D1 row does not read as an embedding.
    await env.IDENTITY_CACHE.delete("identity:idt_enc");
    await expect(createD1IdentityStore(env.DB).get("alice", "idt_enc")).rejects.toThrow();
  });
});

describe("D1 generations", () => {
  it("the first outcome wins, with its images; a later one changes nothing", async () => {
    const store = createD1GenerationStore(env.DB);
    await store.insert(generation());
    const img = { mimeType: "image/png", width: 64, height: 64, seed: 7 };
    const first = store.finish(
      "gen_1",
      { status: "succeeded", progressStep: 4, images: [{ index: 0, fileKey: "a", ...img }, { index: 1, fileKey: "b", ...img }] },
      50,
    );
    const second = store.finish("gen_1", { status: "cancelled", errorCode: "cancelled", images: [{ index: 0, fileKey: "z", ...img }] }, 51);
    expect(await Promise.all([first, second])).toEqual([true, false]);
    const g = await store.get("alice", "gen_1");
    expect(g).toMatchObject({ status: "succeeded", progressStep: 4, finishedMs: 50, errorCode: null });
    expect(g?.images.map((i) => i.fileKey)).toEqual(["a", "b"]);
    expect(g?.settings).toEqual(generation().settings);
    expect(await store.get("bob", "gen_1")).toBeUndefined();
  });

  it("delete removes the user's generation and its image rows, never another user's", async () => {
    const store = createD1GenerationStore(env.DB);
    await store.insert(generation({ id: "gen_d" }));
    const img = { index: 0, mimeType: "image/png", width: 64, height: 64, seed: 7, fileKey: "k" };
    await store.finish("gen_d", { status: "succeeded", images: [img] }, 5);
    expect(await store.delete!("bob", "gen_d")).toBe(false);
    expect((await store.get("alice", "gen_d"))?.images).toHaveLength(1);
    expect(await store.delete!("alice", "gen_d")).toBe(true);
    expect(await store.get("alice", "gen_d")).toBeUndefined();
    const left = await env.DB.prepare("SELECT count(*) AS n FROM generation_images WHERE generation_id = 'gen_d'").first();
    expect(left).toEqual({ n: 0 });
    expect(await store.delete!("alice", "gen_d")).toBe(false);
  });

  it("failUnfinished fails only running and queued generations", async () => {
    const store = createD1GenerationStore(env.DB);
    await store.insert(generation({ id: "gen_a" }));
    await store.insert(generation({ id: "gen_b", status: "running" }));
    await store.insert(generation({ id: "gen_c" }));
    await store.finish("gen_c", { status: "succeeded" }, 9);
    expect(await store.failUnfinished("edge_restarted", "m", 10)).toBe(2);
    expect((await store.get("alice", "gen_b"))?.errorCode).toBe("edge_restarted");
    expect((await store.get("alice", "gen_c"))?.status).toBe("succeeded");
  });
});

describe("D1 idempotency", () => {
  it("started once under concurrency, then in_progress, replay, mismatch; release and expiry free the key", async () => {
    const store = createD1IdempotencyStore(env.DB);
    const begins = await Promise.all(Array.from({ length: 30 }, () => store.begin("u", "k", "fp", 100, 1000)));
    expect(begins.filter((b) => b.kind === "started")).toHaveLength(1);
    expect(begins.filter((b) => b.kind === "in_progress")).toHaveLength(29);
    expect(await store.begin("u", "k", "other", 101, 1000)).toEqual({ kind: "mismatch" });
    const response = { status: 202, contentType: "application/json", location: "/v1/generations/x", body: "{}" };
    await store.complete("u", "k", response);
    expect(await store.begin("u", "k", "fp", 102, 1000)).toEqual({ kind: "replay", response });
    // Another scope (user) is another key.
    expect(await store.begin("v", "k", "fp", 102, 1000)).toEqual({ kind: "started" });
    // Expired: reserved afresh.
    expect(await store.begin("u", "k", "fp2", 1100, 1000)).toEqual({ kind: "started" });
    await store.release("u", "k");
    expect(await store.begin("u", "k", "fp3", 1101, 1000)).toEqual({ kind: "started" });
  });
});

describe("Durable Object token buckets (one object per user)", () => {
  it("admits exactly the capacity of 200 concurrent takes, per user", async () => {
    const store = createDurableRateLimitStore(env.USER_LIMITER);
    const policy = { capacity: 37, refillPerSecond: 0 };
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.take(i % 2 ? "requests:u1" : "requests:u2", policy, 1, 1000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(74);
    const denied = decisions.find((d) => !d.allowed);
    expect(denied?.retryAfterSeconds).toBe(Infinity);
    await store.refund("requests:u1", policy, 3, 1000);
    const after = await Promise.all(Array.from({ length: 5 }, () => store.take("requests:u1", policy, 1, 1000)));
    expect(after.filter((d) => d.allowed)).toHaveLength(3);
  });

  it("refills with time and keeps a user's buckets apart", async () => {
    const store = createDurableRateLimitStore(env.USER_LIMITER);
    const policy = { capacity: 2, refillPerSecond: 1 };
    expect((await store.take("cost:w", policy, 2, 0)).allowed).toBe(true);
    const denied = await store.take("cost:w", policy, 1, 0);
    expect(denied).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect((await store.take("requests:w", policy, 1, 0)).allowed).toBe(true);
    expect((await store.take("cost:w", policy, 1, 1000)).allowed).toBe(true);
  });
});

describe("R2 result images", () => {
  it("puts and reads back bytes with their content type; unknown or malformed keys read as missing", async () => {
    const store = createR2ResultImageStore(env.IMAGES);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const key = await store.put("gen_r2", 1, "webp", bytes);
    expect(await store.get(key)).toEqual(bytes);
    expect((await env.IMAGES.head(key))?.httpMetadata?.contentType).toBe("image/webp");
    expect(await store.get("generations/gen_r2/2.webp")).toBeUndefined();
    expect(await store.get("../etc/passwd")).toBeUndefined();
    await store.delete!(key);
    expect(await store.get(key)).toBeUndefined();
    await store.delete!(key);
  });
});
