import { describe, expect, it } from "vitest";
import { htmlUnescape } from "../../../shared/tokenizer/html-unescape.ts";

// Expectations follow the HTML5 parsing rules that Python's html.unescape implements.
describe("htmlUnescape", () => {
  it.each([
    ["named references", "&lt;b&gt; &amp; &quot;x&quot;", '<b> & "x"'],
    ["one level only", "&amp;lt;", "&lt;"],
    ["a legacy name without ';'", "caf&eacute au lait", "café au lait"],
    ["a modern name needs its ';'", "&hellip &hellip;", "&hellip \u2026"],
    ["the longest legacy prefix", "&notit; &notin;", "\u00acit; \u2209"],
    ["decimal and hex numbers", "&#233;&#xE9;&#X1F600;", "éé\u{1f600}"],
    ["C1 numbers as windows-1252", "&#150;&#128;", "\u2013\u20ac"],
    ["NUL and out-of-range numbers as U+FFFD", "&#0;&#xD800;&#99999999999999;", "\u{fffd}\u{fffd}\u{fffd}"],
    ["control and noncharacter numbers dropped", "a&#1;b&#xFFFE;c&#x10FFFF;d", "abcd"],
    ["unknown names left alone", "&bogus; & &; &#; AT&T", "&bogus; & &; &#; AT&T"],
    ["text without '&' untouched", "plain text", "plain text"],
  ])("resolves %s", (_, input, expected) => {
    expect(htmlUnescape(input)).toBe(expected);
  });
});
