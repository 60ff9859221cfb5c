/**
 * Embeddings (biometric data) are AES-256-GCM encrypted at rest in the SQLite store: the key from
 * EMBEDDING_KEY or generated once into the data folder (0600); data files owner-only; a rotation
 * keeps old rows readable with the previous key and re-encrypts them.
 */
import Database from "better-sqlite3";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EMBEDDING_KEY_FILE } from "../../../../../functions/adapters/node/sqlite/data-files.ts";
import { reencryptSqliteEmbeddings, createSqliteIdentityStore } from "../../../../../functions/adapters/node/sqlite/identity-store.ts";
import { createSqliteStores, edgeDatabasePath, openDatabase } from "../../../../../functions/adapters/node/sqlite/index.ts";
import { createEmbeddingCipher, generateEmbeddingKeyText, parseEmbeddingKey } from "../../../../../functions/crypto/embedding-cipher.ts";
import { embeddingToBytes } from "../../../../../shared/contract/embedding.ts";
import type { IdentityRecord } from "../../../../../functions/stores/identity-store.ts";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "edge-enc-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const embedding = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 2.5);
const record = (id = "idn_1", userId = "u1"): IdentityRecord => ({
  id,
  userId,
  contentHash: `hash-${id}`,
  pack: "lite",
  embedding,
  kps: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]],
  bbox: [0, 0, 10, 10],
  score: 0.9,
  faceCount: 1,
  photoCount: 1,
  imageWidth: 100,
  imageHeight: 100,
  createdMs: 1,
});

function rawBlob(dataDir: string, id: string): Buffer {
  const db = new Database(edgeDatabasePath(dataDir), { readonly: true });
  try {
    return (db.prepare("SELECT embedding FROM identities WHERE id = ?").get(id) as { embedding: Buffer }).embedding;
  } finally {
    db.close();
  }
}

async function withStores<T>(dataDir: string, env: NodeJS.ProcessEnv, fn: (s: ReturnType<typeof createSqliteStores>["stores"]) => Promise<T>): Promise<T> {
  const { stores, db } = createSqliteStores(dataDir, env);
  try {
    return await fn(stores);
  } finally {
    db.close();
  }
}

