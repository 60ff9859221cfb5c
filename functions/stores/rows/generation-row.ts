/** The generations and generation_images tables' rows and the record they make, for every SQL store. */
import type { GenerationImageRecord, GenerationRecord, GenerationSettings, GenerationStatus } from "../generation-store.ts";

export interface GenerationRow {
  id: string;
  user_id: string;
  identity_id: string;
  pose_identity_id: string | null;
  status: string;
  settings: string;
  progress_step: number;
  progress_total: number;
  error_code: string | null;
  error_message: string | null;
  created_ms: number;
  finished_ms: number | null;
}

export interface GenerationImageRow {
  idx: number;
  mime_type: string;
  width: number;
  height: number;
  seed: number;
  file_key: string;
}

export function generationFromRows(r: GenerationRow, images: readonly GenerationImageRow[]): GenerationRecord {
  return {
    id: r.id,
    userId: r.user_id,
    identityId: r.identity_id,
    poseIdentityId: r.pose_identity_id,
    status: r.status as GenerationStatus,
    settings: JSON.parse(r.settings) as GenerationSettings,
    progressStep: r.progress_step,
    progressTotal: r.progress_total,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    images: images.map(
      (i): GenerationImageRecord => ({
        index: i.idx,
        mimeType: i.mime_type,
        width: i.width,
        height: i.height,
        seed: i.seed,
        fileKey: i.file_key,
      }),
    ),
    createdMs: r.created_ms,
    finishedMs: r.finished_ms,
  };
}
