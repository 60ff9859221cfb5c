/** CLIP tokenization for SDXL's two text encoders. */
export { ClipTokenizer, type ClipTokenizerOptions } from "./clip-tokenizer.ts";
export { vocabularyFromMerges, CLIP_MERGE_COUNT, START_OF_TEXT, END_OF_TEXT, type ClipVocabulary } from "./clip-vocabulary.ts";
export { loadOpenAiVocabulary } from "./openai-vocab.ts";
export { loadHfVocabulary, writeHfVocabulary, hfVocabularyPaths } from "./hf-vocab.ts";
export { toModelInput, CLIP_CONTEXT_LENGTH, type ModelInput, type ModelInputOptions } from "./model-input.ts";
export { TokenizerError, type TokenizerErrorCode } from "./tokenizer-error.ts";