describe("embeddings at rest", () => {
  it("are not readable floats in the database, and read back exactly through the store", async () => {
    const dataDir = join(root, "data");
    await withStores(dataDir, {}, (s) => s.identities.insertOrGet(record()));
    const blob = rawBlob(dataDir, "idn_1");
    const clear = Buffer.from(embeddingToBytes(embedding));
    expect(blob.length).toBe(clear.length + 2 + 4 + 12 + 16);
    expect(blob.includes(clear.subarray(0, 16))).toBe(false);
    expect(blob.includes(clear.subarray(1000, 1016))).toBe(false);
    const got = await withStores(dataDir, {}, (s) => s.identities.get("u1", "idn_1"));
    expect(got!.embedding).toEqual(embedding);
  });

  it("generates the key once into the data folder (0600), with the folder 0700 and the database 0600", async () => {
    const dataDir = join(root, "fresh");
    await withStores(dataDir, {}, (s) => s.identities.insertOrGet(record()));
    const keyPath = join(dataDir, EMBEDDING_KEY_FILE);
    const key = readFileSync(keyPath, "utf8");
    expect(parseEmbeddingKey(key)).toHaveLength(32);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(edgeDatabasePath(dataDir)).mode & 0o777).toBe(0o600);
    // Opened again: the same key, so the row still reads.
    await withStores(dataDir, {}, async (s) => expect((await s.identities.get("u1", "idn_1"))!.embedding).toEqual(embedding));
    expect(readFileSync(keyPath, "utf8")).toBe(key);
  });

  it("uses EMBEDDING_KEY when set (no key file); another key cannot read the rows", async () => {
    const dataDir = join(root, "env");
    const key = generateEmbeddingKeyText();
    await withStores(dataDir, { EMBEDDING_KEY: key }, (s) => s.identities.insertOrGet(record()));
    expect(existsSync(join(dataDir, EMBEDDING_KEY_FILE))).toBe(false);
    await expect(withStores(dataDir, { EMBEDDING_KEY: generateEmbeddingKeyText() }, (s) => s.identities.get("u1", "idn_1"))).rejects.toMatchObject({
      code: "embedding_undecryptable",
    });
  });

  it("rotates: the new key with the old one as previous reads old rows, re-encryption makes the old key unnecessary", async () => {
    const dataDir = join(root, "rotate");
    const oldKey = generateEmbeddingKeyText();
    const newKey = generateEmbeddingKeyText();
    await withStores(dataDir, { EMBEDDING_KEY: oldKey }, (s) => s.identities.insertOrGet(record()));
    const rotating = { EMBEDDING_KEY: newKey, EMBEDDING_KEY_PREVIOUS: oldKey };
    await withStores(dataDir, rotating, async (s) => expect((await s.identities.get("u1", "idn_1"))!.embedding).toEqual(embedding));
    const db = openDatabase(edgeDatabasePath(dataDir));
    try {
      const cipher = createEmbeddingCipher(parseEmbeddingKey(newKey), [parseEmbeddingKey(oldKey)]);
      expect(await reencryptSqliteEmbeddings(db, cipher)).toBe(1);
      expect(await reencryptSqliteEmbeddings(db, cipher)).toBe(0);
    } finally {
      db.close();
    }
    await withStores(dataDir, { EMBEDDING_KEY: newKey }, async (s) => expect((await s.identities.get("u1", "idn_1"))!.embedding).toEqual(embedding));
  });

  it("refuses a blob moved onto another row or altered", async () => {
    const dataDir = join(root, "moved");
    await withStores(dataDir, {}, async (s) => {
      await s.identities.insertOrGet(record("idn_a"));
      await s.identities.insertOrGet(record("idn_b"));
    });
    const db = new Database(edgeDatabasePath(dataDir));
    const blobA = rawBlob(dataDir, "idn_a");
    db.prepare("UPDATE identities SET embedding = ? WHERE id = 'idn_b'").run(blobA);
    const altered = Buffer.from(blobA);
    altered[40]! ^= 1;
    db.prepare("UPDATE identities SET embedding = ? WHERE id = 'idn_a'").run(altered);
    db.close();
    for (const id of ["idn_a", "idn_b"]) {
      await expect(withStores(dataDir, {}, (s) => s.identities.get("u1", id))).rejects.toMatchObject({ code: "embedding_undecryptable" });
    }
  });

  it("refuses an encrypted row read by a store without a key, naming the missing key (not a misread embedding)", async () => {
    const dataDir = join(root, "keyless");
    await withStores(dataDir, {}, (s) => s.identities.insertOrGet(record()));
    const db = openDatabase(edgeDatabasePath(dataDir));
    try {
      const read = createSqliteIdentityStore(db).get("u1", "idn_1");
      await expect(read).rejects.toMatchObject({ code: "embedding_undecryptable" });
      await expect(createSqliteIdentityStore(db).get("u1", "idn_1")).rejects.toThrow(/EMBEDDING_KEY/);
    } finally {
      db.close();
    }
  });

  it("still reads a row stored in clear before encryption, and re-encryption seals it", async () => {
    const dataDir = join(root, "legacy");
    await withStores(dataDir, {}, async () => undefined);
    const db = openDatabase(edgeDatabasePath(dataDir));
    await createSqliteIdentityStore(db).insertOrGet(record());
    expect(rawBlob(dataDir, "idn_1").equals(Buffer.from(embeddingToBytes(embedding)))).toBe(true);
    db.close();
    await withStores(dataDir, {}, async (s) => expect((await s.identities.get("u1", "idn_1"))!.embedding).toEqual(embedding));
    const db2 = openDatabase(edgeDatabasePath(dataDir));
    const key = readFileSync(join(dataDir, EMBEDDING_KEY_FILE), "utf8");
    expect(await reencryptSqliteEmbeddings(db2, createEmbeddingCipher(parseEmbeddingKey(key)))).toBe(1);
    db2.close();
    expect(rawBlob(dataDir, "idn_1").length).toBe(2048 + 34);
  });
});
