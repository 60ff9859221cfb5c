// Same runner: the config's class (CLIPTextModelWithProjection) adds the text_embeds output.
export { compile, run } from "./text_encoder.ts";
