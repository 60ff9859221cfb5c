/**
 * Prints the POST /v1/identities body for a face analysed here instead of on the edge: what the web
 * app sends after analysing a photo on the device, made with the same shared/face code on
 * onnxruntime-node. For trying the precomputed-face path with curl:
 *
 *   npx tsx web/tools/face-json.ts examples/astronaut.png > face.json
 *   curl -s http://127.0.0.1:8787/v1/identities -H "Authorization: Bearer $KEY" \
 *     -H 'Content-Type: application/json' -d @face.json
 *
 * FACE_PACK / FACE_PACK_DIR as for the edge (default: the lite pack where npm install put it).
 */
import { readFileSync } from "node:fs";
import { encodeEmbedding } from "../../shared/contract/embedding.ts";
import { createFacePipeline } from "../../shared/face/create-face-pipeline.ts";
import type { FacePackName } from "../../shared/face/face-analyser.ts";
import { DEFAULT_FACE_PACK_DIRS } from "../../shared/face/pack-dirs.ts";
import { decodeImage } from "../../shared/image/image-intake.ts";

export function faceJsonBody(face: { embedding: Float32Array; kps: readonly (readonly [number, number])[]; bbox: readonly number[]; score: number }, width: number, height: number, pack: FacePackName) {
  return {
    face: {
      embedding: encodeEmbedding(face.embedding),
      kps: face.kps.map(([x, y]) => [x, y]),
      bbox: [...face.bbox],
      score: face.score,
      imageWidth: width,
      imageHeight: height,
    },
    embeddingModel: pack,
  };
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) {
    console.error("usage: npx tsx web/tools/face-json.ts <photo>");
    process.exit(2);
  }
  const pack = (process.env.FACE_PACK?.trim() || "lite") as FacePackName;
  const dir = process.env.FACE_PACK_DIR?.trim() || DEFAULT_FACE_PACK_DIRS[pack];
  if (!dir) throw new Error(`FACE_PACK=${pack}: expected lite or antelopev2`);
  const image = await decodeImage(readFileSync(path));
  const pipeline = await createFacePipeline(pack === "lite" ? { pack, dir } : { pack: "antelopev2", dir });
  try {
    const [face] = await pipeline.analyse(image);
    if (!face) {
      console.error(`${path}: no face found`);
      process.exit(1);
    }
    console.log(JSON.stringify(faceJsonBody(face, image.width, image.height, pack)));
  } finally {
    await pipeline.release();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
