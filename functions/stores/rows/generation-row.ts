/** The generations and generation_images tables' rows and the record they make, for every SQL store. */
import type { GenerationFilter, GenerationImageRecord, GenerationRecord, GenerationSettings, GenerationStatus } from "../generation-store.ts";
import type { PageRequest } from "../page.ts";

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

/**
 * The page query of GenerationStore.list, for every SQL store: the WHERE ... LIMIT tail over
 * `generations` and its parameters (positional). The images of exactly those rows are
 * `generation_id IN (SELECT id FROM generations <tail>)`, so both reads share one filter.
 */
export function generationPageQuery(
  userId: string,
  filter: GenerationFilter,
  page: PageRequest,
): { readonly tail: string; readonly params: readonly (string | number)[] } {
  const where = ["user_id = ?"];
  const params: (string | number)[] = [userId];
  if (filter.identityId !== undefined) {
    where.push("identity_id = ?");
    params.push(filter.identityId);
  }
  if (filter.statuses !== undefined) {
    // An empty set matches nothing.
    where.push(filter.statuses.length ? `status IN (${filter.statuses.map(() => "?").join(", ")})` : "0");
    params.push(...filter.statuses);
  }
  if (page.after) {
    where.push("(created_ms, id) < (?, ?)");
    params.push(page.after.createdMs, page.after.id);
  }
  params.push(page.limit + 1);
  return { tail: `WHERE ${where.join(" AND ")} ORDER BY created_ms DESC, id DESC LIMIT ?`, params };
}

/** Rows of a page query (limit + 1 of them) and their images (with generation_id) as records in order. */
export function generationsFromPageRows(rows: readonly GenerationRow[], images: readonly (GenerationImageRow & { generation_id: string })[]): GenerationRecord[] {
  const byGeneration = new Map<string, GenerationImageRow[]>();
  for (const i of images) {
    const list = byGeneration.get(i.generation_id);
    if (list) list.push(i);
    else byGeneration.set(i.generation_id, [i]);
  }
  return rows.map((r) => generationFromRows(r, (byGeneration.get(r.id) ?? []).sort((a, b) => a.idx - b.idx)));
}
