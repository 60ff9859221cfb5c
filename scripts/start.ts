/**
 * npm start: the whole product on one machine. Puts the tiny model pack and the lite face pack in
 * place if missing, starts the GPU runtime (127.0.0.1:8788) and the edge (127.0.0.1:8787, PORT to
 * change) as two processes, as production runs them, and prints the URLs and a dev API key.
 * Ctrl-C stops both.
 *
 * Supervision: a runtime that dies is restarted (after 1 s, doubling to 30 s while it keeps dying,
 * back to 1 s after a minute up); the edge stays up meanwhile (503 runtime_unavailable, retryable,
 * Retry-After; /readyz 503). An edge that dies stops everything, as before. The dev key is kept in
 * <dataDir>/dev-api-key (0600) and printed again at the next start while it is still valid.
 * Everything both processes write is owner-only (umask 077).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fetchLitePack } from "../models/face-pack/fetch-lite-pack.ts";
import { stderrProgress } from "../models/pack/progress.ts";
import { ensureTinyPack } from "../models/tiny/ensure-tiny-pack.ts";
import { buildWebApp } from "../web/build.ts";
import { issueApiKey } from "../functions/api-keys/issue-api-key.ts";
import { createSqliteApiKeyStore } from "../functions/adapters/node/sqlite/api-key-store.ts";
import { edgeDatabasePath, openDatabase } from "../functions/adapters/node/sqlite/index.ts";
import { ensurePrivateDataDir } from "../functions/adapters/node/sqlite/data-files.ts";
import { apiKeyMatchesHash, parseApiKey } from "../functions/api-keys/api-key.ts";
import { fromHex } from "../functions/crypto/sha256.ts";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";

const root = join(import.meta.dirname, "..");
const host = "127.0.0.1";
const edgePort = Number(process.env.PORT ?? 8787);
const runtimePort = Number(process.env.RUNTIME_PORT ?? 8788);
const dataDir = process.env.DATA_DIR ?? join(root, "data");
// Both processes are ours: a fresh shared secret per start unless one is given.
const runtimeToken = process.env.RUNTIME_TOKEN ?? randomBytes(24).toString("hex");
const DEV_USER = "dev";
const DEV_KEY_NAME = "npm start dev key";
// `npm start -- --edge=workers`: the Workers edge (wrangler dev, scripts/start-workers.ts) in place of the Node one.
const onWorkers = process.argv.includes("--edge=workers");

const log = (line: string) => console.error(`[start] ${line}`);
const children = new Set<ChildProcess>();
const restartTimers = new Set<NodeJS.Timeout>();
let stopping = false;
// Data files (database, key files, images) readable by this user only; the children inherit it.
process.umask(0o077);

const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

/**
 * Starts a child; with `restart`, a child that dies is started again with backoff (its name's
 * "[start] <name> pid N" line is printed again), else its death stops everything.
 */
function startProcess(name: string, entry: string, env: Record<string, string>, opts: { restart?: boolean } = {}): void {
  let delay = RESTART_FIRST_MS;
  const launch = () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, entry)], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const startedAt = Date.now();
    // Parseable ("[start] runtime pid 1234"): tests and operators find the child to signal.
    log(`${name} pid ${child.pid}`);
    children.add(child);
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (!opts.restart) {
        log(`${name} exited (${how}); stopping`);
        void stop(1);
        return;
      }
      if (Date.now() - startedAt > STABLE_AFTER_MS) delay = RESTART_FIRST_MS;
      log(`${name} exited (${how}); restarting in ${delay / 1000} s`);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!stopping) launch();
      }, delay);
      restartTimers.add(timer);
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    });
  };
  launch();
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

/** Set by devKey: the printed key is the one the previous start printed. */
let devKeyKept = false;
const devKeyFile = () => join(dataDir, "dev-api-key");

/**
 * The dev user's key: the one saved by the previous start while it is still valid (not revoked,
 * still in this database), else a fresh one (earlier npm start keys revoked, so one is live),
 * saved owner-only for the next start.
 */
async function devKey(): Promise<string> {
  const db = openDatabase(edgeDatabasePath(dataDir));
  try {
    const store = createSqliteApiKeyStore(db);
    let saved: string | undefined;
    try {
      saved = readFileSync(devKeyFile(), "utf8").trim();
    } catch {
      // first start in this data folder
    }
    const parsed = saved ? parseApiKey(saved) : undefined;
    const record = parsed ? await store.findById(parsed.keyId) : undefined;
    if (saved && record && record.revokedMs === null && (await apiKeyMatchesHash(saved, fromHex(record.hash)))) {
      devKeyKept = true;
      return saved;
    }
    for (const k of await store.list(DEV_USER)) if (k.name === DEV_KEY_NAME && k.revokedMs === null) await store.revoke(k.id, Date.now());
    const { key } = await issueApiKey(store, { userId: DEV_USER, name: DEV_KEY_NAME, limits: {}, nowMs: Date.now() });
    writeFileSync(devKeyFile(), `${key}\n`, { mode: 0o600 });
    chmodSync(devKeyFile(), 0o600);
    return key;
  } finally {
    db.close();
  }
}

async function stop(code: number): Promise<never> {
  stopping = true;
  for (const t of restartTimers) clearTimeout(t);
  await Promise.all(
    [...children].map(
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
  // The web app is served at / by either edge; built at every start so a source change shows (the
  // Workers edge's asset folder is built from it by start-workers.ts).
  if (!onWorkers) await buildWebApp();
  ensurePrivateDataDir(dataDir);
  startProcess(
    "runtime",
    "gpu-runtime/main.ts",
    {
      RUNTIME_TOKEN: runtimeToken,
      RUNTIME_HOST: host,
      RUNTIME_PORT: String(runtimePort),
      RUNTIME_PACK_DIR: process.env.RUNTIME_PACK_DIR ?? packDir,
    },
    { restart: true },
  );
  await waitHealthy(`http://${host}:${runtimePort}/healthz`, 120_000);
  startProcess("edge", onWorkers ? "scripts/start-workers.ts" : "functions/node.ts", {
    RUNTIME_TOKEN: runtimeToken,
    RUNTIME_URL: `http://${host}:${runtimePort}`,
    HOST: host,
    PORT: String(edgePort),
    DATA_DIR: dataDir,
  });
  const edgeUrl = `http://${host}:${edgePort}`;
  await waitHealthy(`${edgeUrl}/healthz`, 120_000);
  const key = onWorkers
    ? await (await import("./start-workers.ts"))
        .workersDevKey(dataDir, DEV_USER, DEV_KEY_NAME)
        .then((k) => ((devKeyKept = k.kept), k.key))
    : await devKey();
  console.log(`
InstantID Edge is running (tiny model pack: random weights, so images are noise).
  API      ${edgeUrl}   docs ${edgeUrl}/docs   OpenAPI ${edgeUrl}/openapi.json
  web app  ${edgeUrl}/
  runtime  http://${host}:${runtimePort}   (metrics /metrics)
  dev key  (user "${DEV_USER}"; ${devKeyKept ? "the same as at the last start" : "new; kept across restarts"})
${key}
Ctrl-C stops both.`);
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
main().catch((err: Error) => {
  log(`cannot start: ${err.message}`);
  void stop(1);
});
