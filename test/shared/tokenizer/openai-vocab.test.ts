import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { CLIP_MERGE_COUNT, END_OF_TEXT, START_OF_TEXT, TokenizerError, loadOpenAiVocabulary } from "../../../shared/tokenizer/index.ts";
import { CLIP_VOCAB_GZ, readGoldenTokenizer } from "./fixtures.ts";

const golden = readGoldenTokenizer();
const scratch = mkdtempSync(join(tmpdir(), "clip-openai-vocab-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function errorOf(fn: () => unknown): TokenizerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenizerError) return err;
    throw err;
  }
  throw new Error("expected a TokenizerError");
}

describe("loadOpenAiVocabulary", () => {
  it("builds OpenAI's layout: byte symbols, byte symbols + </w>, merges, then the two specials", () => {
    const vocab = loadOpenAiVocabulary(CLIP_VOCAB_GZ);
    expect(vocab.merges).toHaveLength(CLIP_MERGE_COUNT);
    expect(vocab.tokenToId.size).toBe(2 * 256 + CLIP_MERGE_COUNT + 2);
    expect(vocab.tokenToId.get("!")).toBe(0); // the first printable byte; SDXL's tokenizer_2 pads with it
    expect(vocab.tokenToId.get("!</w>")).toBe(256);
    const [a, b] = vocab.merges[0]!;
    expect(vocab.tokenToId.get(a + b)).toBe(512);
    expect(vocab.tokenToId.get(START_OF_TEXT)).toBe(golden.bos);
    expect(vocab.tokenToId.get(END_OF_TEXT)).toBe(golden.eos);
  });

  it("says vocab_missing, naming the file, when the file is not there", () => {
    const path = join(scratch, "absent.txt.gz");
    const err = errorOf(() => loadOpenAiVocabulary(path));
    expect(err.code).toBe("vocab_missing");
    expect(err.file).toBe(path);
    expect(err.message).toContain(path);
  });

  it("says vocab_corrupt when the file is not gzip", () => {
    const path = join(scratch, "not-gzip.txt.gz");
    writeFileSync(path, "#version: 0.2\ni n\n");
    expect(errorOf(() => loadOpenAiVocabulary(path)).code).toBe("vocab_corrupt");
  });

  it("says vocab_corrupt when the gzip stream is cut short", () => {
    const path = join(scratch, "truncated.txt.gz");
    writeFileSync(path, gzipSync("#version: 0.2\n" + "i n\n".repeat(1000)).subarray(0, 40));
    expect(errorOf(() => loadOpenAiVocabulary(path)).code).toBe("vocab_corrupt");
  });

  it("says vocab_corrupt when there are fewer merges than the vocabulary needs", () => {
    const path = join(scratch, "short.txt.gz");
    writeFileSync(path, gzipSync("#version: 0.2\ni n\nt h\n"));
    const err = errorOf(() => loadOpenAiVocabulary(path));
    expect(err.code).toBe("vocab_corrupt");
    expect(err.message).toMatch(/merges/);
  });

  it("says vocab_corrupt, with the line number, when a merge line is malformed", () => {
    const path = join(scratch, "bad-line.txt.gz");
    writeFileSync(path, gzipSync("#version: 0.2\ni n\nthree parts here\n"));
    const err = errorOf(() => loadOpenAiVocabulary(path, 2));
    expect(err.code).toBe("vocab_corrupt");
    expect(err.message).toContain("line 3");
  });
});
