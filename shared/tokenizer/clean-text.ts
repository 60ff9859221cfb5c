import { htmlUnescape } from "./html-unescape.ts";

/**
 * The prompt normalisation OpenAI's SimpleTokenizer applies before splitting, minus ftfy:
 * HTML unescaped twice (prompts scraped from the web arrive double-escaped), whitespace runs
 * collapsed to one space, ends trimmed, lowercased.
 */
export function cleanPrompt(text: string): string {
  const unescaped = pythonStrip(htmlUnescape(htmlUnescape(text)));
  return pythonStrip(unescaped.replace(WHITESPACE_RUN, " ")).toLowerCase();
}

// Python's `regex` \s is the Unicode White_Space property (JS's \s differs: it adds U+FEFF, drops U+0085).
const WHITESPACE_RUN = /\p{White_Space}+/gu;

// str.strip() also removes the information separators U+001C..U+001F, which are not White_Space.
const PYTHON_STRIP = /^[\p{White_Space}\x1c-\x1f]+|[\p{White_Space}\x1c-\x1f]+$/gu;

function pythonStrip(text: string): string {
  return text.replace(PYTHON_STRIP, "");
}
