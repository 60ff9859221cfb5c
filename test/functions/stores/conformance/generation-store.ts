import { describe, expect, it } from "vitest";
import type { GenerationImageRecord, GenerationRecord, GenerationStore } from "../../../../functions/stores/generation-store.ts";
import type { PagePosition } from "../../../../functions/stores/page.ts";
import { settleAll, type MakeStore } from "./make-store.ts";

export function generationRecord(over: Partial<GenerationRecord> = {}): GenerationRecord {
  return {
    id: "gen_1",
    userId: "alice",
    identityId: "idn_1",
    poseIdentityId: null,
    status: "queued",
    settings: {
      prompt: "a portrait, studio light",
      negativePrompt: "",
      style: null,
      width: 64,
      height: 64,
      steps: 3,
      guidanceScale: 5,
      identityStrength: 0.8,
      adapterStrength: 0.8,
      seed: 7,
      scheduler: "euler",
      numImages: 2,
      outputFormat: "png",
      preview: { everySteps: 1, maxSide: 64 },
    },
    progressStep: 0,
    progressTotal: 3,
    errorCode: null,
    errorMessage: null,
    images: [],
    createdMs: 1_000,
    finishedMs: null,
    ...over,
  };
}

const image = (index: number): GenerationImageRecord => ({ index, mimeType: "image/png", width: 64, height: 64, seed: 7 + index, fileKey: `1/gen_1-${index}.png` });

