import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runGoldenCase } from "./runner.ts";

const fixtures = join(import.meta.dirname, "../fixtures/golden");
const root = join(import.meta.dirname, "../..");
const run = promisify(execFile);

/** Every case directory shipped (adapter/ is a checkpoint the unet case uses, not a case). */
const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== "adapter")
  .map((e) => e.name)
  .sort();

describe("golden cases of the Python reference", () => {
  it.each(cases)("%s passes", async (name) => {
    const result = await runGoldenCase(join(fixtures, name));
    expect(result, result.reason).toMatchObject({ pass: true });
  });

  it("tokenizer.json passes", async () => {
    expect(await runGoldenCase(join(fixtures, "tokenizer.json"))).toMatchObject({ pass: true, maxAbsErr: 0 });
  });
});

describe("npm run golden", () => {
  const cli = (args: string[]) => run(process.execPath, ["--import", "tsx", join(root, "test/golden/cli.ts"), ...args], { cwd: root }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

  it("prints one JSON line per case and exits 0 when all pass", async () => {
    const { code, stdout } = await cli([join(fixtures, "scheduler_euler_4"), join(fixtures, "tokenizer.json")]);
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.case, l.component, l.pass])).toEqual([
      ["scheduler_euler_4", "scheduler", true],
      ["tokenizer.json", "tokenizer", true],
    ]);
    expect(lines[0]).toHaveProperty("maxAbsErr");
    expect(lines[0]).toHaveProperty("atol");
    expect(code).toBe(0);
  });

  it("fails a case it does not understand, with a reason, and exits non-zero", async () => {
    const dir = mkdtempSync(join(tmpdir(), "golden-"));
    writeFileSync(join(dir, "meta.json"), JSON.stringify({ component: "warp_drive", atol: 1 }));
    const { code, stdout } = await cli([dir, join(fixtures, "adapter")]);
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as { pass: boolean; reason: string });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.pass === false && /unknown component/.test(l.reason))).toBe(true);
    expect(code).toBe(1);
  });

  it("fails a case whose expected output was tampered with", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "golden-")), "scheduler_ddim_4");
    cpSync(join(fixtures, "scheduler_ddim_4"), dir, { recursive: true });
    const meta = JSON.parse((await import("node:fs")).readFileSync(join(dir, "meta.json"), "utf8")) as { steps: number };
    // a case that claims a different step count than its recorded timesteps cannot pass
    writeFileSync(join(dir, "meta.json"), JSON.stringify({ ...meta, steps: meta.steps + 1 }));
    const { code, stdout } = await cli([dir]);
    expect(JSON.parse(stdout.trim())).toMatchObject({ pass: false });
    expect(code).toBe(1);
  });
});
