/**
 * The Node edge's photo analysis: shared/image's intake (sharp, with the configured limits) then
 * the in-process ONNX face analyser (worker threads). Closing it closes the analyser's pool.
 */
import type { FaceAnalyser } from "../../../shared/face/face-analyser.ts";
import type { DecodePhoto } from "../../photos/decode-photo.ts";
import type { PhotoAnalyser } from "../../ports/photo-analysis.ts";

export function createNodePhotoAnalyser(decodePhoto: DecodePhoto, analyser: FaceAnalyser): PhotoAnalyser {
  return {
    async analyse(photo) {
      const image = await decodePhoto(photo);
      const faces = await analyser.analyse(image);
      return { width: image.width, height: image.height, faces };
    },
    close: () => analyser.close(),
  };
}
