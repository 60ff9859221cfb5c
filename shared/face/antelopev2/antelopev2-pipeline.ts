/**
 * The production pack, insightface's antelopev2 as InstantID uses it: SCRFD-10G at 640 for
 * boxes and 5 keypoints, ArcFace alignment, glintr100 embedding with (x - 127.5) / 127.5 RGB input, raw.
 */
import type { DecodedImage, DetectedFace } from "../face-analyser.ts";
import type { FaceCandidate } from "../face-candidate.ts";
import { normCrop } from "../align.ts";
import { FaceAnalysisError } from "../face-analysis-error.ts";
import { FaceEmbedder } from "../face-embedder.ts";
import { sortByArea, type FacePipeline } from "../face-pipeline.ts";
import type { FaceBackend } from "../face-session.ts";
import { SCRFD_DEFAULTS } from "../scrfd-decode.ts";
import { ScrfdDetector } from "./scrfd-detector.ts";

export const ANTELOPEV2_FILES = { detector: "scrfd_10g_bnkps.onnx", recognizer: "glintr100.onnx" } as const;
const HINT = "put insightface's antelopev2 folder (scrfd_10g_bnkps.onnx, glintr100.onnx) there";

export interface Antelopev2Options {
  /** Default scrfd_10g_bnkps.onnx. */
  readonly detectorFile?: string;
  /** Default glintr100.onnx. */
  readonly recognizerFile?: string;
  /** Default 640. */
  readonly detSize?: number;
  /** Default 0.5. */
  readonly scoreThreshold?: number;
  /** Default 0.4. */
  readonly nmsThreshold?: number;
}

export async function createAntelopev2Pipeline(backend: FaceBackend, config: Antelopev2Options = {}): Promise<FacePipeline> {
  const det = await backend.openSession(config.detectorFile ?? ANTELOPEV2_FILES.detector, HINT);
  const rec = await backend.openSession(config.recognizerFile ?? ANTELOPEV2_FILES.recognizer, HINT);
  if (rec.inputNames.length !== 1 || rec.outputNames.length < 1) {
    throw new FaceAnalysisError("pack_invalid", `recogniser: expected one input, got [${rec.inputNames}]`);
  }
  const detector = new ScrfdDetector(det, {
    detSize: config.detSize ?? 640,
    scoreThreshold: config.scoreThreshold ?? SCRFD_DEFAULTS.scoreThreshold,
    nmsThreshold: config.nmsThreshold ?? SCRFD_DEFAULTS.nmsThreshold,
  });
  const embedder = new FaceEmbedder(rec, { mean: 127.5, std: 127.5, size: 112 });

  return {
    pack: "antelopev2",
    async analyse(image: DecodedImage): Promise<DetectedFace[]> {
      const faces: DetectedFace[] = [];
      for (const c of await detector.detect(image)) {
        if (!c.kps) continue;
        const { crop } = normCrop(image, c.kps, embedder.options.size);
        faces.push({ bbox: c.box, score: c.score, kps: c.kps, embedding: await embedder.embed(crop), pack: "antelopev2" });
      }
      return sortByArea(faces);
    },
    async analyseBatch(images: readonly DecodedImage[]): Promise<DetectedFace[][]> {
      // SCRFD at 640 runs per photo (antelopev2's export has no batch dimension on its outputs); every
      // photo's aligned crops then go through ArcFace together
      const found: { at: number; c: FaceCandidate & { kps: NonNullable<FaceCandidate["kps"]> }; crop: DecodedImage }[] = [];
      for (const [at, image] of images.entries()) {
        for (const c of await detector.detect(image)) if (c.kps) found.push({ at, c: c as (typeof found)[number]["c"], crop: normCrop(image, c.kps, embedder.options.size).crop });
      }
      const embeddings = await embedder.embedBatch(found.map((f) => f.crop));
      const perImage: DetectedFace[][] = images.map(() => []);
      found.forEach((f, k) => perImage[f.at]!.push({ bbox: f.c.box, score: f.c.score, kps: f.c.kps, embedding: embeddings[k]!, pack: "antelopev2" }));
      return perImage.map(sortByArea);
    },
    async release() {
      await Promise.all([det.release(), rec.release()]);
    },
  };
}
