/**
 * CLIP's word splitter: the two special tokens, English contractions, letter runs, single digits,
 * and runs of anything else that is neither space, letter nor digit. Expects cleaned (lowercased) text;
 * whitespace only separates and never becomes a word.
 */
export function splitWords(cleaned: string): string[] {
  return cleaned.match(WORD) ?? [];
}

// OpenAI's pattern, compiled case-insensitively; \s as Python's `regex` reads it (White_Space).
const WORD =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\p{White_Space}\p{L}\p{N}]+/giu;
