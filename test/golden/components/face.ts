/**
 * Golden runner for `face` cases: SCRFD decoding + NMS from planted raw outputs (boxes, kps),
 * and ArcFace alignment (matrix M, and the 112x112 crop of the case's photo, pixel-compared).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import type { Point } from "../../../shared/face/face-analyser.ts";
import { normCrop } from "../../../shared/face/align.ts";
import { scrfdDecode, scrfdGeometry, SCRFD_DEFAULTS } from "../../../shared/face/scrfd-decode.ts";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import type { GoldenCase, GoldenResult } from "../golden-case.ts";

interface ScrfdCase {
  file: string;
  image_width: number;
  image_height: number;
  det_size: number;
  det_thresh: number;
  nms_thresh: number;
  strides?: number[];
  num_anchors?: number;
}
interface AlignCase {
  kps: [number, number][];
  M: [number[], number[]];
  crop: string;
  image_size?: number;
}
interface FaceMeta {
  scrfd?: ScrfdCase[];
  align?: AlignCase[];
  photo?: string;
  tolerance?: { scrfd_boxes_kps_atol?: number; align_M_atol?: number; crop_mean_abs_max?: number; crop_max_abs?: number };
}

function requireNumber(v: unknown, what: string): number {
  if (typeof v !== "number") throw new Error(`meta.json has no numeric ${what}`);
  return v;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) || (Number.isNaN(a[i]! - b[i]!) ? Infinity : 0));
  return m;
}

/** The case's photo: beside the case, or in the faces folder next to the golden folder (../shared/faces, test/fixtures/faces). */
function findPhoto(casePath: string, photo: string): string {
  const candidates = [join(casePath, photo), join(dirname(dirname(casePath)), "faces", photo), join(dirname(casePath), "faces", photo)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`photo ${photo} not found (looked in ${candidates.join(", ")})`);
  return found;
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  const meta = c.meta as FaceMeta;
  const tol = meta.tolerance ?? {};
  const boxAtol = requireNumber(tol.scrfd_boxes_kps_atol, "tolerance.scrfd_boxes_kps_atol");
  // A case with no entries would pass vacuously.
  if (!(meta.scrfd?.length || meta.align?.length)) throw new Error(`${c.name}: meta.json has no scrfd or align entries`);
  const detail: Record<string, number> = {};
  const failures: string[] = [];
  let worst = 0;

  (meta.scrfd ?? []).forEach((s, n) => {
    const f = SafetensorsFile.open(join(c.path, s.file));
    try {
      const raw = (i: number) => f.readFloat32(`raw${i}`).data;
      const strides = s.strides ?? [...SCRFD_DEFAULTS.strides];
      const k = strides.length;
      const names = new Set(f.names());
      const hasKps = names.has(`raw${2 * k}`);
      const geometry = scrfdGeometry(s.image_width, s.image_height, s.det_size);
      const faces = scrfdDecode(
        {
          scores: strides.map((_, i) => raw(i)),
          bboxes: strides.map((_, i) => raw(k + i)),
          kps: hasKps ? strides.map((_, i) => raw(2 * k + i)) : null,
        },
        {
          inputWidth: s.det_size,
          inputHeight: s.det_size,
          strides,
          numAnchors: s.num_anchors ?? SCRFD_DEFAULTS.numAnchors,
          scoreThreshold: s.det_thresh,
          nmsThreshold: s.nms_thresh,
          scale: geometry.scale,
        },
      );
      const expectedBoxes = f.readFloat32("boxes");
      const expectedN = expectedBoxes.shape[0]!;
      detail[`scrfd_${n}_faces`] = faces.length;
      if (faces.length !== expectedN) {
        failures.push(`scrfd ${s.file}: ${faces.length} faces, expected ${expectedN}`);
        worst = Infinity;
        return;
      }
      const boxes = faces.flatMap((face) => [...face.box, face.score]);
      const boxErr = maxAbs(boxes, expectedBoxes.data);
      detail[`scrfd_${n}_boxes`] = boxErr;
      let kpsErr = 0;
      if (names.has("kps")) {
        const kps = faces.flatMap((face) => (face.kps ?? []).flatMap((p) => [p[0], p[1]]));
        kpsErr = maxAbs(kps, f.readFloat32("kps").data);
        detail[`scrfd_${n}_kps`] = kpsErr;
      }
      const err = Math.max(boxErr, kpsErr);
      worst = Math.max(worst, err);
      if (!(err <= boxAtol)) failures.push(`scrfd ${s.file}: max abs err ${err} > ${boxAtol}`);
    } finally {
      f.close();
    }
  });

  const aligns = meta.align ?? [];
  if (aligns.length) {
    const mAtol = requireNumber(tol.align_M_atol, "tolerance.align_M_atol");
    const meanMax = requireNumber(tol.crop_mean_abs_max, "tolerance.crop_mean_abs_max");
    const pixMax = requireNumber(tol.crop_max_abs, "tolerance.crop_max_abs");
    if (!meta.photo) throw new Error("meta.json has align cases but no photo");
    const image = await decodeImage(readFileSync(findPhoto(c.path, meta.photo)), { maxBytes: Infinity, maxPixels: Infinity });
    for (const [n, a] of aligns.entries()) {
      const kps = a.kps.map(([x, y]) => [x, y] as Point);
      const { data, info } = await sharp(join(c.path, a.crop)).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
      const size = a.image_size ?? info.width;
      const { crop, matrix } = normCrop(image, kps, size);
      const mErr = maxAbs(matrix, a.M.flat());
      detail[`align_${n}_M`] = mErr;
      worst = Math.max(worst, mErr);
      if (!(mErr <= mAtol)) failures.push(`align ${n}: M max abs err ${mErr} > ${mAtol}`);

      if (info.width !== crop.width || info.height !== crop.height || info.channels !== 3) {
        failures.push(`align ${n}: ${a.crop} is ${info.width}x${info.height}x${info.channels}, our crop ${crop.width}x${crop.height}x3`);
        continue;
      }
      const px = comparePixels(crop.rgb, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      detail[`align_${n}_crop_identical`] = px.identicalFraction;
      detail[`align_${n}_crop_mean_abs`] = px.meanAbs;
      detail[`align_${n}_crop_max_abs`] = px.maxAbs;
      if (!(px.meanAbs <= meanMax && px.maxAbs <= pixMax)) {
        failures.push(`align ${n}: crop mean abs ${px.meanAbs} (max ${meanMax}), max abs ${px.maxAbs} (max ${pixMax})`);
      }
    }
  }

  return {
    case: c.name,
    component: c.component,
    // Boxes, keypoints and matrices share one number; each also has its own tolerance in `detail`.
    maxAbsErr: worst,
    atol: boxAtol,
    pass: failures.length === 0 && worst <= boxAtol,
    ...(failures.length ? { reason: failures.join("; ") } : {}),
    detail,
  };
}

function comparePixels(a: Uint8Array, b: Uint8Array): { identicalFraction: number; meanAbs: number; maxAbs: number } {
  let identical = 0, sum = 0, max = 0;
  for (let i = 0; i < a.length; i += 3) {
    let same = true;
    for (let k = 0; k < 3; k++) {
      const d = Math.abs(a[i + k]! - b[i + k]!);
      sum += d;
      if (d) same = false;
      if (d > max) max = d;
    }
    if (same) identical++;
  }
  return { identicalFraction: identical / (a.length / 3), meanAbs: sum / a.length, maxAbs: max };
}
