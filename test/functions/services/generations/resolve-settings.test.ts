import { describe, expect, it } from "vitest";
import { resolveSettings } from "../../../../functions/services/generations/resolve-settings.ts";
import { FAST_MODE_PRESET, GENERATION_DEFAULTS, instantIdOutputSize } from "../../../../shared/contract/limits.ts";
import { ApiError } from "../../../../functions/errors/api-error.ts";

const photo = { width: 600, height: 800 };
const seed = () => 99;

describe("resolveSettings", () => {
  it("fills InstantID's defaults, the demo's size for the photo and a random seed", () => {
    const s = resolveSettings({ identityId: "i", prompt: "p" }, photo, seed);
    expect(s).toMatchObject({
      steps: GENERATION_DEFAULTS.steps,
      guidanceScale: GENERATION_DEFAULTS.guidanceScale,
      identityStrength: GENERATION_DEFAULTS.identityStrength,
      adapterStrength: GENERATION_DEFAULTS.adapterStrength,
      scheduler: GENERATION_DEFAULTS.scheduler,
      seed: 99,
      style: null,
      preview: null,
      ...instantIdOutputSize(photo.width, photo.height),
    });
  });

  it("derives a missing side from the photo's aspect ratio", () => {
    const s = resolveSettings({ identityId: "i", prompt: "p", width: 600 }, photo, seed);
    expect(s.width).toBe(600);
    expect(s.height).toBe(800);
    const t = resolveSettings({ identityId: "i", prompt: "p", height: 400 }, photo, seed);
    expect(t.width).toBe(304);
  });

  it("fast mode: LCM preset unless the request says otherwise", () => {
    const s = resolveSettings({ identityId: "i", prompt: "p", fast: true, steps: 8 }, photo, seed);
    expect(s).toMatchObject({ scheduler: FAST_MODE_PRESET.scheduler, guidanceScale: FAST_MODE_PRESET.guidanceScale, steps: 8 });
  });

  it("preview: true takes the defaults", () => {
    const s = resolveSettings({ identityId: "i", prompt: "p", preview: { maxSide: 64 } }, photo, seed);
    expect(s.preview).toEqual({ everySteps: GENERATION_DEFAULTS.previewEverySteps, maxSide: 64 });
  });

  it("refuses a size past the pixel budget", () => {
    expect(() => resolveSettings({ identityId: "i", prompt: "p", width: 2048, height: 2048 }, photo, seed)).toThrow(ApiError);
  });
});
