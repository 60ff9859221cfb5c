import type { DecodedImage } from "../../shared/face/face-analyser.ts";

/** Photo bytes to RGB pixels (shared/image's intake); throws its typed intake errors. */
export type DecodePhoto = (bytes: Uint8Array) => Promise<DecodedImage>;
