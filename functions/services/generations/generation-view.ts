import type { GenerationView } from "../../schemas/generation.ts";
import type { GenerationRecord } from "../../stores/generation-store.ts";

export const generationPath = (id: string) => `/v1/generations/${id}`;
export const imagePath = (id: string, index: number) => `/v1/generations/${id}/images/${index}`;

/** A stored record with what only its coordinator knows while it runs. */
export type GenerationState = GenerationRecord & { readonly queuePosition?: number | null };

export function generationView(r: GenerationState): GenerationView {
  const { preview: _preview, ...settings } = r.settings;
  return {
    id: r.id,
    status: r.status,
    queuePosition: r.status === "queued" ? (r.queuePosition ?? null) : null,
    identityId: r.identityId,
    poseIdentityId: r.poseIdentityId,
    progress: { step: r.progressStep, total: r.progressTotal },
    settings,
    images: r.images.map((i) => ({
      index: i.index,
      url: imagePath(r.id, i.index),
      mimeType: i.mimeType,
      width: i.width,
      height: i.height,
      seed: i.seed,
    })),
    error: r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? "" } : null,
    createdAt: new Date(r.createdMs).toISOString(),
    finishedAt: r.finishedMs === null ? null : new Date(r.finishedMs).toISOString(),
    links: { self: generationPath(r.id), cancel: `${generationPath(r.id)}/cancel` },
  };
}
