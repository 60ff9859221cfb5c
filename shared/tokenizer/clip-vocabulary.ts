import { byteSymbolsInVocabularyOrder } from "./byte-encoder.ts";

export const START_OF_TEXT = "<|startoftext|>";
export const END_OF_TEXT = "<|endoftext|>";
export const END_OF_WORD = "</w>";

/** CLIP's 49408-token vocabulary uses the first 49152 - 256 - 2 merges, as OpenAI's and Hugging Face's code do. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

/** A CLIP BPE vocabulary, whichever file format it came from. */
export interface ClipVocabulary {
  /** Token string (byte symbols, maybe ending in "</w>") -> id. */
  readonly tokenToId: ReadonlyMap<string, number>;
  /** Merge rules in priority order: earlier merges apply first. */
  readonly merges: readonly (readonly [string, string])[];
}

/**
 * OpenAI's vocabulary layout, derived from the merges alone: the 256 byte symbols, the same with
 * "</w>", one token per merge, then the two specials (ids 49406 and 49407 for the full CLIP list).
 */
export function vocabularyFromMerges(merges: readonly (readonly [string, string])[]): ClipVocabulary {
  const bytes = byteSymbolsInVocabularyOrder();
  const tokens = [...bytes, ...bytes.map((s) => s + END_OF_WORD), ...merges.map(([a, b]) => a + b), START_OF_TEXT, END_OF_TEXT];
  // A later duplicate takes the id, as building a Python dict from the list does.
  const tokenToId = new Map<string, number>();
  tokens.forEach((token, id) => tokenToId.set(token, id));
  return { tokenToId, merges };
}
