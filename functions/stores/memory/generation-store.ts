import { TERMINAL_STATUSES, type GenerationFilter, type GenerationRecord, type GenerationStore } from "../generation-store.ts";
import { isAfter, newestFirst, pageOf, type PageRequest } from "../page.ts";

/** Generations in one process's memory; finish() is first-outcome-wins like the SQL stores. */
export function createMemoryGenerationStore(): GenerationStore {
  const rows = new Map<string, GenerationRecord>();
  const store = {
    async insert(record: GenerationRecord) {
      if (rows.has(record.id)) throw new Error(`a generation with id ${record.id} already exists`);
      rows.set(record.id, clone(record));
    },
    async get(userId: string, id: string) {
      const g = rows.get(id);
      return g && g.userId === userId ? clone(g) : undefined;
    },
    async finish(id: string, outcome: Parameters<GenerationStore["finish"]>[1], nowMs: number) {
      const g = rows.get(id);
      if (!g || TERMINAL_STATUSES.has(g.status)) return false;
      rows.set(id, {
        ...g,
        status: outcome.status,
        errorCode: outcome.errorCode ?? null,
        errorMessage: outcome.errorMessage ?? null,
        progressStep: outcome.progressStep ?? g.progressStep,
        images: [...(outcome.images ?? [])].sort((a, b) => a.index - b.index).map((i) => ({ ...i })),
        finishedMs: nowMs,
      });
      return true;
    },
    async delete(userId: string, id: string) {
      const g = rows.get(id);
      if (!g || g.userId !== userId) return false;
      rows.delete(id);
      return true;
    },
    async listIdsByIdentity(userId: string, identityId: string) {
      return [...rows.values()]
        .filter((g) => g.userId === userId && (g.identityId === identityId || g.poseIdentityId === identityId))
        .sort((a, b) => a.createdMs - b.createdMs || (a.id < b.id ? -1 : 1))
        .map((g) => g.id);
    },
    async list(userId: string, filter: GenerationFilter, page: PageRequest) {
      const found = [...rows.values()]
        .filter(
          (g) =>
            g.userId === userId &&
            (filter.identityId === undefined || g.identityId === filter.identityId) &&
            (filter.statuses === undefined || filter.statuses.includes(g.status)) &&
            isAfter(g, page.after),
        )
        .sort(newestFirst);
      return pageOf(found.slice(0, page.limit + 1).map(clone), page.limit);
    },
    async failUnfinished(code: string, message: string, nowMs: number) {
      let n = 0;
      for (const [id, g] of rows) {
        if (TERMINAL_STATUSES.has(g.status)) continue;
        rows.set(id, { ...g, status: "failed", errorCode: code, errorMessage: message, finishedMs: nowMs });
        n++;
      }
      return n;
    },
  };
  return store;
}

const clone = (g: GenerationRecord): GenerationRecord => ({
  ...g,
  settings: { ...g.settings, preview: g.settings.preview ? { ...g.settings.preview } : null },
  images: g.images.map((i) => ({ ...i })),
});
