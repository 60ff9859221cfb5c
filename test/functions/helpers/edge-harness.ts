/**
 * A running edge for tests: a real SQLite file in a temp dir, real HTTP on loopback, the stub
 * runtime (a real HTTP server speaking the contract, for tests that need no real generation),
 * and the real face kit (lite pack + shared/image intake). Keys are made with the keys CLI while
 * the server runs, as an operator would.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runKeysCli } from "../../../functions/cli/keys.ts";
import { startEdge, type RunningEdge } from "../../../functions/node.ts";
import { startLiteFaceKit, type LiteFaceKit } from "./lite-face-kit.ts";
import { startStubRuntime, type StubRuntime } from "./stub-runtime.ts";

export const FACES_DIR = new URL("../../fixtures/faces/", import.meta.url);
export const readFace = async (name: string) => new Uint8Array(await readFile(new URL(name, FACES_DIR)));

/** A fetch Response whose JSON is untyped, as tests read it. */
export type TestResponse = Omit<Response, "json"> & { json(): Promise<any> };

export interface Harness {
  readonly url: string;
  readonly dataDir: string;
  readonly edge: RunningEdge;
  readonly stub: StubRuntime;
  readonly kit: LiteFaceKit;
  /** Runs `keys create` and returns the key (the CLI's last line). */
  createKey(userId: string, flags?: string[]): Promise<string>;
  keysCli(args: string[]): Promise<string[]>;
  fetch(path: string, init?: RequestInit & { key?: string }): Promise<TestResponse>;
  close(): Promise<void>;
}

/**
 * Call once per test file (beforeAll) and close in afterAll. `faceEnv`: face-kit settings for this
 * file's kit (e.g. small PHOTO_MAX_BYTES); the harness starts the kit and closes it with itself.
 */
export async function startHarness(opts: { faceEnv?: Record<string, string> } = {}): Promise<Harness> {
  // EDGE_UNDER_TEST=workers: the same suites against the Workers edge (vitest project "workers-contract").
  if (process.env.EDGE_UNDER_TEST === "workers") return (await import("../../workers/helpers/workers-harness.ts")).startWorkersHarness(opts);
  const kit = await startLiteFaceKit(opts.faceEnv);
  const dataDir = await mkdtemp(join(tmpdir(), "edge-test-"));
  let stub: StubRuntime | undefined;
  let edge: RunningEdge;
  try {
    stub = await startStubRuntime();
    edge = await startEdge({
      dataDir,
      runtimeUrl: stub.url,
      runtimeToken: stub.token,
      faceKit: kit,
      port: 0,
      log: () => undefined,
    });
  } catch (err) {
    await stub?.close();
    await kit.close();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const keysCli = async (args: string[]) => {
    const lines: string[] = [];
    await runKeysCli(args, dataDir, (l) => lines.push(l));
    return lines;
  };
  return {
    url: edge.url,
    dataDir,
    edge,
    stub,
    kit,
    keysCli,
    async createKey(userId, flags = []) {
      const lines = await keysCli(["create", "--user", userId, ...flags]);
      return lines[lines.length - 1];
    },
    fetch(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set("authorization", `Bearer ${key}`);
      return fetch(`${edge.url}${path}`, { ...rest, headers }) as Promise<TestResponse>;
    },
    async close() {
      await edge.close();
      await stub.close();
      await kit.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function photoForm(...photos: Uint8Array[]): FormData {
  const form = new FormData();
  photos.forEach((p, i) => form.append("image", new Blob([p as Uint8Array<ArrayBuffer>]), `photo${i}.bin`));
  return form;
}

/** Reads a whole SSE response into [event, data] pairs. */
export async function readEvents(res: TestResponse): Promise<{ event: string; data: any }[]> {
  const { readSseStream } = await import("../../../shared/contract/sse.ts");
  const out: { event: string; data: any }[] = [];
  for await (const m of readSseStream(res.body as ReadableStream<Uint8Array>)) {
    out.push({ event: m.event, data: JSON.parse(m.data) });
  }
  return out;
}
