import { describe, expect, it } from "vitest";
import { splitWords } from "../../../shared/tokenizer/pre-tokenize.ts";

describe("splitWords", () => {
  it("splits letters, single digits, contractions and symbol runs, dropping spaces", () => {
    expect(splitWords("it's 35mm, f/1.8!!")).toEqual(["it", "'s", "3", "5", "mm", ",", "f", "/", "1", ".", "8", "!!"]);
  });

  it("keeps special tokens whole", () => {
    expect(splitWords("<|startoftext|>hi<|endoftext|>")).toEqual(["<|startoftext|>", "hi", "<|endoftext|>"]);
  });

  it("gives nothing for an empty prompt", () => {
    expect(splitWords("")).toEqual([]);
  });
});
