/** Generations: settings, progress, outcome, and the result images' file keys. */
import type { ResolvedGenerationSettings } from "../../shared/contract/settings.ts";
import type { Page, PageRequest } from "./page.ts";

export const GENERATION_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<GenerationStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** The resolved settings stored with a generation: the contract's shape (shared/contract/settings.ts). */
export type GenerationSettings = ResolvedGenerationSettings;

export interface GenerationImageRecord {
  readonly index: number;
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  /** Key in the ResultImageStore. */
  readonly fileKey: string;
}

export interface GenerationRecord {
  readonly id: string;
  readonly userId: string;
  readonly identityId: string;
  readonly poseIdentityId: string | null;
  readonly status: GenerationStatus;
  readonly settings: GenerationSettings;
  readonly progressStep: number;
  readonly progressTotal: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly images: readonly GenerationImageRecord[];
  readonly createdMs: number;
  readonly finishedMs: number | null;
}

/** How a generation ended, written in one step with the images it produced. */
export interface GenerationOutcome {
  readonly status: "succeeded" | "failed" | "cancelled";
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly progressStep?: number;
  readonly images?: readonly GenerationImageRecord[];
}

/** Which of the user's generations a list shows. */
export interface GenerationFilter {
  /** Made from this identity (as the face: the record's identityId). */
  readonly identityId?: string;
  /** With one of these stored statuses. */
  readonly statuses?: readonly GenerationStatus[];
}

/**
 * A generation is written twice: when created, and when it ends (status, progress, images in one
 * transaction). Progress in between lives with the process running it (see GenerationService).
 */
export interface GenerationStore {
  insert(record: GenerationRecord): Promise<void>;
  get(userId: string, id: string): Promise<GenerationRecord | undefined>;
  /**
   * Records the outcome of a not-yet-finished generation; false when it had already finished
   * (the first outcome wins: a cancel racing a failure keeps whichever came first).
   */
  finish(id: string, outcome: GenerationOutcome, nowMs: number): Promise<boolean>;
  /**
   * Removes the user's generation and its image rows (DELETE /v1/generations/{id}: an image of a
   * person is personal data); false when there was none.
   */
  delete(userId: string, id: string): Promise<boolean>;
  /**
   * Ids of the user's generations made from an identity (as the face or as the pose), for
   * DELETE /v1/identities/{id}?cascade=true. Oldest first (created time, then id).
   */
  listIdsByIdentity(userId: string, identityId: string): Promise<string[]>;
  /**
   * The user's generations (images included) matching `filter`, newest first (created time, then
   * id), one page after `page.after`. Statuses are the stored ones: an unfinished generation is
   * stored as queued until it ends (its live state is the coordinator's).
   */
  list(userId: string, filter: GenerationFilter, page: PageRequest): Promise<Page<GenerationRecord>>;
  /** Marks generations left unfinished by a previous process as failed; returns how many. */
  failUnfinished(code: string, message: string, nowMs: number): Promise<number>;
}
