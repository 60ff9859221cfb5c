/**
 * Fault injection with real processes: the GPU runtime is a child process that dies mid-stream,
 * hangs without a byte, or answers garbage; the database is locked by another process; the image
 * folder cannot be written (a file where the folder should be, standing in for a full disk).
 * Each ends in a typed error, a consistent record, and (where no step ran) the cost refunded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeysCli } from "../../functions/cli/keys.ts";
import { startEdge, type RunningEdge } from "../../functions/node.ts";
import { edgeDatabasePath } from "../../functions/adapters/node/sqlite/index.ts";
import { photoForm, readFace, type TestResponse } from "../functions/helpers/edge-harness.ts";
import { startLiteFaceKit, type LiteFaceKit } from "../functions/helpers/lite-face-kit.ts";
import { REPO_ROOT } from "../scripts/helpers/npm-start.ts";

let kit: LiteFaceKit;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  kit = await startLiteFaceKit();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await kit?.close();
});

/** Spawns a child that prints a line matching `ready` once it is ready; killed after the file. */
async function child(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  let out = "";
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve(m);
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`child exited (${code}) before ready:\n${out}`)));
  });
  return { proc, match };
}

const faultRuntime = async (mode: string) => {
  const { proc, match } = await child(["--import", "tsx", "test/faults/helpers/fault-runtime.ts", mode], /listening (\d+)/);
  return { proc, url: `http://127.0.0.1:${match[1]}` };
};

const COST = 64 * 64 * 2; // one 64x64 image, 2 steps

interface Setup {
  edge: RunningEdge;
  dataDir: string;
  key: string;
  identityId: string;
  api(path: string, init?: RequestInit): Promise<TestResponse>;
  generate(): Promise<TestResponse>;
  finished(id: string, timeoutMs?: number): Promise<any>;
}

/** An edge (real SQLite, real face kit) in front of `runtimeUrl`, a key whose cost bucket holds exactly one generation. */
async function setup(runtimeUrl: string, prepare?: (dataDir: string) => void): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), "edge-faults-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  prepare?.(dataDir);
  const edge = await startEdge({ dataDir, runtimeUrl, runtimeToken: "t", faceKit: kit, port: 0, log: () => undefined });
  cleanups.push(() => edge.close());
  const lines: string[] = [];
  await runKeysCli(["create", "--user", "faulty", "--cost-burst", String(COST), "--cost-per-minute", "0.001"], dataDir, (l) => lines.push(l));
  const key = lines.at(-1)!;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${edge.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } }) as Promise<TestResponse>;
  const identity = await (await api("/v1/identities", { method: "POST", body: photoForm(await readFace("astronaut.png")) })).json();
  const generate = () =>
    api("/v1/generations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2 }),
    });
  const finished = async (id: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const g = await (await api(`/v1/generations/${id}`)).json();
      if (["succeeded", "failed", "cancelled"].includes(g.status)) return g;
      if (Date.now() > deadline) throw new Error(`generation ${id} still ${g.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { edge, dataDir, key, identityId: identity.id, api, generate, finished };
}

/** The failed generation's cost came back: a second one of the same cost is admitted (the bucket holds one). */
async function expectCostRefunded(s: Setup): Promise<void> {
  const again = await s.generate();
  expect(again.status, await again.clone().text()).toBe(202);
  await s.finished((await again.json()).id);
}

describe("runtime faults (the runtime is a real child process)", () => {
  it("runtime killed mid-stream: failed runtime_disconnected (retryable), no images, cost refunded", async () => {
    const rt = await faultRuntime("die");
    const s = await setup(rt.url);
    const res = await s.generate();
    expect(res.status).toBe(202);
    const g = await s.finished((await res.json()).id);
    expect(g).toMatchObject({ status: "failed", images: [] });
    expect(g.error.code).toBe("runtime_disconnected");
    // The runtime is gone: the refund is what lets the next request reach it (and be refused 503, not 429).
    const next = await s.generate();
    expect(next.status).not.toBe(429);
  }, 120_000);

  it("runtime garbage: failed runtime_protocol_error, no images, cost refunded", async () => {
    const rt = await faultRuntime("garbage");
    const s = await setup(rt.url);
    const res = await s.generate();
    expect(res.status).toBe(202);
    const g = await s.finished((await res.json()).id);
    expect(g).toMatchObject({ status: "failed", images: [] });
    expect(["runtime_protocol_error", "runtime_disconnected"]).toContain(g.error.code);
    await expectCostRefunded(s);
  }, 120_000);

  it("runtime hung (no bytes at all): 503 runtime_unavailable (retryable) after the headers timeout, cost refunded", async () => {
    const rt = await faultRuntime("hang");
    const s = await setup(rt.url);
    // The POST waits for the runtime to take the work (its response headers): a runtime that never
    // answers is refused once the headers timeout passes, and nothing was charged.
    const res = await s.generate();
    expect(res.status, await res.clone().text()).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect(await res.json()).toMatchObject({ code: "runtime_unavailable", retryable: true });
    // Refunded: the next one is not refused for quota (it reaches the still-hung runtime instead).
    const next = await s.generate();
    expect(next.status).not.toBe(429);
    await next.body?.cancel();
  }, 150_000);
});

describe("storage faults", () => {
  it("database locked by another process: 503 storage_busy (retryable), nothing half-written, service resumes", async () => {
    const rt = await faultRuntime("complete");
    const s = await setup(rt.url);
    const count = () => {
      const db = new Database(edgeDatabasePath(s.dataDir), { readonly: true });
      try {
        return (db.prepare("SELECT COUNT(*) AS n FROM generations").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const before = count();
    const locker = await child(
      ["-e", `const D=require("better-sqlite3");const d=new D(${JSON.stringify(edgeDatabasePath(s.dataDir))});d.exec("BEGIN EXCLUSIVE");console.log("locked");setTimeout(()=>{d.exec("ROLLBACK");process.exit(0)},12000)`],
      /locked/,
    );
    const res = await s.generate();
    expect(res.status, await res.clone().text()).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect(await res.json()).toMatchObject({ code: "storage_busy", retryable: true });
    await new Promise<void>((resolve) => (locker.proc.exitCode !== null ? resolve() : locker.proc.once("exit", () => resolve())));
    expect(count()).toBe(before);
    const ok = await s.generate();
    expect(ok.status, await ok.clone().text()).toBe(202);
    expect((await s.finished((await ok.json()).id)).status).toBe("succeeded");
  }, 120_000);

  it("image write fails (a file where the image folder should be, as a full disk would): failed with a typed code, no image rows", async () => {
    const rt = await faultRuntime("complete");
    const s = await setup(rt.url, (dataDir) => writeFileSync(join(dataDir, "generations"), "not a folder"));
    const res = await s.generate();
    expect(res.status).toBe(202);
    const id = (await res.json()).id;
    const g = await s.finished(id);
    expect(g).toMatchObject({ status: "failed", images: [] });
    expect(typeof g.error.code).toBe("string");
    expect((await s.api(`/v1/generations/${id}/images/0`)).status).toBe(404);
  }, 120_000);
});
