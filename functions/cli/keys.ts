/**
 * API keys from the command line, against the same SQLite file the server uses (WAL: safe while
 * it runs).
 *   npm run keys -- create --user <id> [--name <text>] [--requests-per-minute N] [--requests-burst N]
 *                                      [--cost-per-minute N] [--cost-burst N] [--max-in-flight N]
 *   npm run keys -- list [--user <id>]
 *   npm run keys -- revoke <keyId>
 *   npm run keys -- webhook-secret <keyId>     (rotates the key's webhook signing secret)
 *   npm run keys -- reencrypt-embeddings       (after an EMBEDDING_KEY rotation; see data-files.ts)
 * `create` prints the key once, as the last line. DATA_DIR (default ./data) picks the database.
 * --edge=workers: the same commands on the local Worker's D1 (npm start -- --edge=workers);
 * --edge=workers --remote: on the deployed Worker's D1, through `wrangler d1 execute --remote`
 * (workers-remote.ts; wrangler's login or CLOUDFLARE_API_TOKEN).
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { issueApiKey } from "../api-keys/issue-api-key.ts";
import { generateWebhookSecret } from "../webhooks/signing.ts";
import { DEFAULT_MAX_IN_FLIGHT, type KeyLimits } from "../rate-limit/key-limits.ts";
import { createSqliteApiKeyStore } from "../adapters/node/sqlite/api-key-store.ts";
import { edgeDatabasePath, openDatabase } from "../adapters/node/sqlite/index.ts";
import { embeddingCipherFor } from "../adapters/node/sqlite/data-files.ts";
import { reencryptSqliteEmbeddings } from "../adapters/node/sqlite/identity-store.ts";
import type { WranglerRun } from "./workers-remote.ts";

export class KeysCliError extends Error {
  readonly code = "keys_cli_usage";
}

const USAGE = `usage:
  keys create --user <id> [--name <text>] [--requests-per-minute N] [--requests-burst N] [--cost-per-minute N] [--cost-burst N] [--max-in-flight N]
  keys list [--user <id>]
  keys revoke <keyId>
  keys webhook-secret <keyId>
  keys reencrypt-embeddings
  add --edge=workers for the local Worker's D1, --edge=workers --remote for the deployed one`;

export interface KeysCliOptions {
  /** How --remote runs wrangler (default: the project's wrangler binary). */
  readonly runWrangler?: WranglerRun;
}

export async function runKeysCli(
  argv: readonly string[],
  dataDir: string,
  out: (line: string) => void,
  options: KeysCliOptions = {},
): Promise<void> {
  // --edge=workers: the same commands on the local Worker's D1 (workers-local.ts; npm start -- --edge=workers);
  // with --remote on the deployed Worker's D1 (workers-remote.ts).
  const onWorkers = argv.includes("--edge=workers");
  const remote = argv.includes("--remote");
  if (remote && !onWorkers) throw new KeysCliError(`--remote goes with --edge=workers (the deployed Worker's D1)\n${USAGE}`);
  const [command, ...rest] = argv.filter((a) => a !== "--edge=workers" && a !== "--edge=node" && a !== "--remote");
  const { values, positionals } = parseCliArgs(rest);
  const workers = !onWorkers
    ? undefined
    : remote
      ? await import("./workers-remote.ts").then((w) => w.openRemoteWorkersApiKeyStore(options.runWrangler))
      : await import("./workers-local.ts").then((w) => w.openLocalWorkersApiKeyStore(w.workersStateDir(dataDir)));
  const db = workers ? undefined : openDatabase(edgeDatabasePath(dataDir));

  try {
    const store = workers?.store ?? createSqliteApiKeyStore(db!);
    if (command === "create") {
      if (!values.user) throw new KeysCliError(`--user is required\n${USAGE}`);
      const limits: Partial<{ -readonly [K in keyof KeyLimits]: number }> = {};
      const num = (flag: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new KeysCliError(`--${flag} must be a positive number`);
        return n;
      };
      const set = (k: keyof KeyLimits, flag: string) => {
        const n = num(flag, values[flag as keyof typeof values] as string | undefined);
        if (n !== undefined) limits[k] = n;
      };
      set("requestsPerMinute", "requests-per-minute");
      set("requestsBurst", "requests-burst");
      set("costPerMinute", "cost-per-minute");
      set("costBurst", "cost-burst");
      set("maxInFlight", "max-in-flight");
      const { record, key } = await issueApiKey(store, {
        userId: values.user,
        ...(values.name !== undefined ? { name: values.name } : {}),
        limits,
        nowMs: Date.now(),
      });
      // The webhook signing secret, shown once too (before the key, which stays the last line).
      const webhookSecret = generateWebhookSecret();
      if (await store.setWebhookSecret(record.id, webhookSecret)) {
        out(`webhook signing secret of key ${record.id} (shown once; rotate with keys webhook-secret ${record.id}): ${webhookSecret}`);
      }
      out(`created key ${record.id} for user ${record.userId} (shown once, store it now):`);
      out(key);
    } else if (command === "list") {
      for (const k of await store.list(values.user)) {
        const state = k.revokedMs === null ? "active" : `revoked ${new Date(k.revokedMs).toISOString()}`;
        out(
          `${k.id}\tuser=${k.userId}\t${state}\tcreated=${new Date(k.createdMs).toISOString()}\t` +
            `requests=${k.limits.requestsBurst}/${k.limits.requestsPerMinute}pm\tcost=${k.limits.costBurst}/${k.limits.costPerMinute}pm` +
            `\tinflight=${k.limits.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT}\twebhook-secret=${k.webhookSecret ? "set" : "none"}` +
            (k.name ? `\tname=${k.name}` : ""),
        );
      }
    } else if (command === "revoke") {
      const id = positionals[0];
      if (!id) throw new KeysCliError(`revoke needs a key id\n${USAGE}`);
      if (!(await store.revoke(id, Date.now()))) throw new KeysCliError(`no active key ${id}`);
      out(`revoked ${id}`);
    } else if (command === "webhook-secret") {
      const id = positionals[0];
      if (!id) throw new KeysCliError(`webhook-secret needs a key id\n${USAGE}`);
      const secret = generateWebhookSecret();
      if (!(await store.setWebhookSecret(id, secret))) throw new KeysCliError(`no key ${id}`);
      out(`new webhook signing secret of key ${id} (shown once; the old one no longer signs):`);
      out(secret);
    } else if (command === "reencrypt-embeddings" && db) {
      // After an EMBEDDING_KEY rotation (old key in EMBEDDING_KEY_PREVIOUS): every row onto the new key.
      out(`re-encrypted ${await reencryptSqliteEmbeddings(db, embeddingCipherFor(dataDir))} embedding(s) with the current key`);
    } else {
      throw new KeysCliError(USAGE);
    }
  } finally {
    db?.close();
    await workers?.close();
  }
}

function parseCliArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        user: { type: "string" },
        name: { type: "string" },
        "requests-per-minute": { type: "string" },
        "requests-burst": { type: "string" },
        "cost-per-minute": { type: "string" },
        "cost-burst": { type: "string" },
        "max-in-flight": { type: "string" },
      },
    });
  } catch (e) {
    throw new KeysCliError(`${(e as Error).message}\n${USAGE}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `keys list | head`: the reader left; stop quietly instead of dying on an EPIPE stack trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
  runKeysCli(process.argv.slice(2), process.env.DATA_DIR ?? "data", (l) => console.log(l)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
