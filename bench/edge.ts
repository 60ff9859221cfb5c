/**
 * Edge overhead benchmark: throughput and p50/p99 latency of a cached-identity generation request
 * (POST /v1/generations, 202 path: auth, two token buckets, identity from the LRU, a generation
 * row, the runtime call up to its accept, then the stream consumed in the background) against a
 * stub runtime, next to a bare Hono hello-world served the same way, in one run. Prints the ratio
 * (goal: >= 0.5).
 *
 *   npx tsx bench/edge.ts [--seconds 5] [--concurrency 32]
 *
 * Each server runs in its own process (forked), the load generator in this one, so no server
 * shares an event loop with the load or with the stub runtime. Each server's CPU time per request
 * is printed too: unlike throughput, it barely moves when other work shares the machine.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

type Role = "hello" | "edge" | "stub";
interface Ready {
  url: string;
  key?: string;
  identityId?: string;
}

const SELF = fileURLToPath(import.meta.url);
const TINY_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

// ---------------------------------------------------------------- servers (child processes)

async function serveHello(): Promise<Ready> {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const app = new Hono();
  app.get("/", (c) => c.text("Hello Hono!"));
  return listen((port, cb) => serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (i) => cb(i.port)));
}

/** A runtime that accepts at once and answers one tiny image: the edge's cost is what is measured. */
async function serveStub(): Promise<Ready> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { requestId: string; seed: number };
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        `event: accepted\ndata: {"requestId":"${r.requestId}","queuePosition":0}\n\n` +
          `event: progress\ndata: {"step":1,"total":1}\n\n` +
          `event: image\ndata: {"index":0,"mimeType":"image/png","width":1,"height":1,"seed":${r.seed},"data":"${TINY_PNG_BASE64}"}\n\n` +
          `event: done\ndata: {"images":1,"elapsedMs":0}\n\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function serveEdge(runtimeUrl: string, dataDir: string): Promise<Ready> {
  const { serve } = await import("@hono/node-server");
  const { createEdgeApp } = await import("../functions/app.ts");
  const { createSqliteStores } = await import("../functions/adapters/node/sqlite/index.ts");
  const { createCachedIdentityStore } = await import("../functions/stores/cached/identity-store.ts");
  const { createCachedApiKeyStore } = await import("../functions/stores/cached/api-key-store.ts");
  const { sqliteChangeProbe } = await import("../functions/adapters/node/sqlite/change-probe.ts");
  const { createNodeRuntimeClient } = await import("../functions/adapters/node/node-runtime-client.ts");
  const { issueApiKey } = await import("../functions/api-keys/issue-api-key.ts");

  const { stores, db } = createSqliteStores(dataDir);
  // Bench-only face analysis: the identity is made once before timing; only its cached use is measured.
  const embedding = Float32Array.from({ length: 512 }, (_, i) => Math.cos(i));
  const edge = createEdgeApp({
    // The stores as functions/node.ts wires them.
    stores: {
      ...stores,
      identities: createCachedIdentityStore(stores.identities, 1000),
      apiKeys: createCachedApiKeyStore(stores.apiKeys, { maxEntries: 1000, changedElsewhere: sqliteChangeProbe(db) }),
    },
    photoAnalyser: {
      analyse: async () => ({
        width: 64,
        height: 64,
        faces: [
          {
            bbox: [0, 0, 64, 64],
            score: 1,
            kps: [[20, 20], [44, 20], [32, 32], [22, 44], [42, 44]],
            embedding,
            pack: "lite",
          },
        ],
      }),
      close: async () => {},
    },
    runtime: createNodeRuntimeClient({ baseUrl: runtimeUrl, token: "bench" }),
    log: (m, e) => console.error(m, e),
  });
  const unlimited = 1e15;
  const { key, record } = await issueApiKey(stores.apiKeys, {
    userId: "bench",
    limits: { requestsBurst: unlimited, requestsPerMinute: unlimited, costBurst: unlimited, costPerMinute: unlimited, maxInFlight: unlimited },
    nowMs: Date.now(),
  });
  const { identity } = await edge.identities.register(record.userId, [new Uint8Array([1, 2, 3])]);
  const ready = await listen((port, cb) => serve({ fetch: edge.app.fetch, port, hostname: "127.0.0.1" }, (i) => cb(i.port)));
  return { ...ready, key, identityId: identity.id };
}

function listen(start: (port: number, cb: (port: number) => void) => unknown): Promise<Ready> {
  return new Promise((resolve) => start(0, (port) => resolve({ url: `http://127.0.0.1:${port}` })));
}

// ---------------------------------------------------------------- load generator

interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

