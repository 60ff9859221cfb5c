import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { createFetchRuntimeClient } from "../../../functions/runtime-client/fetch-runtime-client.ts";
import { createNodeRuntimeClient } from "../../../functions/adapters/node/node-runtime-client.ts";
import type { RuntimeClient } from "../../../functions/runtime-client/runtime-client.ts";
import { RuntimeCallError } from "../../../functions/runtime-client/runtime-call-error.ts";
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import type { RuntimeGenerateRequestInput } from "../../../shared/contract/generate-request.ts";
import { startStubRuntime, type StubRuntime } from "../helpers/stub-runtime.ts";

const request: RuntimeGenerateRequestInput = {
  requestId: "gen_test",
  embedding: encodeEmbedding(new Float32Array(512).fill(0.25)),
  embeddingPack: "lite",
  kps: [[10, 10], [20, 10], [15, 15], [11, 20], [19, 20]],
  prompt: "p",
  width: 64,
  height: 64,
  steps: 2,
  guidanceScale: 5,
  identityStrength: 0.8,
  adapterStrength: 0.8,
  seed: 1,
  scheduler: "euler",
  numImages: 1,
  outputFormat: "png",
};

let stub: StubRuntime;
beforeAll(async () => {
  stub = await startStubRuntime();
});
afterAll(() => stub.close());

async function collect(it: AsyncIterable<{ type: string }>) {
  const out: string[] = [];
  for await (const e of it) out.push(e.type);
  return out;
}

async function callError(p: Promise<unknown>): Promise<RuntimeCallError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RuntimeCallError);
  return e as RuntimeCallError;
}

const implementations: [string, (o: { baseUrl: string; token: string }) => RuntimeClient][] = [
  ["node:http", createNodeRuntimeClient],
  ["fetch", createFetchRuntimeClient],
];

describe.each(implementations)("runtime client over %s", (_name, createHttpRuntimeClient) => {
  it("streams the contract's events", async () => {
    stub.behaviour = "complete";
    const client = createHttpRuntimeClient({ baseUrl: stub.url, token: stub.token });
    const events = await collect(await client.generate(request, new AbortController().signal));
    expect(events).toEqual(["accepted", "progress", "progress", "image", "done"]);
  });

  it("maps refusals: wrong token -> runtime_rejected, busy -> runtime_busy with Retry-After", async () => {
    stub.behaviour = "complete";
    const wrong = createHttpRuntimeClient({ baseUrl: stub.url, token: "nope" });
    const e1 = await callError(wrong.generate(request, new AbortController().signal));
    expect(e1.code).toBe("runtime_rejected");
    expect(e1.runtimeCode).toBe("unauthorized");
    stub.behaviour = "busy";
    const client = createHttpRuntimeClient({ baseUrl: stub.url, token: stub.token });
    const e2 = await callError(client.generate(request, new AbortController().signal));
    expect(e2.code).toBe("runtime_busy");
    expect(e2.retryAfterSeconds).toBe(7);
  });

  it("runtime_unavailable when nothing listens", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const client = createHttpRuntimeClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
    expect((await callError(client.generate(request, new AbortController().signal))).code).toBe("runtime_unavailable");
  });

  it("runtime_disconnected when the stream breaks, runtime_protocol_error on a malformed event", async () => {
    const client = createHttpRuntimeClient({ baseUrl: stub.url, token: stub.token });
    stub.behaviour = "die_mid_stream";
    expect((await callError(collect(await client.generate(request, new AbortController().signal)))).code).toBe(
      "runtime_disconnected",
    );
    stub.behaviour = "malformed_event";
    expect((await callError(collect(await client.generate(request, new AbortController().signal)))).code).toBe(
      "runtime_protocol_error",
    );
  });

  it("aborting closes the upstream request", async () => {
    stub.behaviour = "hang";
    const client = createHttpRuntimeClient({ baseUrl: stub.url, token: stub.token });
    const abort = new AbortController();
    const events = await client.generate(request, abort.signal);
    const disconnected = stub.nextDisconnect();
    const iterator = events[Symbol.asyncIterator]();
    expect((await iterator.next()).value.type).toBe("accepted");
    abort.abort(new Error("stop"));
    // Events already received may still come out; then the iteration fails with the abort reason.
    const drain = async () => {
      for (let i = 0; i < 10; i++) if ((await iterator.next()).done) return "ended";
      return "still running";
    };
    await expect(drain()).rejects.toThrow("stop");
    expect(await disconnected).toBe("gen_test");
  });
});
