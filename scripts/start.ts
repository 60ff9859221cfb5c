/**
 * npm start: the whole product on one machine. Puts the tiny model pack and the lite face pack in
 * place if missing, starts the GPU runtime (127.0.0.1:8788) and the edge (127.0.0.1:8787, PORT to
 * change) as two processes, as production runs them, and prints the URLs and a dev API key.
 * Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fetchLitePack } from "../models/face-pack/fetch-lite-pack.ts";
import { stderrProgress } from "../models/pack/progress.ts";
import { ensureTinyPack } from "../models/tiny/ensure-tiny-pack.ts";
import { issueApiKey } from "../functions/api-keys/issue-api-key.ts";
import { createSqliteApiKeyStore } from "../functions/adapters/node/sqlite/api-key-store.ts";
import { edgeDatabasePath, openDatabase } from "../functions/adapters/node/sqlite/index.ts";

const root = join(import.meta.dirname, "..");
const host = "127.0.0.1";
const edgePort = Number(process.env.PORT ?? 8787);
const runtimePort = Number(process.env.RUNTIME_PORT ?? 8788);
const dataDir = process.env.DATA_DIR ?? join(root, "data");
// Both processes are ours: a fresh shared secret per start unless one is given.
const runtimeToken = process.env.RUNTIME_TOKEN ?? randomBytes(24).toString("hex");
const DEV_USER = "dev";
const DEV_KEY_NAME = "npm start dev key";

const log = (line: string) => console.error(`[start] ${line}`);
const children: ChildProcess[] = [];
let stopping = false;

function startProcess(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  // Parseable ("[start] runtime pid 1234"): tests and operators find the child to signal.
  log(`${name} pid ${child.pid}`);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    log(`${name} exited (${signal ?? `code ${code}`}); stopping`);
    void stop(1);
  });
  children.push(child);
  return child;
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A fresh key for the dev user; earlier ones made by npm start are revoked, so only one is live. */
async function devKey(): Promise<string> {
  const db = openDatabase(edgeDatabasePath(dataDir));
  try {
    const store = createSqliteApiKeyStore(db);
    for (const k of await store.list(DEV_USER)) if (k.name === DEV_KEY_NAME && k.revokedMs === null) await store.revoke(k.id, Date.now());
    return (await issueApiKey(store, { userId: DEV_USER, name: DEV_KEY_NAME, limits: {}, nowMs: Date.now() })).key;
  } finally {
    db.close();
  }
}

async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
        }),
    ),
  );
  process.exit(code);
}

async function main(): Promise<void> {
  const packDir = await ensureTinyPack({ progress: stderrProgress(7) });
  await fetchLitePack({ log });
  startProcess("runtime", "gpu-runtime/main.ts", {
    RUNTIME_TOKEN: runtimeToken,
    RUNTIME_HOST: host,
    RUNTIME_PORT: String(runtimePort),
    RUNTIME_PACK_DIR: process.env.RUNTIME_PACK_DIR ?? packDir,
  });
  await waitHealthy(`http://${host}:${runtimePort}/healthz`, 120_000);
  startProcess("edge", "functions/node.ts", {
    RUNTIME_TOKEN: runtimeToken,
    RUNTIME_URL: `http://${host}:${runtimePort}`,
    HOST: host,
    PORT: String(edgePort),
    DATA_DIR: dataDir,
  });
  const edgeUrl = `http://${host}:${edgePort}`;
  await waitHealthy(`${edgeUrl}/healthz`, 120_000);
  const key = await devKey();
  console.log(`
InstantID Edge is running (tiny model pack: random weights, so images are noise).
  API      ${edgeUrl}   docs ${edgeUrl}/docs   OpenAPI ${edgeUrl}/openapi.json
  runtime  http://${host}:${runtimePort}   (metrics /metrics)
  dev key  (user "${DEV_USER}"; new at every start)
${key}
Ctrl-C stops both.`);
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
main().catch((err: Error) => {
  log(`cannot start: ${err.message}`);
  void stop(1);
});
