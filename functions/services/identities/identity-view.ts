import type { IdentityView } from "../../schemas/identity.ts";
import type { IdentitySummary } from "../../stores/identity-store.ts";

/** The public representation: never the embedding. */
export function identityView(r: IdentitySummary): IdentityView {
  return {
    id: r.id,
    face: {
      bbox: [r.bbox[0], r.bbox[1], r.bbox[2], r.bbox[3]],
      score: r.score,
      kps: r.kps.map(([x, y]) => [x, y] as [number, number]),
    },
    faces: r.faceCount,
    photos: r.photoCount,
    imageSize: { width: r.imageWidth, height: r.imageHeight },
    embeddingModel: r.pack,
    createdAt: new Date(r.createdMs).toISOString(),
  };
}
