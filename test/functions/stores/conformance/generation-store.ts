import { describe, expect, it } from "vitest";
import type { GenerationImageRecord, GenerationRecord, GenerationStore } from "../../../../functions/stores/generation-store.ts";
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
  });
}