export function describeGenerationStoreConformance(makeStore: MakeStore<GenerationStore>): void {
  describe("GenerationStore conformance", () => {
    it("gets an inserted generation exactly, settings included; scoped by user", async () => {
      const store = await makeStore();
      const g = generationRecord({ poseIdentityId: "idn_pose" });
      await store.insert(g);
      expect(await store.get("alice", "gen_1")).toEqual(g);
      expect(await store.get("bob", "gen_1")).toBeUndefined();
      expect(await store.get("alice", "gen_none")).toBeUndefined();
    });

    it("refuses a second generation with the same id", async () => {
      const store = await makeStore();
      await store.insert(generationRecord());
      await expect(store.insert(generationRecord({ userId: "bob" }))).rejects.toThrow();
      expect(await store.get("bob", "gen_1")).toBeUndefined();
    });

    it("records a success with its images in one step", async () => {
      const store = await makeStore();
      await store.insert(generationRecord());
      expect(await store.finish("gen_1", { status: "succeeded", progressStep: 3, images: [image(0), image(1)] }, 5_000)).toBe(true);
      expect(await store.get("alice", "gen_1")).toEqual(
        generationRecord({ status: "succeeded", progressStep: 3, images: [image(0), image(1)], finishedMs: 5_000 }),
      );
    });

    it("the first outcome wins: a later finish changes nothing and says so", async () => {
      const store = await makeStore();
      await store.insert(generationRecord());
      expect(await store.finish("gen_1", { status: "failed", errorCode: "runtime_unavailable", errorMessage: "down" }, 5_000)).toBe(true);
      expect(await store.finish("gen_1", { status: "succeeded", progressStep: 3, images: [image(0)] }, 6_000)).toBe(false);
      expect(await store.finish("gen_1", { status: "cancelled" }, 7_000)).toBe(false);
      const g = await store.get("alice", "gen_1");
      expect(g).toMatchObject({ status: "failed", errorCode: "runtime_unavailable", errorMessage: "down", images: [], finishedMs: 5_000, progressStep: 0 });
      expect(await store.finish("gen_none", { status: "cancelled" }, 5_000)).toBe(false);
    });

    it("of concurrent outcomes for one generation exactly one is recorded", async () => {
      const store = await makeStore();
      await store.insert(generationRecord());
      const outcomes = Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0 ? store.finish("gen_1", { status: "cancelled" }, 5_000 + i) : store.finish("gen_1", { status: "succeeded", images: [image(0)] }, 5_000 + i),
      );
      const { values, errors } = await settleAll(outcomes);
      expect(errors).toEqual([]);
      expect(values.filter(Boolean)).toHaveLength(1);
      const g = (await store.get("alice", "gen_1"))!;
      const winner = values.indexOf(true);
      expect(g.status).toBe(winner % 2 === 0 ? "cancelled" : "succeeded");
      expect(g.finishedMs).toBe(5_000 + winner);
    });

    it("fails every unfinished generation (a previous process's) and counts them; finished ones stay", async () => {
      const store = await makeStore();
      await store.insert(generationRecord({ id: "gen_q" }));
      await store.insert(generationRecord({ id: "gen_r", status: "running", userId: "bob" }));
      await store.insert(generationRecord({ id: "gen_done" }));
      await store.finish("gen_done", { status: "succeeded", images: [image(0)] }, 2_000);
      expect(await store.failUnfinished("edge_restarted", "restarted", 9_000)).toBe(2);
      expect(await store.get("alice", "gen_q")).toMatchObject({ status: "failed", errorCode: "edge_restarted", errorMessage: "restarted", finishedMs: 9_000 });
      expect(await store.get("bob", "gen_r")).toMatchObject({ status: "failed", errorCode: "edge_restarted" });
      expect(await store.get("alice", "gen_done")).toMatchObject({ status: "succeeded", finishedMs: 2_000 });
      expect(await store.failUnfinished("edge_restarted", "restarted", 9_500)).toBe(0);
    });

    it("deletes only the owner's generation, image rows with it; once; other generations stay", async () => {
      const store = await makeStore();
      await store.insert(generationRecord());
      await store.insert(generationRecord({ id: "gen_2" }));
      await store.finish("gen_1", { status: "succeeded", progressStep: 3, images: [image(0), image(1)] }, 5_000);
      expect(await store.delete("bob", "gen_1")).toBe(false);
      expect(await store.get("alice", "gen_1")).toMatchObject({ status: "succeeded", images: [image(0), image(1)] });
      expect(await store.delete("alice", "gen_1")).toBe(true);
      expect(await store.get("alice", "gen_1")).toBeUndefined();
      expect(await store.delete("alice", "gen_1")).toBe(false);
      expect(await store.delete("alice", "gen_none")).toBe(false);
      expect(await store.get("alice", "gen_2")).toEqual(generationRecord({ id: "gen_2" }));
      // The image rows went too: the id made again starts with none.
      await store.insert(generationRecord());
      expect(await store.get("alice", "gen_1")).toEqual(generationRecord());
    });

    it("lists the user's generations made from an identity, as face or as pose, oldest first", async () => {
      const store = await makeStore();
      await store.insert(generationRecord({ id: "gen_c", createdMs: 3_000 }));
      await store.insert(generationRecord({ id: "gen_b", identityId: "idn_other", poseIdentityId: "idn_1", createdMs: 2_000 }));
      await store.insert(generationRecord({ id: "gen_a2", createdMs: 2_000 }));
      await store.insert(generationRecord({ id: "gen_other", identityId: "idn_other", createdMs: 1_000 }));
      await store.insert(generationRecord({ id: "gen_bob", userId: "bob", createdMs: 1_000 }));
      await store.finish("gen_c", { status: "succeeded", images: [image(0)] }, 4_000);
      expect(await store.listIdsByIdentity("alice", "idn_1")).toEqual(["gen_a2", "gen_b", "gen_c"]);
      expect(await store.listIdsByIdentity("bob", "idn_1")).toEqual(["gen_bob"]);
      expect(await store.listIdsByIdentity("carol", "idn_1")).toEqual([]);
      expect(await store.listIdsByIdentity("alice", "idn_none")).toEqual([]);
      await store.delete("alice", "gen_b");
      expect(await store.listIdsByIdentity("alice", "idn_1")).toEqual(["gen_a2", "gen_c"]);
    });

    it("lists the user's generations newest first (ties by id), with their images, filtered by identity and stored status", async () => {
      const store = await makeStore();
      await store.insert(generationRecord({ id: "gen_a", createdMs: 1_000 }));
      await store.insert(generationRecord({ id: "gen_c", createdMs: 2_000, identityId: "idn_2" }));
      await store.insert(generationRecord({ id: "gen_b", createdMs: 2_000, poseIdentityId: "idn_2" }));
      await store.insert(generationRecord({ id: "gen_d", createdMs: 3_000 }));
      await store.insert(generationRecord({ id: "gen_bob", userId: "bob", createdMs: 4_000 }));
      await store.finish("gen_b", { status: "succeeded", progressStep: 3, images: [image(1), image(0)] }, 5_000);
      await store.finish("gen_d", { status: "failed", errorCode: "runtime_unavailable", errorMessage: "down" }, 6_000);

      const all = await store.list("alice", {}, { limit: 10 });
      expect(all.next).toBeNull();
      expect(all.items.map((g) => g.id)).toEqual(["gen_d", "gen_c", "gen_b", "gen_a"]);
      // The same records get() reads, images in index order.
      for (const g of all.items) expect(g).toEqual(await store.get("alice", g.id));
      expect(all.items[2].images).toEqual([image(0), image(1)]);

      const ids = async (filter: Parameters<GenerationStore["list"]>[1]) => (await store.list("alice", filter, { limit: 10 })).items.map((g) => g.id);
      // identityId is the face's identity; a pose reference does not count.
      expect(await ids({ identityId: "idn_1" })).toEqual(["gen_d", "gen_b", "gen_a"]);
      expect(await ids({ identityId: "idn_2" })).toEqual(["gen_c"]);
      expect(await ids({ identityId: "idn_none" })).toEqual([]);
      expect(await ids({ statuses: ["succeeded"] })).toEqual(["gen_b"]);
      expect(await ids({ statuses: ["queued", "running"] })).toEqual(["gen_c", "gen_a"]);
      expect(await ids({ statuses: ["failed", "succeeded"], identityId: "idn_1" })).toEqual(["gen_d", "gen_b"]);
      expect(await ids({ statuses: [] })).toEqual([]);
      expect((await store.list("bob", {}, { limit: 10 })).items.map((g) => g.id)).toEqual(["gen_bob"]);
      expect(await store.list("carol", {}, { limit: 10 })).toEqual({ items: [], next: null });
    });

    it("pages by position under a filter: each generation once while newer ones are inserted and shown ones finish", async () => {
      const store = await makeStore();
      const times = [1_000, 2_000, 2_000, 2_000, 3_000, 4_000];
      for (const [i, t] of times.entries()) await store.insert(generationRecord({ id: `gen_${i}`, createdMs: t }));
      await store.insert(generationRecord({ id: "gen_x", createdMs: 2_000, identityId: "idn_other" }));
      const expected = ["gen_5", "gen_4", "gen_3", "gen_2", "gen_1", "gen_0"];
      const seen: string[] = [];
      let after: PagePosition | undefined;
      for (let pages = 1; ; pages++) {
        const page = await store.list("alice", { identityId: "idn_1" }, { limit: 4, ...(after ? { after } : {}) });
        seen.push(...page.items.map((g) => g.id));
        if (!page.next) break;
        expect(page.next).toEqual({ createdMs: page.items[3].createdMs, id: page.items[3].id });
        after = page.next;
        await store.insert(generationRecord({ id: `gen_new${pages}`, createdMs: 9_000 + pages }));
        await store.finish("gen_5", { status: "succeeded", images: [image(0)] }, 9_500);
      }
      expect(seen).toEqual(expected);
      // Limits: one at a time walks the same order.
      const single: string[] = [];
      let position: PagePosition | undefined = { createdMs: 2_000, id: "gen_3" };
      while (position) {
        const page = await store.list("alice", { identityId: "idn_1" }, { limit: 1, after: position });
        single.push(...page.items.map((g) => g.id));
        position = page.next ?? undefined;
      }
      expect(single).toEqual(["gen_2", "gen_1", "gen_0"]);
    });
  });
}
