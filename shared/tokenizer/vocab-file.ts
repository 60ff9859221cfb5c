import { TokenizerError } from "./tokenizer-error.ts";

/** Reads a vocabulary file, turning "not there / not readable" into a typed error. */
export function readVocabFile<T>(path: string, read: (path: string) => T): T {
  try {
    return read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
    throw new TokenizerError("vocab_missing", `cannot read vocabulary file (${code})`, path);
  }
}

/** "a b" lines -> pairs; `firstLineNumber` is the 1-based line of lines[0], for error messages. */
export function parseMergeLines(lines: readonly string[], path: string, firstLineNumber: number): [string, string][] {
  return lines.map((line, i) => {
    const parts = line.split(/\s+/u).filter((p) => p !== "");
    if (parts.length !== 2) {
      throw new TokenizerError("vocab_corrupt", `line ${firstLineNumber + i} is not a merge "a b": ${JSON.stringify(line.slice(0, 80))}`, path);
    }
    return [parts[0]!, parts[1]!];
  });
}
