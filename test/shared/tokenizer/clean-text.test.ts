import { describe, expect, it } from "vitest";
import { cleanPrompt } from "../../../shared/tokenizer/clean-text.ts";

describe("cleanPrompt", () => {
  it("lowercases, collapses whitespace runs and trims", () => {
    expect(cleanPrompt("  A  Photo\tOF\n\n a   Cat  ")).toBe("a photo of a cat");
  });

  it("treats Unicode White_Space as whitespace (NEL, no-break and ideographic spaces), as Python's regex does", () => {
    expect(cleanPrompt("a\u0085b\u00a0c\u3000d")).toBe("a b c d");
  });

  it("keeps U+FEFF, which JavaScript's \\s would count as space but Python does not", () => {
    expect(cleanPrompt("a\ufeffb")).toBe("a\ufeffb");
  });

  it("strips information separators at the ends only, as str.strip() does", () => {
    expect(cleanPrompt("\u001ca\u001fb\u001e")).toBe("a\u001fb");
  });

  it("unescapes HTML twice", () => {
    expect(cleanPrompt("Fish &amp;amp; Chips")).toBe("fish & chips");
  });
});
