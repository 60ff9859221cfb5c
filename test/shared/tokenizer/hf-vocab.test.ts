import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClipTokenizer,
  TokenizerError,
  hfVocabularyPaths,
  loadHfVocabulary,
  loadOpenAiVocabulary,
  vocabularyFromMerges,
  writeHfVocabulary,
  type ClipVocabulary,
} from "../../../shared/tokenizer/index.ts";
import { CLIP_VOCAB_GZ, readGoldenTokenizer } from "./fixtures.ts";

const golden = readGoldenTokenizer();
let openai: ClipVocabulary;
let hfDir: string;

const made: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "clip-hf-vocab-"));
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function errorOf(fn: () => unknown): TokenizerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenizerError) return err;
    throw err;
  }
  throw new Error("expected a TokenizerError");
}

beforeAll(() => {
  openai = loadOpenAiVocabulary(CLIP_VOCAB_GZ);
  hfDir = freshDir();
  writeHfVocabulary(openai, hfDir);
});

describe("writeHfVocabulary then loadHfVocabulary", () => {
  it("gives back the identical vocabulary and merges", () => {
    const loaded = loadHfVocabulary(hfDir);
    expect(new Map(loaded.tokenToId)).toEqual(new Map(openai.tokenToId));
    expect(loaded.merges).toEqual(openai.merges);
  });

  it("gives a tokenizer that encodes every golden case exactly as the OpenAI-file tokenizer does", () => {
    const fromHf = ClipTokenizer.fromHfDirectory(hfDir);
    const fromOpenAi = new ClipTokenizer(openai);
    for (const c of golden.cases) {
      expect(fromHf.encode(c.text)).toEqual(c.ids);
      expect(fromHf.encode(c.text)).toEqual(fromOpenAi.encode(c.text));
    }
    expect([fromHf.bosId, fromHf.eosId]).toEqual([fromOpenAi.bosId, fromOpenAi.eosId]);
  });

  it("writes Hugging Face's layout: a version line in merges.txt, token -> id in vocab.json", () => {
    const { vocabJson, mergesTxt } = hfVocabularyPaths(hfDir);
    expect(readFileSync(mergesTxt, "utf8").split("\n")[0]).toBe("#version: 0.2");
    const json = JSON.parse(readFileSync(vocabJson, "utf8")) as Record<string, number>;
    expect(json["!"]).toBe(openai.tokenToId.get("!"));
    expect(Object.keys(json)).toHaveLength(openai.tokenToId.size);
  });

  it("round-trips tokens that are also JavaScript object keys", () => {
    const merges: [string, string][] = [["_", "_"], ["p", "r"], ["o", "t"], ["pr", "ot"], ["__", "prot"], ["__prot", "o"], ["__proto", "__"]];
    const vocab = vocabularyFromMerges(merges);
    const dir = freshDir();
    writeHfVocabulary(vocab, dir);
    const loaded = loadHfVocabulary(dir);
    expect(loaded.tokenToId.get("__proto__")).toBe(vocab.tokenToId.get("__proto__"));
    expect(new Map(loaded.tokenToId)).toEqual(new Map(vocab.tokenToId));
    expect(loaded.merges).toEqual(merges);
  });
});

describe("loadHfVocabulary limits", () => {
  it("ignores merges past CLIP's count, as Hugging Face's CLIPTokenizer does", () => {
    const dir = freshDir();
    writeHfVocabulary(openai, dir);
    const { mergesTxt } = hfVocabularyPaths(dir);
    writeFileSync(mergesTxt, readFileSync(mergesTxt, "utf8") + "zz qq\n");
    expect(loadHfVocabulary(dir).merges).toEqual(openai.merges);
    expect(() => ClipTokenizer.fromHfDirectory(dir)).not.toThrow();
  });
});

describe("loadHfVocabulary errors", () => {
  function dirWith(vocabJson: string | null, mergesTxt: string | null): string {
    const dir = freshDir();
    const paths = hfVocabularyPaths(dir);
    if (vocabJson !== null) writeFileSync(paths.vocabJson, vocabJson);
    if (mergesTxt !== null) writeFileSync(paths.mergesTxt, mergesTxt);
    return dir;
  }
  const goodMerges = () => readFileSync(hfVocabularyPaths(hfDir).mergesTxt, "utf8");
  const goodJson = () => readFileSync(hfVocabularyPaths(hfDir).vocabJson, "utf8");

  it("says vocab_missing, naming vocab.json, when the folder has none", () => {
    const dir = dirWith(null, goodMerges());
    const err = errorOf(() => loadHfVocabulary(dir));
    expect(err.code).toBe("vocab_missing");
    expect(err.file).toBe(hfVocabularyPaths(dir).vocabJson);
  });

  it("says vocab_missing, naming merges.txt, when the folder has none", () => {
    const dir = dirWith(goodJson(), null);
    const err = errorOf(() => loadHfVocabulary(dir));
    expect(err.code).toBe("vocab_missing");
    expect(err.file).toBe(hfVocabularyPaths(dir).mergesTxt);
  });

  it.each([
    ["is not JSON", "{ not json"],
    ["is a JSON array", "[1, 2]"],
    ["has a negative id", '{"a": -1}'],
    ["has a fractional id", '{"a": 1.5}'],
    ["has a string id", '{"a": "1"}'],
  ])("says vocab_corrupt when vocab.json %s", (_, json) => {
    const dir = dirWith(json, goodMerges());
    const err = errorOf(() => loadHfVocabulary(dir));
    expect(err.code).toBe("vocab_corrupt");
    expect(err.file).toBe(hfVocabularyPaths(dir).vocabJson);
  });

  it("says vocab_corrupt when a merges.txt line is not a pair", () => {
    const dir = dirWith(goodJson(), "#version: 0.2\ni n\nlonely\n");
    const err = errorOf(() => loadHfVocabulary(dir));
    expect(err.code).toBe("vocab_corrupt");
    expect(err.message).toContain("line 3");
  });

  it("says vocab_corrupt, naming vocab.json, when it lacks a token the merges produce", () => {
    const json = JSON.parse(goodJson()) as Record<string, number>;
    const [a, b] = openai.merges[0]!;
    delete json[a + b];
    const dir = dirWith(JSON.stringify(json), goodMerges());
    const err = errorOf(() => ClipTokenizer.fromHfDirectory(dir));
    expect(err.code).toBe("vocab_corrupt");
    expect(err.file).toBe(hfVocabularyPaths(dir).vocabJson);
  });
});
