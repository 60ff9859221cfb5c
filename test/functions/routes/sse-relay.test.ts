/** The SSE relay: ids on every event, a keepalive comment while idle, and the end of the stream. */
import { describe, expect, it } from "vitest";
import { EventFeed } from "../../../functions/coordinator/event-feed.ts";
import type { CoordinatedEvent } from "../../../functions/ports/generation-coordinator.ts";
import { relayEvents, SSE_HEARTBEAT_MS } from "../../../functions/routes/sse-relay.ts";

const progress = (step: number, id: number): CoordinatedEvent => ({ id, event: "progress", data: { step, total: 3 } });

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string, seen: { all: string }): Promise<void> {
  const decoder = new TextDecoder();
  while (!seen.all.includes(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended before ${JSON.stringify(text)}: ${seen.all}`);
    seen.all += decoder.decode(value, { stream: true });
  }
}

describe("relayEvents", () => {
  it("defaults to a 15 s heartbeat", () => {
    expect(SSE_HEARTBEAT_MS).toBe(15_000);
  });

  it("writes each event with its id, a keepalive comment while nothing happens, and closes after the final event", async () => {
    const feed = new EventFeed();
    const abort = new AbortController();
    // A 1 ms heartbeat: the test waits for the comment to arrive, not for any duration.
    const reader = relayEvents(feed.subscribe(0, abort.signal), abort, 1).getReader();
    const seen = { all: "" };
    feed.push(progress(1, 64));
    await readUntil(reader, "id: 64\n", seen);
    expect(seen.all).toContain('event: progress\nid: 64\ndata: {"step":1,"total":3}\n\n');
    await readUntil(reader, ": keepalive\n\n", seen);
    feed.push({ id: 256, event: "error", data: { code: "cancelled", message: "cancelled", retryable: false } });
    await readUntil(reader, "id: 256\n", seen);
    for (;;) if ((await reader.read()).done) break;
  });

  it("a client that goes away ends the subscription", async () => {
    const feed = new EventFeed();
    const abort = new AbortController();
    const reader = relayEvents(feed.subscribe(0, abort.signal), abort, 60_000).getReader();
    await reader.cancel();
    expect(abort.signal.aborted).toBe(true);
  });
});

describe("EventFeed", () => {
  it("replays the latest progress, every image and the final event after a Last-Event-ID", async () => {
    const feed = new EventFeed();
    feed.push({ id: 1, event: "queued", data: {} as never });
    feed.push(progress(1, 64));
    feed.push(progress(2, 128));
    feed.push({ id: 194, event: "image", data: { index: 0 } as never });
    feed.push({ id: 195, event: "image", data: { index: 1 } as never });
    feed.push({ id: 256, event: "done", data: {} as never });
    const ids: number[] = [];
    for await (const e of feed.subscribe(64)) ids.push(e.id);
    expect(ids).toEqual([128, 194, 195, 256]);
  });

  it("with retain 'all' replays every event after a Last-Event-ID, also once it has ended", async () => {
    const feed = new EventFeed({ retain: "all" });
    feed.push({ id: 1, event: "queued", data: {} as never });
    feed.push({ id: 2, event: "queued", data: {} as never });
    feed.push(progress(1, 64));
    feed.push({ id: 65, event: "preview", data: {} as never });
    feed.push(progress(2, 128));
    feed.push({ id: 129, event: "preview", data: {} as never });
    const live: number[] = [];
    const early = feed.subscribe(0)[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) live.push((await early.next()).value!.id);
    expect(live).toEqual([1, 2, 64, 65, 128, 129]);
    feed.push(progress(3, 192));
    feed.push({ id: 194, event: "image", data: { index: 0 } as never });
    feed.push({ id: 256, event: "done", data: {} as never });
    feed.push(progress(3, 300)); // after the final event: ignored
    const after64: number[] = [];
    for await (const e of feed.subscribe(64)) after64.push(e.id);
    expect(after64).toEqual([65, 128, 129, 192, 194, 256]);
    const all: number[] = [];
    for await (const e of feed.subscribe(0)) all.push(e.id);
    expect(all).toEqual([1, 2, 64, 65, 128, 129, 192, 194, 256]);
    for (let r = await early.next(); !r.done; r = await early.next()) live.push(r.value.id);
    expect(live).toEqual(all);
  });
});
