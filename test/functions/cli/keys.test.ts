import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { KeysCliError, runKeysCli } from "../../../functions/cli/keys.ts";
import { parseApiKey } from "../../../functions/api-keys/api-key.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keys-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = async (args: string[]) => {
  const lines: string[] = [];
  await runKeysCli(args, dir, (l) => lines.push(l));
  return lines;
};

describe("keys CLI", () => {
  it("create prints the key once as the last line; list shows it without the secret; revoke revokes", async () => {
    const out = await run(["create", "--user", "alice", "--name", "phone", "--requests-per-minute", "120"]);
    const key = out.at(-1)!;
    const parsed = parseApiKey(key);
    expect(parsed).toBeDefined();
    const list = await run(["list"]);
    expect(list).toHaveLength(1);
    expect(list[0]).toContain(parsed!.keyId);
    expect(list[0]).toContain("user=alice");
    expect(list[0]).toContain("active");
    expect(list[0]).toContain("/120pm");
    expect(list[0]).toContain("inflight=4");
    expect(list[0]).toContain("webhook-secret=set");
    expect(list[0]).not.toContain("whsec_");
    expect(list.join("\n")).not.toContain(key);
    expect(await run(["revoke", parsed!.keyId])).toEqual([`revoked ${parsed!.keyId}`]);
    expect((await run(["list", "--user", "alice"]))[0]).toContain("revoked");
    await expect(run(["revoke", parsed!.keyId])).rejects.toThrow(KeysCliError);
  });

  it("refuses bad usage", async () => {
    await expect(run(["create"])).rejects.toThrow(/--user/);
    await expect(run(["create", "--user", "a", "--cost-burst", "-1"])).rejects.toThrow(KeysCliError);
    await expect(run(["create", "--user", "a", "--cost-burst", "lots"])).rejects.toThrow(/positive number/);
    await expect(run(["create", "--user", "a", "--bogus"])).rejects.toThrow(KeysCliError);
    await expect(run(["frobnicate"])).rejects.toThrow(KeysCliError);
  });

  it("runs as a command: the key is the last line of stdout", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "functions/cli/keys.ts", "create", "--user", "bob"],
      { env: { ...process.env, DATA_DIR: dir } },
    );
    const lines = stdout.trim().split("\n");
    expect(parseApiKey(lines.at(-1)!)).toBeDefined();
  });
});
