/** Every way the tokenizer can refuse, with a stable code and the file it concerns, if any. */
export type TokenizerErrorCode =
  /** A vocabulary file does not exist or cannot be read. */
  | "vocab_missing"
  /** A vocabulary file exists but is not a usable CLIP vocabulary (bad gzip, bad JSON, bad merges, holes). */
  | "vocab_corrupt"
  /** A caller passed something the API does not accept (a non-string prompt, a bad pad id). */
  | "invalid_argument";

export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
  constructor(
    readonly code: TokenizerErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${message}` : message);
  }
}
