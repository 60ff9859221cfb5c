import { TokenizerError } from "./tokenizer-error.ts";

/** SDXL's text encoders read 77 positions: BOS, up to 75 prompt tokens, EOS, padding. */
export const CLIP_CONTEXT_LENGTH = 77;

export interface ModelInputOptions {
  /** Filler after EOS: SDXL's text_encoder pads with EOS (49407), text_encoder_2 with "!" (0). */
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly contextLength?: number;
}

export interface ModelInput {
  /** Exactly `contextLength` ids, ready for `BigInt64Array.from(ids, BigInt)`. */
  readonly ids: number[];
  /** True when the prompt had more tokens than fit; the caller should tell the user. */
  readonly truncated: boolean;
  /** How many prompt tokens were cut off the end (0 when nothing was). */
  readonly droppedTokens: number;
}

/** Wraps prompt ids as Hugging Face's CLIPTokenizer does with padding="max_length", truncation=True. */
export function toModelInput(promptIds: readonly number[], options: ModelInputOptions): ModelInput {
  const { padId, bosId, eosId } = options;
  const contextLength = options.contextLength ?? CLIP_CONTEXT_LENGTH;
  for (const [name, value] of [["padId", padId], ["bosId", bosId], ["eosId", eosId]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new TokenizerError("invalid_argument", `${name} must be a non-negative integer, got ${value}`);
  }
  if (!Number.isSafeInteger(contextLength) || contextLength < 2) {
    throw new TokenizerError("invalid_argument", `contextLength must be an integer >= 2, got ${contextLength}`);
  }
  const room = contextLength - 2;
  const kept = promptIds.slice(0, room);
  const ids = [bosId, ...kept, eosId];
  while (ids.length < contextLength) ids.push(padId);
  const droppedTokens = promptIds.length - kept.length;
  return { ids, truncated: droppedTokens > 0, droppedTokens };
}
