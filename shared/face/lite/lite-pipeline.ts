/**
 * The offline lite pack: Ultra-Light boxes, 68 landmarks reduced to InstantID's 5 keypoints,
 * ArcFace alignment, MobileFaceNet 512-d embedding (faceplugin normalisation, (x - 127) / 128, RGB).
 */
import type { DecodedImage, DetectedFace } from "../face-analyser.ts";
import { normCrop } from "../align.ts";
import { FaceEmbedder } from "../face-embedder.ts";
import { sortByArea, type FacePipeline } from "../face-pipeline.ts";
import { expectIo, type FaceBackend } from "../face-session.ts";
import { fivePointsFrom68, Landmark68 } from "./landmark68.ts";
import { ULTRALIGHT_DEFAULTS, UltraLightDetector } from "./ultralight-detector.ts";

const HINT = "fetch the lite pack with `npm run models:face`";

export interface LiteOptions {
  /** Default 0.7 (ULTRALIGHT_DEFAULTS). */
  readonly scoreThreshold?: number;
  readonly nmsThreshold?: number;
}

export async function createLitePipeline(backend: FaceBackend, config: LiteOptions = {}): Promise<FacePipeline> {
  const detect = await backend.openSession("fr_detect.onnx", HINT);
  const landmark = await backend.openSession("fr_landmark.onnx", HINT);
  const feature = await backend.openSession("fr_feature.onnx", HINT);
  expectIo(detect, "fr_detect.onnx", ["input"], ["scores", "boxes"]);
  expectIo(landmark, "fr_landmark.onnx", ["input"], ["output"]);
  expectIo(feature, "fr_feature.onnx", ["input"], ["output"]);

  const detector = new UltraLightDetector(detect, {
    scoreThreshold: config.scoreThreshold ?? ULTRALIGHT_DEFAULTS.scoreThreshold,
    nmsThreshold: config.nmsThreshold ?? ULTRALIGHT_DEFAULTS.nmsThreshold,
  });
  const landmarks = new Landmark68(landmark);
  const embedder = new FaceEmbedder(feature, { mean: 127, std: 128, size: 112 });

  return {
    pack: "lite",
    async analyse(image: DecodedImage): Promise<DetectedFace[]> {
      const faces: DetectedFace[] = [];
      for (const candidate of await detector.detect(image)) {
        const kps = fivePointsFrom68(await landmarks.predict(image, candidate.box));
        const { crop } = normCrop(image, kps, embedder.options.size);
        faces.push({ bbox: candidate.box, score: candidate.score, kps, embedding: await embedder.embed(crop), pack: "lite" });
      }
      return sortByArea(faces);
    },
    async analyseBatch(images: readonly DecodedImage[]): Promise<DetectedFace[][]> {
      const found = (await detector.detectBatch(images)).flatMap((candidates, i) => candidates.map((c) => ({ image: images[i]!, at: i, candidate: c })));
      const points = await landmarks.predictBatch(found.map((f) => ({ image: f.image, box: f.candidate.box })));
      const kps = points.map(fivePointsFrom68);
      const embeddings = await embedder.embedBatch(found.map((f, k) => normCrop(f.image, kps[k]!, embedder.options.size).crop));
      const perImage: DetectedFace[][] = images.map(() => []);
      found.forEach((f, k) => perImage[f.at]!.push({ bbox: f.candidate.box, score: f.candidate.score, kps: kps[k]!, embedding: embeddings[k]!, pack: "lite" }));
      return perImage.map(sortByArea);
    },
    async release() {
      await Promise.all([detect.release(), landmark.release(), feature.release()]);
    },
  };
}
