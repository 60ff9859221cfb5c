/**
 * A running edge for tests: a real SQLite file in a temp dir, real HTTP on loopback, the stub
 * runtime (a real HTTP server speaking the contract, for tests that need no real generation),
 * and the real face kit (lite pack + shared/image intake). Keys are made with the keys CLI while
 * the server runs, as an operator would.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createSqliteStores, edgeDatabasePath } from "../../../functions/adapters/node/sqlite/index.ts";
import { runKeysCli } from "../../../functions/cli/keys.ts";
import { startEdge, type RunningEdge } from "../../../functions/node.ts";
import type { IdentityRecord } from "../../../functions/stores/identity-store.ts";
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
  /** Rows of a read on the edge's own database: its SQLite file on Node, its local D1 on Workers. */
  queryRows(sql: string, ...params: (string | number)[]): Promise<Record<string, unknown>[]>;
  /** An identity as the edge's store reads it back (embedding decrypted), from outside the edge. */
  storedIdentity(userId: string, id: string): Promise<IdentityRecord | undefined>;
  /**
   * The storage key of every result image the edge holds: paths under data/generations on Node
   * (`<xx>/<generationId>-<index>.<ext>`), R2 keys on Workers (`generations/<generationId>/<index>.<ext>`).
   */
  storedImageKeys(): Promise<string[]>;
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
    async queryRows(sql, ...params) {
      const db = new Database(edgeDatabasePath(dataDir), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    async storedIdentity(userId, id) {
      // A second connection with the edge's embedding key (the row itself is encrypted).
      const second = createSqliteStores(dataDir);
      try {
        return await second.stores.identities.get(userId, id);
      } finally {
        second.db.close();
      }
    },
    async storedImageKeys() {
      const root = join(dataDir, "generations");
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
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