async function load(
  target: { url: string; method: string; path: string; headers: Record<string, string>; body?: string; okStatus: number },
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const { hostname, port } = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        { hostname, port, path: target.path, method: target.method, headers: target.headers, agent },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(target.body);
    });
  const run = async (ms: number, latencies: number[] | undefined) => {
    let errors = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const status = await once().catch(() => -1);
          latencies?.push(performance.now() - t0);
          if (status !== target.okStatus) errors++;
        }
      }),
    );
    return errors;
  };
  await run(1000, undefined); // warm-up: JIT, connections, caches
  const latencies: number[] = [];
  const t0 = performance.now();
  const errors = await run(seconds * 1000, latencies);
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { requests: latencies.length, errors, rps: latencies.length / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

// ---------------------------------------------------------------- orchestration

interface Server {
  readonly child: ChildProcess;
  readonly ready: Ready;
}

interface Cpu {
  user: number;
  system: number;
  /** The JS (event-loop) thread alone, user + system; undefined where /proc is not readable. */
  mainThread?: number;
}

/** The child's CPU time in microseconds, so cost per request can be told apart from contention. */
function cpuMicros(s: Server): Promise<Cpu> {
  return new Promise((resolve) => {
    s.child.once("message", (m) => resolve(m as Cpu));
    s.child.send("cpu");
  });
}

const cpuSince = (a: Cpu, b: Cpu): Cpu => ({
  user: b.user - a.user,
  system: b.system - a.system,
  ...(a.mainThread !== undefined && b.mainThread !== undefined ? { mainThread: b.mainThread - a.mainThread } : {}),
});

/**
 * CPU time of this process's main thread in microseconds (Linux: /proc/self/task/<pid>/stat, in
 * clock ticks, assumed 100 Hz). process.cpuUsage() also counts the libuv thread pool and V8's GC
 * helpers; the event loop's own time is what caps one server's throughput.
 */
function mainThreadMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

function spawnRole(role: Role, args: string[]): Promise<Server> {
  // BENCH_PROF=<role> writes a V8 CPU profile of that server to <tmpdir>/edge-bench-profiles on exit.
  const profile = process.env.BENCH_PROF === role ? ["--cpu-prof", `--cpu-prof-dir=${join(tmpdir(), "edge-bench-profiles")}`] : [];
  const child = fork(SELF, [`--role=${role}`, ...args], { execArgv: ["--import", "tsx", ...profile], stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve({ child, ready: m as Ready }));
    child.once("exit", (code) => reject(new Error(`${role} server exited (${code})`)));
  });
}

const fmt = (r: LoadResult) =>
  `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   (${r.requests} requests, ${r.errors} errors)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: "string", default: "5" }, concurrency: { type: "string", default: "32" } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const dataDir = await mkdtemp(join(tmpdir(), "edge-bench-"));
  const children: ChildProcess[] = [];
  try {
    const stub = await spawnRole("stub", []);
    children.push(stub.child);
    const edge = await spawnRole("edge", [stub.ready.url, dataDir]);
    children.push(edge.child);
    const hello = await spawnRole("hello", []);
    children.push(hello.child);

    console.log(`edge bench: ${seconds} s per target, ${concurrency} concurrent connections, node ${process.version}`);
    const h0 = await cpuMicros(hello);
    const helloResult = await load(
      { url: hello.ready.url, method: "GET", path: "/", headers: {}, okStatus: 200 },
      concurrency,
      seconds,
    );
    const helloCpu = cpuSince(h0, await cpuMicros(hello));
    console.log(`hono hello-world          ${fmt(helloResult)}`);
    const body = JSON.stringify({ identityId: edge.ready.identityId, prompt: "a portrait", width: 64, height: 64, steps: 1 });
    const e0 = await cpuMicros(edge);
    const s0 = await cpuMicros(stub);
    const edgeResult = await load(
      {
        url: edge.ready.url,
        method: "POST",
        path: "/v1/generations",
        headers: {
          authorization: `Bearer ${edge.ready.key}`,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
        },
        body,
        okStatus: 202,
      },
      concurrency,
      seconds,
    );
    const edgeCpu = cpuSince(e0, await cpuMicros(edge));
    const stubCpu = cpuSince(s0, await cpuMicros(stub));
    console.log(`edge POST /v1/generations ${fmt(edgeResult)}`);
    // Requests include the 1 s warm-up, so CPU per request is over warm-up + measured requests.
    const perReq = (cpu: Cpu, r: LoadResult) => {
      const n = r.requests * (1 + 1 / seconds);
      const main = cpu.mainThread === undefined ? "" : `, main thread ${(cpu.mainThread / n).toFixed(0)} us`;
      return `${((cpu.user + cpu.system) / n).toFixed(0)} us (${((100 * cpu.system) / Math.max(1, cpu.user + cpu.system)).toFixed(0)}% system${main})`;
    };
    console.log(
      `server CPU per request: hello-world ${perReq(helloCpu, helloResult)}, ` +
        `edge ${perReq(edgeCpu, edgeResult)}, stub runtime ${perReq(stubCpu, edgeResult)}`,
    );
    console.log(`ratio (edge / hello-world throughput): ${(edgeResult.rps / helloResult.rps).toFixed(2)} (goal >= 0.5)`);
  } finally {
    for (const c of children) c.kill();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const roleArg = process.argv.find((a) => a.startsWith("--role="));
if (roleArg) {
  const role = roleArg.slice("--role=".length) as Role;
  process.on("SIGTERM", () => process.exit(0));
  const rest = process.argv.slice(process.argv.indexOf(roleArg) + 1);
  const ready =
    role === "hello" ? serveHello() : role === "stub" ? serveStub() : serveEdge(rest[0], rest[1]);
  process.on("message", (m) => {
    if (m === "cpu") {
      const mainThread = mainThreadMicros();
      process.send?.({ ...process.cpuUsage(), ...(mainThread !== undefined ? { mainThread } : {}) });
    }
  });
  ready.then(
    (r) => process.send?.(r),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
