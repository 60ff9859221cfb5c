import { describe, expect, it } from "vitest";
import { issueApiKey } from "../../../../functions/api-keys/issue-api-key.ts";
import type { ApiKeyStore } from "../../../../functions/stores/api-key-store.ts";
import { createCachedApiKeyStore } from "../../../../functions/stores/cached/api-key-store.ts";
import { createSqliteApiKeyStore } from "../../../../functions/adapters/node/sqlite/api-key-store.ts";
import { sqliteChangeProbe } from "../../../../functions/adapters/node/sqlite/change-probe.ts";
import type { SqliteDatabase } from "../../../../functions/adapters/node/sqlite/database.ts";
import { useTempEdgeDatabase } from "../../helpers/temp-edge-database.ts";
import { withoutEmptyFields } from "../conformance/index.ts";
import { createSqliteRateLimitStore } from "../../../../functions/adapters/node/sqlite/rate-limit-store.ts";

const open = useTempEdgeDatabase();

/** The SQLite store on `db`, counting the lookups that reach it. */
function counted(db: SqliteDatabase): { store: ApiKeyStore; reads: () => number } {
  const inner = createSqliteApiKeyStore(db);
  let reads = 0;
  return {
    store: {
      ...inner,
      findById(id) {
        reads++;
        return inner.findById(id);
      },
    },
    reads: () => reads,
  };
}

describe("cached API-key store", () => {
  it("answers repeated lookups from memory, and unknown ids never from memory", async () => {
    const db = open();
    const { store: inner, reads } = counted(db);
    const cached = createCachedApiKeyStore(inner, { maxEntries: 10, changedElsewhere: () => false });
    const { record } = await issueApiKey(cached, { userId: "u", nowMs: 0 });
    // The stored row reads back empty fields (no webhook secret yet) as null; the issued record leaves them out.
    expect(withoutEmptyFields(await cached.findById(record.id))).toEqual(withoutEmptyFields(record));
    expect(withoutEmptyFields(await cached.findById(record.id))).toEqual(withoutEmptyFields(record));
    expect(reads()).toBe(1);
    expect(await cached.findById("0123456789abcdef")).toBeUndefined();
    expect(await cached.findById("0123456789abcdef")).toBeUndefined();
    expect(reads()).toBe(3);
  });

  it("sees a revoke made through it at once", async () => {
    const db = open();
    const cached = createCachedApiKeyStore(createSqliteApiKeyStore(db), { maxEntries: 10, changedElsewhere: () => false });
    const { record } = await issueApiKey(cached, { userId: "u", nowMs: 0 });
    expect((await cached.findById(record.id))?.revokedMs).toBeNull();
    expect(await cached.revoke(record.id, 5)).toBe(true);
    expect((await cached.findById(record.id))?.revokedMs).toBe(5);
  });

  it("sees a webhook secret set through it at once (no signing with the old one)", async () => {
    const db = open();
    const cached = createCachedApiKeyStore(createSqliteApiKeyStore(db), { maxEntries: 10, changedElsewhere: () => false });
    const { record } = await issueApiKey(cached, { userId: "u", nowMs: 0 });
    expect(await cached.setWebhookSecret(record.id, "whsec_first")).toBe(true);
    expect((await cached.findById(record.id))?.webhookSecret).toBe("whsec_first");
    expect(await cached.setWebhookSecret(record.id, "whsec_second")).toBe(true);
    expect((await cached.findById(record.id))?.webhookSecret).toBe("whsec_second");
    expect(await cached.setWebhookSecret("0123456789abcdef", "whsec_x")).toBe(false);
  });

  it("sees a revoke made by another connection (the keys CLI) at once, through PRAGMA data_version", async () => {
    const server = open();
    const cli = createSqliteApiKeyStore(open());
    const cached = createCachedApiKeyStore(createSqliteApiKeyStore(server), {
      maxEntries: 10,
      changedElsewhere: sqliteChangeProbe(server),
    });
    const { record } = await issueApiKey(cli, { userId: "u", nowMs: 0 });
    expect((await cached.findById(record.id))?.revokedMs).toBeNull();
    expect(await cli.revoke(record.id, 7)).toBe(true);
    expect((await cached.findById(record.id))?.revokedMs).toBe(7);
  });

  it("keeps its entries while only its own connection writes (rate buckets on every request)", async () => {
    const db = open();
    const { store: inner, reads } = counted(db);
    const cached = createCachedApiKeyStore(inner, { maxEntries: 10, changedElsewhere: sqliteChangeProbe(db) });
    const buckets = createSqliteRateLimitStore(db);
    const { record } = await issueApiKey(cached, { userId: "u", nowMs: 0 });
    for (let i = 0; i < 3; i++) {
      await buckets.take("requests:u", { capacity: 10, refillPerSecond: 1 }, 1, i);
      await cached.findById(record.id);
    }
    expect(reads()).toBe(1);
  });
});
