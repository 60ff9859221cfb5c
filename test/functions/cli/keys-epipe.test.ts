/**
 * `npm run keys -- list | head` ends quietly: the reader leaving mid-listing is not a crash with
 * an EPIPE stack trace. And `reencrypt-embeddings` is there for key rotation.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueApiKey } from "../../../functions/api-keys/issue-api-key.ts";
import { createSqliteApiKeyStore } from "../../../functions/adapters/node/sqlite/api-key-store.ts";
import { edgeDatabasePath, openDatabase } from "../../../functions/adapters/node/sqlite/index.ts";
import { runKeysCli } from "../../../functions/cli/keys.ts";
import { REPO_ROOT } from "../../scripts/helpers/npm-start.ts";

let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "keys-epipe-"));
  const db = openDatabase(edgeDatabasePath(dataDir));
  const store = createSqliteApiKeyStore(db);
  // Far more than a pipe buffer (64 KiB) of listing, so the CLI is still writing when the reader leaves.
  for (let i = 0; i < 3000; i++) await issueApiKey(store, { userId: `user-${i}`, name: "x".repeat(40), limits: {}, nowMs: i });
  db.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("keys CLI", () => {
  it("list | head: the reader leaves after one line; no EPIPE stack trace, exit status 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "functions/cli/keys.ts", "list"], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Like `head -n 1`: read until the first line, then close our end of the pipe.
    await new Promise<void>((resolve) => {
      let seen = "";
      child.stdout.on("data", (d: Buffer) => {
        seen += d.toString();
        if (seen.includes("\n")) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|\bat /);
    expect(code).toBe(0);
  });

  it("reencrypt-embeddings reports what it rewrote", async () => {
    const lines: string[] = [];
    await runKeysCli(["reencrypt-embeddings"], dataDir, (l) => lines.push(l));
    expect(lines).toEqual(["re-encrypted 0 embedding(s) with the current key"]);
  });
});
