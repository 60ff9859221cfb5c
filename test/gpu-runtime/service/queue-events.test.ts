/**
 * The runtime tells the edge where a request waits and when it starts (the edge's honest
 * `queued` status with queuePosition): accepted with its position, queued as it moves, started
 * when a runner takes it. Real runtime, tiny pack, on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventReader, postGenerate, startLoopbackRuntime, tinyRequest, type LoopbackRuntime } from "./loopback-runtime.ts";

describe("queue events", () => {
  let rt: LoopbackRuntime;
  beforeAll(async () => {
    // One runner, one lane per batch, no gathering: a second request must wait for the first.
    rt = await startLoopbackRuntime({ workers: 1, maxBatchLanes: 1, batchWindowMs: 0 });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it("a request behind a running one is accepted at position 1, then started when the first is gone", async () => {
    const abortFirst = new AbortController();
    const first = new EventReader(await postGenerate(rt.url, tinyRequest({ steps: 100, seed: 1 }), { signal: abortFirst.signal }));
    expect((await first.until("started")).type).toBe("started");
    await first.until("progress");

    const second = new EventReader(await postGenerate(rt.url, tinyRequest({ steps: 1, seed: 2 })));
    const accepted = await second.until("accepted");
    expect(accepted.data).toMatchObject({ queuePosition: 1 });
    abortFirst.abort();
    await second.until("started");
    // Nothing but queue news came before it started.
    expect(second.seen.map((e) => e.type).every((t) => t === "accepted" || t === "queued" || t === "started")).toBe(true);
    expect((await second.end())?.type).toBe("done");
  });
});
