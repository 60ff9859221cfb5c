/**
 * ArcFace 5-point alignment, as insightface's face_align.norm_crop does it: the least-squares
 * similarity transform (skimage SimilarityTransform / Umeyama with scaling) from the 5 detected
 * keypoints onto ArcFace's template, then cv2.warpAffine (bilinear, border 0) to a square crop.
 */
import type { DecodedImage, Point } from "./face-analyser.ts";
import type { AffineMatrix } from "../image/warp-affine.ts";
import { warpAffine } from "../image/warp-affine.ts";
import { decodedOf, rasterOf } from "../image/raster.ts";

/** insightface's arcface_dst: eye centres, nose tip, mouth corners in a 112x112 crop. */
export const ARCFACE_TEMPLATE_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** The template for a crop of `size` pixels (insightface estimate_norm: multiples of 112, or of 128 with an 8/128 shift). */
export function arcfaceTemplate(size = 112): Point[] {
  let ratio: number;
  let shiftX = 0;
  if (size % 112 === 0) ratio = size / 112;
  else if (size % 128 === 0) (ratio = size / 128), (shiftX = 8 * ratio);
  else throw new RangeError(`arcfaceTemplate: crop size ${size} is not a multiple of 112 or 128`);
  return ARCFACE_TEMPLATE_112.map(([x, y]) => [x * ratio + shiftX, y * ratio] as const);
}

/**
 * Least-squares similarity (rotation, uniform scale, translation) taking src onto dst.
 * In 2-D, Umeyama's SVD solution reduces to a closed form: with A = cov(dst, src),
 * scale*R = [[p, -q], [q, p]] where p = (A00 + A11) / var(src), q = (A10 - A01) / var(src);
 * this also covers the det(A) < 0 branch (singular values subtract, R stays a rotation).
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): AffineMatrix {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new RangeError(`estimateSimilarity: need >= 2 matching points (got ${n} and ${dst.length})`);
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]![0]; sy += src[i]![1];
    dx += dst[i]![0]; dy += dst[i]![1];
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let a00 = 0, a01 = 0, a10 = 0, a11 = 0, variance = 0;
  for (let i = 0; i < n; i++) {
    const ux = src[i]![0] - sx, uy = src[i]![1] - sy;
    const vx = dst[i]![0] - dx, vy = dst[i]![1] - dy;
    a00 += vx * ux; a01 += vx * uy; a10 += vy * ux; a11 += vy * uy;
    variance += ux * ux + uy * uy;
  }
  if (!(variance > 0) || !Number.isFinite(variance)) throw new RangeError("estimateSimilarity: source points are all the same point");
  const p = (a00 + a11) / variance;
  const q = (a10 - a01) / variance;
  return [p, -q, dx - (p * sx - q * sy), q, p, dy - (q * sx + p * sy)];
}

export interface AlignedFace {
  /** The aligned square crop, RGB. */
  readonly crop: DecodedImage;
  /** The image -> crop transform. */
  readonly matrix: AffineMatrix;
}

/** insightface face_align.norm_crop(img, kps, image_size=size). */
export function normCrop(image: DecodedImage, kps: readonly Point[], size = 112): AlignedFace {
  if (kps.length !== 5) throw new RangeError(`normCrop: need 5 keypoints, got ${kps.length}`);
  const matrix = estimateSimilarity(kps, arcfaceTemplate(size));
  const crop = decodedOf(warpAffine(rasterOf(image), matrix, size, size, 0));
  return { crop, matrix };
}
