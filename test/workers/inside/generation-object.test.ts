/**
 * The per-generation Durable Object when its memory is gone (evicted or restarted while the
 * runtime stream ran): the next alarm finds a generation persisted as running that no stream feeds,
 * fails it with the progress persisted so far, and gives back the cost of the steps that never ran.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createD1GenerationStore } from "../../../functions/adapters/workers/d1/generation-store.ts";
import { createDurableRateLimitStore } from "../../../functions/adapters/workers/durable-objects/user-limiter.ts";
import type { GenerationRecord } from "../../../functions/stores/generation-store.ts";

const record: GenerationRecord = {
  id: "gen_lostobject",
  userId: "alice",
  identityId: "idn_x",
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
    seed: 1,
    scheduler: "euler",
    numImages: 1,
    outputFormat: "png",
    preview: null,
  },
  progressStep: 0,
  progressTotal: 4,
  errorCode: null,
  errorMessage: null,
  images: [],
  createdMs: 1,
  finishedMs: null,
};

it("an alarm after the object lost its memory fails the generation and refunds the unrun steps", async () => {
  await createD1GenerationStore(env.DB).insert(record);
  const limits = createDurableRateLimitStore(env.USER_LIMITER);
  const policy = { capacity: 1000, refillPerSecond: 0 };
  expect((await limits.take("cost:alice", policy, 400, 0)).remaining).toBe(600);

  const object = () => env.GENERATION.get(env.GENERATION.idFromName(record.id));
  await runInDurableObject(object(), async (_instance, state) => {
    await state.storage.put("generation", {
      input: { generation: record, request: {}, charge: { bucket: "cost:alice", policy, cost: 400 } },
      live: { status: "running", queuePosition: null, progressStep: 1, images: [], lastEventId: 64 },
      lastEventAt: Date.now(),
      ended: false,
    });
    await state.storage.setAlarm(Date.now() + 60_000);
  });
  // The object's memory goes (storage stays), as when the runtime evicts it.
  await abortAllDurableObjects();
  const stub = object();

  expect(await runDurableObjectAlarm(stub)).toBe(true);
  const g = await createD1GenerationStore(env.DB).get("alice", record.id);
  expect(g).toMatchObject({ status: "failed", errorCode: "runtime_disconnected", progressStep: 1 });
  // 3 of 4 steps never ran: 300 of the 400 come back.
  expect((await limits.take("cost:alice", policy, 0, 0)).remaining).toBe(900);
  // Nothing is held any more: current() is empty, cancel() has nothing to stop.
  expect(await stub.current()).toBeNull();
  expect(await stub.cancel()).toBe(false);
});
