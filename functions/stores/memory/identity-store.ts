import type { IdentityRecord, IdentityStore, IdentitySummary } from "../identity-store.ts";
import { isAfter, newestFirst, pageOf } from "../page.ts";

/** Identities in one process's memory; unique per (user, content hash) like the SQL schema. */
export function createMemoryIdentityStore(): IdentityStore {
  const byId = new Map<string, IdentityRecord>();
  const byHash = new Map<string, string>();
  const hashKey = (userId: string, contentHash: string) => `${userId}\n${contentHash}`;
  const mine = (userId: string, id: string) => {
    const r = byId.get(id);
    return r && r.userId === userId ? r : undefined;
  };
  return {
    // Synchronous between the awaits: check and insert cannot interleave with another call.
    async insertOrGet(record) {
      const existing = byHash.get(hashKey(record.userId, record.contentHash));
      if (existing !== undefined) return { record: clone(byId.get(existing)!), inserted: false };
      if (byId.has(record.id)) throw new Error(`an identity with id ${record.id} already exists`);
      byId.set(record.id, clone(record));
      byHash.set(hashKey(record.userId, record.contentHash), record.id);
      return { record, inserted: true };
    },
    async get(userId, id) {
      const r = mine(userId, id);
      return r ? clone(r) : undefined;
    },
    async findByContentHash(userId, contentHash) {
      const id = byHash.get(hashKey(userId, contentHash));
      return id === undefined ? undefined : clone(byId.get(id)!);
    },
    async delete(userId, id) {
      const r = mine(userId, id);
      if (!r) return false;
      byId.delete(id);
      byHash.delete(hashKey(r.userId, r.contentHash));
      // Overwrite the biometric data in place too, as SQLite's secure_delete does.
      r.embedding.fill(0);
      return true;
    },
    async list(userId, page) {
      const rows = [...byId.values()].filter((r) => r.userId === userId && isAfter(r, page.after)).sort(newestFirst);
      return pageOf(rows.slice(0, page.limit + 1).map(cloneSummary), page.limit);
    },
  };
}

const cloneSummary = ({ embedding: _e, ...r }: IdentityRecord): IdentitySummary => ({
  ...r,
  kps: r.kps.map(([x, y]) => [x, y] as const),
  bbox: [...r.bbox] as unknown as IdentityRecord["bbox"],
});

const clone = (r: IdentityRecord): IdentityRecord => ({ ...cloneSummary(r), embedding: new Float32Array(r.embedding) });
