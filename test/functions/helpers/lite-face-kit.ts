/**
 * The edge's real face kit for tests: shared/image's intake and the lite pack's ONNX analyser,
 * built by functions/face-kit.ts from env settings as an operator would set them. One analyser
 * (one worker pool) per test file: start it in beforeAll, close it in afterAll. Every edge
 * started with the kit borrows that analyser, so restarting an edge keeps the pool.
 */
import { createFaceKit, faceKitConfigFromEnv, type FaceKit } from "../../../functions/adapters/node/face-kit.ts";
import { fetchLitePack } from "../../../models/face-pack/fetch-lite-pack.ts";
import type { DecodedImage, DetectedFace, FaceAnalyser } from "../../../shared/face/face-analyser.ts";

/** A spy around the real analyser: counts analyse() calls, changes nothing else. */
export interface CountingFaceAnalyser extends FaceAnalyser {
  readonly calls: number;
}

export function countingFaceAnalyser(inner: FaceAnalyser): CountingFaceAnalyser {
  let calls = 0;
  return {
    pack: inner.pack,
    get calls() {
      return calls;
    },
    analyse(image: DecodedImage): Promise<DetectedFace[]> {
      calls++;
      return inner.analyse(image);
    },
    close: () => inner.close(),
  };
}

export interface LiteFaceKit extends FaceKit {
  /** The file's one analyser. */
  readonly analyser: CountingFaceAnalyser;
  /** Closes the analyser's worker pool. */
  close(): Promise<void>;
}

/**
 * `env` adds face-kit settings (e.g. PHOTO_MAX_BYTES) to the test defaults: the lite pack in
 * its default folder, one worker thread (the machine has two cores and ONNX workers are heavy).
 */
export async function startLiteFaceKit(env: Record<string, string> = {}): Promise<LiteFaceKit> {
  // Verifies the pack where `npm install` put it; fetches it if missing (a fresh clone, an offline install).
  await fetchLitePack({ log: (line) => console.log(line) });
  const kit = createFaceKit(faceKitConfigFromEnv({ FACE_PACK: "lite", FACE_WORKERS: "1", ...env }));
  const analyser = countingFaceAnalyser(await kit.createFaceAnalyser());
  return {
    decodePhoto: kit.decodePhoto,
    analyser,
    // The edge closes the analyser it is given; a borrowed one leaves the file's pool running.
    createFaceAnalyser: async () => ({ pack: analyser.pack, analyse: (image) => analyser.analyse(image), close: async () => {} }),
    close: () => analyser.close(),
  };
}
