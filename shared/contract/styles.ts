/**
 * The nine style templates of InstantID's gradio demo (gradio_demo/style_template.py): a style wraps
 * the user's prompt and prepends its own negative prompt. Text is the demo's, verbatim.
 */

export interface StyleTemplate {
  /** Contains `{prompt}` where the user's prompt goes. */
  readonly prompt: string;
  readonly negativePrompt: string;
}

const COMMON_NEGATIVE =
  "(lowres, low quality, worst quality:1.2), (text:1.2), watermark, (frame:1.2), deformed, ugly, deformed eyes, blur, out of focus, blurry, deformed cat, deformed, photo, anthropomorphic cat, monochrome, photo, pet collar, gun, weapon, blue, 3d, drones, drone, buildings in background, green";

export const STYLE_TEMPLATES = {
  "(No style)": { prompt: "{prompt}", negativePrompt: "" },
  Watercolor: {
    prompt: "watercolor painting, {prompt}. vibrant, beautiful, painterly, detailed, textural, artistic",
    negativePrompt:
      "(lowres, low quality, worst quality:1.2), (text:1.2), watermark, anime, photorealistic, 35mm film, deformed, glitch, low contrast, noisy",
  },
  "Film Noir": {
    prompt:
      "film noir style, ink sketch|vector, {prompt} highly detailed, sharp focus, ultra sharpness, monochrome, high contrast, dramatic shadows, 1940s style, mysterious, cinematic",
    negativePrompt: COMMON_NEGATIVE,
  },
  Neon: {
    prompt:
      "masterpiece painting, buildings in the backdrop, kaleidoscope, lilac orange blue cream fuchsia bright vivid gradient colors, the scene is cinematic, {prompt}, emotional realism, double exposure, watercolor ink pencil, graded wash, color layering, magic realism, figurative painting, intricate motifs, organic tracery, polished",
    negativePrompt: COMMON_NEGATIVE,
  },
  Jungle: {
    prompt:
      'waist-up "{prompt} in a Jungle" by Syd Mead, tangerine cold color palette, muted colors, detailed, 8k,photo r3al,dripping paint,3d toon style,3d style,Movie Still',
    negativePrompt: COMMON_NEGATIVE,
  },
  Mars: {
    prompt:
      "{prompt}, Post-apocalyptic. Mars Colony, Scavengers roam the wastelands searching for valuable resources, rovers, bright morning sunlight shining, (detailed) (intricate) (8k) (HDR) (cinematic lighting) (sharp focus)",
    negativePrompt: COMMON_NEGATIVE,
  },
  "Vibrant Color": {
    prompt:
      "vibrant colorful, ink sketch|vector|2d colors, at nightfall, sharp focus, {prompt}, highly detailed, sharp focus, the clouds,colorful,ultra sharpness",
    negativePrompt: COMMON_NEGATIVE,
  },
  Snow: {
    prompt:
      "cinema 4d render, {prompt}, high contrast, vibrant and saturated, sico style, surrounded by magical glow,floating ice shards, snow crystals, cold, windy background, frozen natural landscape in background  cinematic atmosphere,highly detailed, sharp focus, intricate design, 3d, unreal engine, octane render, CG best quality, highres, photorealistic, dramatic lighting, artstation, concept art, cinematic, epic Steven Spielberg movie still, sharp focus, smoke, sparks, art by pascal blanche and greg rutkowski and repin, trending on artstation, hyperrealism painting, matte painting, 4k resolution",
    negativePrompt: COMMON_NEGATIVE,
  },
  "Line art": {
    prompt:
      "line art drawing {prompt} . professional, sleek, modern, minimalist, graphic, line art, vector graphics",
    negativePrompt:
      "anime, photorealistic, 35mm film, deformed, glitch, blurry, noisy, off-center, deformed, cross-eyed, closed eyes, bad anatomy, ugly, disfigured, mutated, realism, realistic, impressionism, expressionism, oil, acrylic",
  },
} as const satisfies Record<string, StyleTemplate>;

export type StyleName = keyof typeof STYLE_TEMPLATES;
export const STYLE_NAMES = Object.keys(STYLE_TEMPLATES) as [StyleName, ...StyleName[]];

/**
 * The demo's `apply_style`: the template's `{prompt}` replaced by the user's prompt; the style's
 * negative prompt followed by the user's. Joined without the demo's stray space when one side is
 * empty, so "(No style)" with no negative prompt stays empty (the runtime zeroes an empty negative
 * prompt; CLIP's tokenizer ignores the space otherwise).
 */
export function applyStyle(
  style: StyleName | undefined,
  prompt: string,
  negativePrompt: string,
): { prompt: string; negativePrompt: string } {
  if (style === undefined) return { prompt, negativePrompt };
  const t: StyleTemplate = STYLE_TEMPLATES[style];
  return {
    prompt: t.prompt.replaceAll("{prompt}", prompt),
    negativePrompt: [t.negativePrompt, negativePrompt].filter((s) => s.length > 0).join(" "),
  };
}
