import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runGoldenCase } from "../../golden/runner.ts";
import { GOLDEN_TOKENIZER_JSON, readGoldenTokenizer } from "./fixtures.ts";

const scratch = mkdtempSync(join(tmpdir(), "clip-golden-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeCase(name: string, content: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe("golden component: tokenizer", () => {
  it("passes the project's golden file with no mismatching case", async () => {
    const result = await runGoldenCase(GOLDEN_TOKENIZER_JSON);
    expect(result).toMatchObject({ component: "tokenizer", maxAbsErr: 0, atol: 0, pass: true });
    expect(result.detail?.cases).toBe(readGoldenTokenizer().cases.length);
  });

  it("counts a changed id as one mismatch and names the prompt", async () => {
    const golden = readGoldenTokenizer();
    const victim = golden.cases.findIndex((c) => c.ids.length > 2);
    golden.cases[victim]!.ids[1]! += 1;
    const result = await runGoldenCase(writeCase("tampered.json", golden));
    expect(result.pass).toBe(false);
    expect(result.maxAbsErr).toBe(1);
    expect(result.reason).toContain(JSON.stringify(golden.cases[victim]!.text));
    expect(result.reason).toContain("at token 1");
  });

  it("counts a wrong special id as a mismatch", async () => {
    const golden = readGoldenTokenizer();
    const result = await runGoldenCase(writeCase("wrong-eos.json", { ...golden, eos: golden.eos - 1 }));
    expect(result.pass).toBe(false);
    expect(result.reason).toContain("eos");
  });

  it("fails, rather than passes, a file whose cases are malformed", async () => {
    const result = await runGoldenCase(writeCase("malformed.json", { component: "tokenizer", cases: [{ text: 1, ids: "x" }] }));
    expect(result.pass).toBe(false);
    expect(result.maxAbsErr).toBeNull();
  });

  it("reports a missing vocabulary named by the case file as a failure", async () => {
    const golden = readGoldenTokenizer();
    const result = await runGoldenCase(writeCase("no-vocab.json", { ...golden, vocab: "absent.txt.gz" }));
    expect(result.pass).toBe(false);
    expect(result.reason).toContain("absent.txt.gz");
  });
});
