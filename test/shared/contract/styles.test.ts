import { describe, expect, it } from "vitest";
import { applyStyle, STYLE_NAMES, STYLE_TEMPLATES } from "../../../shared/contract/styles.ts";

describe("InstantID demo styles", () => {
  it("has the demo's nine templates, each placing the prompt", () => {
    expect(STYLE_NAMES).toHaveLength(9);
    expect(STYLE_NAMES).toContain("(No style)");
    for (const name of STYLE_NAMES) expect(STYLE_TEMPLATES[name].prompt).toContain("{prompt}");
  });

  it("wraps the prompt and puts the style's negative prompt before the user's", () => {
    const r = applyStyle("Watercolor", "a man", "blurry");
    expect(r.prompt).toBe(STYLE_TEMPLATES.Watercolor.prompt.replace("{prompt}", "a man"));
    expect(r.negativePrompt).toBe(`${STYLE_TEMPLATES.Watercolor.negativePrompt} blurry`);
  });

  it("keeps an empty negative prompt empty under (No style), and changes nothing without a style", () => {
    expect(applyStyle("(No style)", "a man", "")).toEqual({ prompt: "a man", negativePrompt: "" });
    expect(applyStyle(undefined, "a man", "x")).toEqual({ prompt: "a man", negativePrompt: "x" });
  });
});
