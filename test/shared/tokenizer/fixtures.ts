/** Shared fixtures for the tokenizer tests: the project's CLIP vocabulary and golden prompts. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures");

export const CLIP_VOCAB_GZ = resolve(fixtures, "clip/bpe_simple_vocab_16e6.txt.gz");
export const GOLDEN_TOKENIZER_JSON = resolve(fixtures, "golden/tokenizer.json");

export interface GoldenTokenizerFile {
  bos: number;
  eos: number;
  cases: { text: string; ids: number[] }[];
}

export function readGoldenTokenizer(): GoldenTokenizerFile {
  return JSON.parse(readFileSync(GOLDEN_TOKENIZER_JSON, "utf8")) as GoldenTokenizerFile;
}
