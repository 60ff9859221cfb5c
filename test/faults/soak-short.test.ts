/**
 * The soak bench's short run, as CI runs it: a real edge and runtime process under mixed traffic
 * at the key's rate limit for 12 s. No unexpected 5xx; the bench's own report is printed.
 * (Memory growth is judged on long runs, in bench/, not here.)
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../scripts/helpers/npm-start.ts";

const run = promisify(execFile);

describe("bench/soak.ts (short)", () => {
  it("serves mixed traffic at the rate limit with no unexpected 5xx", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/soak.ts", "--seconds", "12", "--rate", "5", "--json"], {
      cwd: REPO_ROOT,
      timeout: 150_000,
    });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
    console.log(`soak (short): ${JSON.stringify(report)}`);
    expect(report.unexpected5xx).toBe(0);
    expect(report.requests).toBeGreaterThan(30);
    expect(report.answers["201"]).toBeGreaterThan(0);
  }, 180_000);
});
