/** Pair key for rank lookups; byte symbols never contain a space, so "a b" is unambiguous. */
export function pairKey(first: string, second: string): string {
  return first + " " + second;
}

/**
 * OpenAI CLIP's BPE on one word (already mapped to byte symbols): the last symbol carries "</w>",
 * then the lowest-ranked adjacent pair is merged everywhere, left to right, until no pair has a rank.
 */
export function bytePairMerge(word: string, ranks: ReadonlyMap<string, number>): string[] {
  let symbols = [...word];
  symbols[symbols.length - 1] += "</w>";
  while (symbols.length > 1) {
    let best = Infinity;
    let first = "";
    let second = "";
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = ranks.get(pairKey(symbols[i]!, symbols[i + 1]!));
      if (rank !== undefined && rank < best) {
        best = rank;
        first = symbols[i]!;
        second = symbols[i + 1]!;
      }
    }
    if (best === Infinity) break;
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (symbols[i] === first && i + 1 < symbols.length && symbols[i + 1] === second) {
        merged.push(first + second);
        i++;
      } else {
        merged.push(symbols[i]!);
      }
    }
    symbols = merged;
  }
  return symbols;
}
