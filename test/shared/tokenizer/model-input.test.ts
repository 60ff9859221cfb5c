import { beforeAll, describe, expect, it } from "vitest";
import { CLIP_CONTEXT_LENGTH, ClipTokenizer, toModelInput } from "../../../shared/tokenizer/index.ts";
import { CLIP_VOCAB_GZ, readGoldenTokenizer } from "./fixtures.ts";

const golden = readGoldenTokenizer();
const room = CLIP_CONTEXT_LENGTH - 2;
let tokenizer: ClipTokenizer;

beforeAll(() => {
  tokenizer = ClipTokenizer.fromOpenAiVocab(CLIP_VOCAB_GZ);
});

const shortCase = golden.cases.find((c) => c.ids.length > 0 && c.ids.length < 20)!;
const longCase = golden.cases.find((c) => c.ids.length > room)!;

describe("toModelInput", () => {
  it.each([
    ["text_encoder (pads with EOS)", golden.eos],
    ["text_encoder_2 (pads with '!')", 0],
  ])("wraps a short prompt for %s as BOS + ids + EOS + padding to 77", (_, padId) => {
    const out = tokenizer.toModelInput(shortCase.ids, { padId });
    const n = shortCase.ids.length;
    expect(out.ids).toHaveLength(CLIP_CONTEXT_LENGTH);
    expect(out.ids.slice(0, n + 2)).toEqual([golden.bos, ...shortCase.ids, golden.eos]);
    expect(out.ids.slice(n + 2).every((id) => id === padId)).toBe(true);
    expect(out.truncated).toBe(false);
    expect(out.droppedTokens).toBe(0);
    expect(BigInt64Array.from(out.ids, BigInt)).toHaveLength(CLIP_CONTEXT_LENGTH);
  });

  it("wraps an empty prompt as BOS, EOS and padding", () => {
    const out = tokenizer.toModelInput(tokenizer.encode(""), { padId: 0 });
    expect(out.ids.slice(0, 3)).toEqual([golden.bos, golden.eos, 0]);
    expect(out.truncated).toBe(false);
  });

  it("truncates a long prompt to its first 75 tokens, keeps EOS last, and says so", () => {
    const out = tokenizer.toModelInput(tokenizer.encode(longCase.text), { padId: 0 });
    expect(out.ids).toEqual([golden.bos, ...longCase.ids.slice(0, room), golden.eos]);
    expect(out.truncated).toBe(true);
    expect(out.droppedTokens).toBe(longCase.ids.length - room);
  });

  it("fits exactly 75 tokens without truncating, and truncates at 76", () => {
    const ids = longCase.ids.slice(0, room);
    expect(tokenizer.toModelInput(ids, { padId: 0 })).toEqual({ ids: [golden.bos, ...ids, golden.eos], truncated: false, droppedTokens: 0 });
    const one = tokenizer.toModelInput(longCase.ids.slice(0, room + 1), { padId: 0 });
    expect(one.truncated).toBe(true);
    expect(one.droppedTokens).toBe(1);
  });

  it("honours another context length", () => {
    const out = toModelInput([5, 6, 7], { padId: 9, bosId: 1, eosId: 2, contextLength: 4 });
    expect(out).toEqual({ ids: [1, 5, 6, 2], truncated: true, droppedTokens: 1 });
  });

  it.each([[-1], [1.5], [Number.NaN]])("refuses pad id %s", (padId) => {
    expect(() => tokenizer.toModelInput([], { padId })).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });

  it("refuses a context length with no room for BOS and EOS", () => {
    expect(() => toModelInput([], { padId: 0, bosId: 1, eosId: 2, contextLength: 1 })).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });
});
