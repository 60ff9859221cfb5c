import { beforeAll, describe, expect, it } from "vitest";
import { ClipTokenizer, END_OF_TEXT, TokenizerError, loadOpenAiVocabulary, type ClipVocabulary } from "../../../shared/tokenizer/index.ts";
import { CLIP_VOCAB_GZ, readGoldenTokenizer } from "./fixtures.ts";

const golden = readGoldenTokenizer();
let vocab: ClipVocabulary;
let tokenizer: ClipTokenizer;

beforeAll(() => {
  vocab = loadOpenAiVocabulary(CLIP_VOCAB_GZ);
  tokenizer = new ClipTokenizer(vocab);
});

describe("ClipTokenizer.encode", () => {
  it.each(golden.cases.map((c) => [JSON.stringify(c.text).slice(0, 60), c] as const))("matches OpenAI CLIP on %s", (_, c) => {
    expect(tokenizer.encode(c.text)).toEqual(c.ids);
  });

  it("exposes the special ids the golden file names", () => {
    expect(tokenizer.bosId).toBe(golden.bos);
    expect(tokenizer.eosId).toBe(golden.eos);
  });

  it("reads literal special tokens in a prompt as the specials, case-insensitively", () => {
    const photo = tokenizer.encode("photo");
    expect(tokenizer.encode("<|startoftext|>photo<|ENDOFTEXT|>")).toEqual([golden.bos, ...photo, golden.eos]);
  });

  it("unescapes HTML twice before splitting, as OpenAI's basic_clean does", () => {
    expect(tokenizer.encode("a &amp;lt; b")).toEqual(tokenizer.encode("a < b"));
    expect(tokenizer.encode("caf&eacute;")).toEqual(tokenizer.encode("café"));
  });

  it("gives the same ids with a tiny cache, and keeps the cache within its capacity", () => {
    const small = new ClipTokenizer(vocab, { cacheCapacity: 3 });
    for (const c of golden.cases) expect(small.encode(c.text)).toEqual(c.ids);
    expect(small.cachedWords).toBeLessThanOrEqual(3);
    expect(small.cachedWords).toBeGreaterThan(0);
  });

  it("refuses a prompt that is not a string", () => {
    expect(() => tokenizer.encode(42 as unknown as string)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });
});

describe("ClipTokenizer construction", () => {
  it("refuses a vocabulary without the end-of-text token", () => {
    const tokenToId = new Map(vocab.tokenToId);
    tokenToId.delete(END_OF_TEXT);
    const broken = () => new ClipTokenizer({ tokenToId, merges: vocab.merges });
    expect(broken).toThrow(TokenizerError);
    expect(broken).toThrow(expect.objectContaining({ code: "vocab_corrupt" }));
  });

  it("refuses a vocabulary missing a merge's token, so encode can never meet an unknown symbol", () => {
    const [a, b] = vocab.merges[1000]!;
    const tokenToId = new Map(vocab.tokenToId);
    tokenToId.delete(a + b);
    expect(() => new ClipTokenizer({ tokenToId, merges: vocab.merges })).toThrow(expect.objectContaining({ code: "vocab_corrupt" }));
  });
});
