/**
 * GPT-2's reversible byte -> visible character table: printable Latin-1 bytes stand for themselves,
 * the other 68 bytes are shifted to U+0100 and up, so every byte string is a string of non-space symbols.
 */
export function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + shifted++);
  }
  return table;
}

/** The byte symbols in vocabulary order: the printable ones first, then the shifted ones. */
export function byteSymbolsInVocabularyOrder(): string[] {
  const table = bytesToUnicode();
  return [...table.filter((s) => s.codePointAt(0)! < 256), ...table.filter((s) => s.codePointAt(0)! >= 256)];
}
