import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIP_MERGE_COUNT, type ClipVocabulary } from "./clip-vocabulary.ts";
import { parseMergeLines, readVocabFile } from "./vocab-file.ts";
import { TokenizerError } from "./tokenizer-error.ts";

/** Where a Hugging Face CLIP tokenizer keeps its two files (SDXL: tokenizer/ and tokenizer_2/). */
export function hfVocabularyPaths(dir: string): { vocabJson: string; mergesTxt: string } {
  return { vocabJson: join(dir, "vocab.json"), mergesTxt: join(dir, "merges.txt") };
}

const MERGES_HEADER = "#version: 0.2";

/**
 * Loads `vocab.json` (token -> id) and `merges.txt` (a "#version" line, then "a b" per line) from `dir`.
 * Like Hugging Face's CLIPTokenizer, reads at most CLIP_MERGE_COUNT merges.
 */
export function loadHfVocabulary(dir: string): ClipVocabulary {
  const { vocabJson, mergesTxt } = hfVocabularyPaths(dir);
  const tokenToId = parseVocabJson(readVocabFile(vocabJson, (p) => readFileSync(p, "utf8")), vocabJson);
  const lines = readVocabFile(mergesTxt, (p) => readFileSync(p, "utf8")).split("\n");
  // Trailing newline(s) end the file; a blank line inside it would be a corrupt merge.
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const hasHeader = lines.length > 0 && lines[0]!.startsWith("#version");
  const body = (hasHeader ? lines.slice(1) : lines).slice(0, CLIP_MERGE_COUNT);
  const merges = parseMergeLines(body, mergesTxt, hasHeader ? 2 : 1);
  return { tokenToId, merges };
}

function parseVocabJson(text: string, path: string): Map<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TokenizerError("vocab_corrupt", `not JSON (${(err as Error).message})`, path);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TokenizerError("vocab_corrupt", "expected a JSON object of token -> id", path);
  }
  const tokenToId = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new TokenizerError("vocab_corrupt", `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a non-negative integer`, path);
    }
    tokenToId.set(token, id as number);
  }
  return tokenToId;
}

/**
 * Writes `vocab.json` and `merges.txt` into `dir` (created if needed) in the layout Hugging Face's
 * CLIPTokenizer reads, tokens in id order. Loading them back gives the same vocabulary.
 */
export function writeHfVocabulary(vocab: ClipVocabulary, dir: string): void {
  const { vocabJson, mergesTxt } = hfVocabularyPaths(dir);
  mkdirSync(dir, { recursive: true });
  const entries = [...vocab.tokenToId].sort((a, b) => a[1] - b[1]);
  // Built by hand rather than through an object, so a token such as "__proto__" stays an ordinary key.
  const json = "{\n" + entries.map(([token, id]) => `  ${JSON.stringify(token)}: ${id}`).join(",\n") + "\n}\n";
  writeFileSync(vocabJson, json);
  writeFileSync(mergesTxt, [MERGES_HEADER, ...vocab.merges.map(([a, b]) => `${a} ${b}`)].join("\n") + "\n");
}
