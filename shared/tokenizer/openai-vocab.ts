import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { CLIP_MERGE_COUNT, vocabularyFromMerges, type ClipVocabulary } from "./clip-vocabulary.ts";
import { parseMergeLines, readVocabFile } from "./vocab-file.ts";
import { TokenizerError } from "./tokenizer-error.ts";

/**
 * Loads OpenAI's `bpe_simple_vocab_16e6.txt.gz`: a version line, then one "a b" merge per line.
 * Only the first `mergeCount` merges are used.
 */
export function loadOpenAiVocabulary(path: string, mergeCount = CLIP_MERGE_COUNT): ClipVocabulary {
  const compressed = readVocabFile(path, readFileSync);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(gunzipSync(compressed));
  } catch (err) {
    throw new TokenizerError("vocab_corrupt", `not a gzipped UTF-8 text file (${(err as Error).message})`, path);
  }
  const lines = text.split("\n").slice(1, 1 + mergeCount);
  if (lines.length < mergeCount) {
    throw new TokenizerError("vocab_corrupt", `expected ${mergeCount} merges after the version line, found ${lines.length}`, path);
  }
  return vocabularyFromMerges(parseMergeLines(lines, path, 2));
}
