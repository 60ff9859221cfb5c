/**
 * Golden check of the CLIP tokenizer: every {text, ids} case must encode to exactly those ids.
 * maxAbsErr counts the mismatching cases (atol 0 unless the case file says otherwise).
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ClipTokenizer } from "../../../shared/tokenizer/index.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";

/** The project's copy of OpenAI's vocabulary, found from this file so the cwd does not matter. */
export const DEFAULT_CLIP_VOCAB = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/clip/bpe_simple_vocab_16e6.txt.gz");

interface TokenizerCase {
  text: string;
  ids: number[];
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  const atol = typeof c.meta.atol === "number" ? c.meta.atol : 0;
  const fail = (reason: string): GoldenResult => ({ case: c.name, component: c.component, maxAbsErr: null, atol, pass: false, reason });
  const cases = c.meta.cases;
  if (!Array.isArray(cases) || cases.length === 0 || !cases.every(isTokenizerCase)) {
    return fail("expected `cases`: a non-empty array of {text: string, ids: integer[]}");
  }
  // A case file may name its own vocabulary, relative to itself.
  const vocabPath = typeof c.meta.vocab === "string" ? resolve(dirname(c.path), c.meta.vocab) : DEFAULT_CLIP_VOCAB;
  const tokenizer = ClipTokenizer.fromOpenAiVocab(vocabPath);

  const mismatches: string[] = [];
  for (const [name, expected] of [["bos", c.meta.bos], ["eos", c.meta.eos]] as const) {
    const actual = name === "bos" ? tokenizer.bosId : tokenizer.eosId;
    if (expected !== undefined && expected !== actual) mismatches.push(`${name} id: expected ${String(expected)}, got ${actual}`);
  }
  for (const { text, ids } of cases) {
    const got = tokenizer.encode(text);
    const at = firstDifference(got, ids);
    if (at >= 0) mismatches.push(`${JSON.stringify(text)}: at token ${at} expected ${ids[at] ?? "end"}, got ${got[at] ?? "end"}`);
  }
  const maxAbsErr = mismatches.length;
  return {
    case: c.name,
    component: c.component,
    maxAbsErr,
    atol,
    pass: maxAbsErr <= atol,
    ...(mismatches.length > 0 ? { reason: `${mismatches.length} mismatch(es); first: ${mismatches[0]}` } : {}),
    detail: { cases: cases.length, mismatches: maxAbsErr },
  };
}

function isTokenizerCase(x: unknown): x is TokenizerCase {
  const c = x as TokenizerCase;
  return typeof c === "object" && c !== null && typeof c.text === "string" && Array.isArray(c.ids) && c.ids.every(Number.isInteger);
}

/** Index of the first differing position (length differences included), or -1 when equal. */
function firstDifference(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}
