/**
 * The Workers edge for `npm start -- --edge=workers`: started by scripts/start.ts in place of the
 * Node edge, with the same environment (HOST, PORT, DATA_DIR, RUNTIME_URL, RUNTIME_TOKEN). Applies
 * migrations/*.sql to the local D1, then runs `wrangler dev` (workerd, offline) with local D1, KV, R2
 * and Durable Object state persisted under <DATA_DIR>/workers, until it is signalled.
 *
 * The web app at / comes from the Worker's static assets, built first (web/server/workers-assets-build.ts)
 * with the runtime's face pack (RUNTIME_FACE_PACK, RUNTIME_FACE_PACK_DIR; default lite), which the
 * Worker is told as its FACE_PACK var: the embeddings the page makes are the ones it accepts.
 *
 * The runtime token and the embedding key reach the Worker as secrets through an env file written
 * with mode 0600 (never on a command line); deployed, they are `wrangler secret put RUNTIME_TOKEN`
 * and `wrangler secret put EMBEDDING_KEY`.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { apiKeyMatchesHash, parseApiKey } from "../functions/api-keys/api-key.ts";
import { issueApiKey } from "../functions/api-keys/issue-api-key.ts";
import { embeddingKeyText } from "../functions/adapters/node/sqlite/data-files.ts";
import { ensureWorkersAssets, facePackFromEnv } from "../web/server/workers-assets-build.ts";
import { fromHex } from "../functions/crypto/sha256.ts";
import {
  applyLocalMigrations,
  openLocalWorkersApiKeyStore,
  REPO_ROOT,
  WRANGLER_BIN,
  WRANGLER_CONFIG,
  wranglerEnv,
  workersStateDir,
} from "../functions/cli/workers-local.ts";

/**
 * The dev user's key on the local Worker's D1, as the Node edge's npm start keeps it: the key saved
 * by the previous start (<DATA_DIR>/workers/dev-api-key, 0600) while it is still valid, else a fresh
 * one (earlier keys named `name` revoked) saved for the next start.
 */
export async function workersDevKey(dataDir: string, userId: string, name: string): Promise<{ key: string; kept: boolean }> {
  const stateDir = workersStateDir(dataDir);
  const file = join(stateDir, "dev-api-key");
  const { store, close } = await openLocalWorkersApiKeyStore(stateDir);
  try {
    const saved = await readFile(file, "utf8").then((t) => t.trim(), () => undefined);
    const parsed = saved ? parseApiKey(saved) : undefined;
    const record = parsed ? await store.findById(parsed.keyId) : undefined;
    if (saved && record && record.revokedMs === null && (await apiKeyMatchesHash(saved, fromHex(record.hash)))) {
      return { key: saved, kept: true };
    }
    for (const k of await store.list(userId)) if (k.name === name && k.revokedMs === null) await store.revoke(k.id, Date.now());
    const { key } = await issueApiKey(store, { userId, name, limits: {}, nowMs: Date.now() });
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return { key, kept: false };
  } finally {
    await close();
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const token = env.RUNTIME_TOKEN;
  if (!token) throw new Error("RUNTIME_TOKEN must be set (the secret the runtime expects)");
  const dataDir = env.DATA_DIR ?? join(REPO_ROOT, "data");
  const stateDir = workersStateDir(dataDir);
  await mkdir(stateDir, { recursive: true });
  await applyLocalMigrations(stateDir);
  const facePack = facePackFromEnv({ FACE_PACK: env.RUNTIME_FACE_PACK, FACE_PACK_DIR: env.RUNTIME_FACE_PACK_DIR });
  await ensureWorkersAssets({ facePack });
  const secrets = join(stateDir, ".dev.vars");
  // Embeddings encrypted at rest as on the Node edge: EMBEDDING_KEY from the environment, else a key
  // file made once under data/workers (0600).
  const embeddingKey = embeddingKeyText(stateDir, env).trim();
  await writeFile(secrets, `RUNTIME_TOKEN=${JSON.stringify(token)}\nEMBEDDING_KEY=${JSON.stringify(embeddingKey)}\n`, { mode: 0o600 });
  const wrangler = spawn(
    WRANGLER_BIN,
    [
      "dev",
      "--config",
      WRANGLER_CONFIG,
      "--ip",
      env.HOST ?? "127.0.0.1",
      "--port",
      env.PORT ?? "8787",
      "--persist-to",
      stateDir,
      "--env-file",
      secrets,
      "--var",
      `RUNTIME_URL:${env.RUNTIME_URL ?? "http://127.0.0.1:8788"}`,
      "--var",
      `FACE_PACK:${facePack.pack}`,
      // As on the Node edge: WEBHOOK_ALLOW_PRIVATE=1 lets local development deliver to localhost.
      ...(env.WEBHOOK_ALLOW_PRIVATE ? ["--var", `WEBHOOK_ALLOW_PRIVATE:${env.WEBHOOK_ALLOW_PRIVATE}`] : []),
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ],
    // Its own process group: the wrangler launcher, wrangler and workerd are signalled together
    // (the launcher alone does not pass a signal on, and would leave workerd serving).
    { cwd: REPO_ROOT, env: wranglerEnv(), stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  // SIGINT, as Ctrl-C sends it: wrangler then shuts workerd down cleanly.
  let exited = false;
  const stop = () => {
    if (exited || wrangler.pid === undefined) return;
    try {
      process.kill(-wrangler.pid, "SIGINT");
    } catch {
      // Already gone.
    }
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.once("exit", stop);
  wrangler.on("exit", (code, signal) => {
    exited = true;
    process.exit(code ?? (signal ? 1 : 0));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
