import { NAMED_CHARACTER_REFERENCES, NAMES_VALID_WITHOUT_SEMICOLON } from "./html-entities.ts";

/**
 * HTML character references resolved the way Python's `html.unescape` does (HTML5 rules, invalid
 * references included), since OpenAI's CLIP cleans prompts with it: "&amp;" -> "&", "&#233;" -> "é",
 * "&eacute" (legacy, no ';') -> "é", "&#0;" -> U+FFFD, unknown names left as they are.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARACTER_REFERENCE, (_match, body: string) => resolveReference(body));
}

// Same shape as Python's: a decimal or hex number, or up to 32 name characters, each with an optional ';'.
const CHARACTER_REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function resolveReference(body: string): string {
  if (body[0] === "#") return resolveNumeric(body);
  const hasSemicolon = body.endsWith(";");
  const name = hasSemicolon ? body.slice(0, -1) : body;
  const whole = hasSemicolon ? NAMED_CHARACTER_REFERENCES.get(name) : legacyReference(name);
  if (whole !== undefined) return whole;
  // The longest legacy name that prefixes the text wins ("&notit;" -> "¬it;").
  for (let end = body.length - 1; end > 1; end--) {
    const value = legacyReference(body.slice(0, end));
    if (value !== undefined) return value + body.slice(end);
  }
  return "&" + body;
}

function legacyReference(name: string): string | undefined {
  return NAMES_VALID_WITHOUT_SEMICOLON.has(name) ? NAMED_CHARACTER_REFERENCES.get(name) : undefined;
}

function resolveNumeric(body: string): string {
  const digits = body.replace(/;$/u, "");
  const hex = digits[1] === "x" || digits[1] === "X";
  // Arbitrarily long digit strings only ever need comparing against 0x10FFFF, so a float is enough.
  const code = hex ? parseInt(digits.slice(2), 16) : parseInt(digits.slice(1), 10);
  const replaced = WINDOWS_1252_REPLACEMENTS.get(code);
  if (replaced !== undefined) return replaced;
  if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return "\u{fffd}";
  if (isDroppedCodePoint(code)) return "";
  return String.fromCodePoint(code);
}

/** HTML5 reads references to C1 controls as windows-1252 (the browser-compatible "&#150;" -> "–"). */
const WINDOWS_1252_REPLACEMENTS: ReadonlyMap<number, string> = new Map<number, string>([
  [0x00, "\u{fffd}"], [0x0d, "\r"],
  ...[..."\u{20ac}\u{81}\u{201a}\u{192}\u{201e}\u{2026}\u{2020}\u{2021}\u{2c6}\u{2030}\u{160}\u{2039}\u{152}\u{8d}\u{17d}\u{8f}" +
    "\u{90}\u{2018}\u{2019}\u{201c}\u{201d}\u{2022}\u{2013}\u{2014}\u{2dc}\u{2122}\u{161}\u{203a}\u{153}\u{9d}\u{17e}\u{178}"]
    .map((ch, i): [number, string] => [0x80 + i, ch]),
]);

/** Control characters and noncharacters that Python drops outright. */
function isDroppedCodePoint(code: number): boolean {
  return (
    (code >= 0x01 && code <= 0x08) ||
    code === 0x0b ||
    (code >= 0x0e && code <= 0x1f) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xfdd0 && code <= 0xfdef) ||
    (code & 0xfffe) === 0xfffe
  );
}
