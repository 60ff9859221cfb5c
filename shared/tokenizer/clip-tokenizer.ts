import { LruCache } from "../cache/lru-cache.ts";
import { bytePairMerge, pairKey } from "./byte-pair-merge.ts";
import { bytesToUnicode } from "./byte-encoder.ts";
import { cleanPrompt } from "./clean-text.ts";
import { END_OF_TEXT, END_OF_WORD, START_OF_TEXT, type ClipVocabulary } from "./clip-vocabulary.ts";
import { hfVocabularyPaths, loadHfVocabulary } from "./hf-vocab.ts";
import { toModelInput, type ModelInput } from "./model-input.ts";
import { loadOpenAiVocabulary } from "./openai-vocab.ts";
import { splitWords } from "./pre-tokenize.ts";
import { TokenizerError } from "./tokenizer-error.ts";

export interface ClipTokenizerOptions {
  /** Words whose ids are remembered; prompts repeat words, so a few thousand make encoding cheap. */
  readonly cacheCapacity?: number;
}

const DEFAULT_CACHE_CAPACITY = 10_000;

/** OpenAI CLIP's SimpleTokenizer (without ftfy) over any CLIP vocabulary. */
export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  private readonly tokenToId: ReadonlyMap<string, number>;
  private readonly ranks = new Map<string, number>();
  private readonly byteSymbols = bytesToUnicode();
  private readonly utf8 = new TextEncoder();
  private readonly cache: LruCache<string, readonly number[]>;

  constructor(vocab: ClipVocabulary, options: ClipTokenizerOptions = {}) {
    this.tokenToId = vocab.tokenToId;
    // A later duplicate merge takes the rank, as building a Python dict from the list does.
    vocab.merges.forEach(([a, b], rank) => this.ranks.set(pairKey(a, b), rank));
    this.bosId = requireToken(vocab, START_OF_TEXT);
    this.eosId = requireToken(vocab, END_OF_TEXT);
    // Every symbol BPE can produce must have an id, so encode() can never meet an unknown token.
    for (const symbol of this.byteSymbols) {
      requireToken(vocab, symbol);
      requireToken(vocab, symbol + END_OF_WORD);
    }
    for (const [a, b] of vocab.merges) requireToken(vocab, a + b);
    this.cache = new LruCache(options.cacheCapacity ?? DEFAULT_CACHE_CAPACITY);
  }

  /** From OpenAI's `bpe_simple_vocab_16e6.txt.gz`. */
  static fromOpenAiVocab(path: string, options?: ClipTokenizerOptions): ClipTokenizer {
    return new ClipTokenizer(loadOpenAiVocabulary(path), options);
  }

  /** From a Hugging Face tokenizer folder holding `vocab.json` and `merges.txt`. */
  static fromHfDirectory(dir: string, options?: ClipTokenizerOptions): ClipTokenizer {
    try {
      return new ClipTokenizer(loadHfVocabulary(dir), options);
    } catch (err) {
      // A hole in the vocabulary is a fault of vocab.json; say which file to look at.
      if (err instanceof TokenizerError && err.file === undefined) throw new TokenizerError(err.code, err.message, hfVocabularyPaths(dir).vocabJson);
      throw err;
    }
  }

  /** Words cached right now (bounded by the cache capacity). */
  get cachedWords(): number {
    return this.cache.size;
  }

  /** The prompt's token ids, without BOS/EOS. */
  encode(text: string): number[] {
    if (typeof text !== "string") throw new TokenizerError("invalid_argument", `prompt must be a string, got ${typeof text}`);
    const ids: number[] = [];
    for (const word of splitWords(cleanPrompt(text))) {
      if (word === START_OF_TEXT) ids.push(this.bosId);
      else if (word === END_OF_TEXT) ids.push(this.eosId);
      else ids.push(...this.encodeWord(word));
    }
    return ids;
  }

  /** BOS + ids[:75] + EOS, padded to 77 with `padId`; `truncated` says whether the prompt was cut. */
  toModelInput(promptIds: readonly number[], options: { padId: number; contextLength?: number }): ModelInput {
    return toModelInput(promptIds, { ...options, bosId: this.bosId, eosId: this.eosId });
  }

  private encodeWord(word: string): readonly number[] {
    let symbolic = "";
    for (const byte of this.utf8.encode(word)) symbolic += this.byteSymbols[byte];
    const cached = this.cache.get(symbolic);
    if (cached !== undefined) return cached;
    const ids = bytePairMerge(symbolic, this.ranks).map((token) => this.tokenToId.get(token)!);
    this.cache.set(symbolic, ids);
    return ids;
  }
}

function requireToken(vocab: ClipVocabulary, token: string): number {
  const id = vocab.tokenToId.get(token);
  if (id === undefined) throw new TokenizerError("vocab_corrupt", `vocabulary has no id for ${JSON.stringify(token)}`);
  return id;
}
