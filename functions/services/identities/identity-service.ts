/**
 * Photos to a cached identity. The photos' content hash (per user) decides reuse before any
 * decoding: the same photos again return the stored identity with no analysis, and concurrent
 * uploads of the same photos share one analysis. Photos are never stored, only their hash.
 */
import { EMBEDDING_DIM, FACE_PACKS, type FacePack } from "../../../shared/contract/limits.ts";
import type { DetectedFace } from "../../../shared/face/face-analyser.ts";
import { sha256Hex } from "../../crypto/sha256.ts";
import type { IdGenerator } from "../../crypto/random-id.ts";
import { ApiError, notFound } from "../../errors/api-error.ts";
import { intakeProblem } from "../../photos/intake-errors.ts";
import type { PhotoAnalyser, PhotoAnalysis } from "../../ports/photo-analysis.ts";
import { TERMINAL_STATUSES, type GenerationStore } from "../../stores/generation-store.ts";
import type { IdentityRecord, IdentityStore, IdentitySummary } from "../../stores/identity-store.ts";
import type { Page, PageRequest } from "../../stores/page.ts";
import type { ResultImageStore } from "../../stores/result-image-store.ts";
import { averageEmbeddings, MixedEmbeddingPacksError } from "./average-embeddings.ts";
import { findMismatchedPhoto } from "./face-match.ts";
import type { PrecomputedFace } from "./precomputed-face.ts";

export interface IdentityServiceDeps {
  readonly store: IdentityStore;
  /** For DELETE ?cascade=true: the identity's generations and their images go too. */
  readonly generations: GenerationStore;
  readonly images: ResultImageStore;
  readonly photoAnalyser: PhotoAnalyser;
  /** The face pack of this edge's identities; precomputed faces must come from it (omitted: none are taken). */
  readonly embeddingModel?: FacePack;
  readonly clock: () => number;
  readonly newId: IdGenerator;
}

export interface RegisterResult {
  readonly identity: IdentityRecord;
  /** False when the same photos had already made this identity. */
  readonly created: boolean;
}

export class IdentityService {
  readonly #deps: IdentityServiceDeps;
  readonly #inFlight = new Map<string, Promise<RegisterResult>>();

  constructor(deps: IdentityServiceDeps) {
    this.#deps = deps;
  }

  async register(userId: string, photos: readonly Uint8Array[]): Promise<RegisterResult> {
    const photoHashes = await Promise.all(photos.map((p) => sha256Hex(p)));
    // Sorted: the average does not depend on order, so neither does the identity.
    const contentHash = await sha256Hex([...photoHashes].sort().join("\n"));
    const existing = await this.#deps.store.findByContentHash(userId, contentHash);
    if (existing) return { identity: existing, created: false };

    const flightKey = `${userId}\n${contentHash}`;
    const pending = this.#inFlight.get(flightKey);
    if (pending) return { identity: (await pending).identity, created: false };
    const run = this.#analyseAndStore(userId, contentHash, photos).finally(() => this.#inFlight.delete(flightKey));
    this.#inFlight.set(flightKey, run);
    return run;
  }

  /**
   * A face analysed on the device (see precomputed-face.ts). Only the pack this edge serves is
   * comparable with its identities; the same embedding again (per user) is the same identity.
   */
  async registerFace(userId: string, face: PrecomputedFace): Promise<RegisterResult> {
    const served = this.#deps.embeddingModel;
    if (face.embeddingModel !== served) {
      throw new ApiError(422, "embedding_model_mismatch", "Embedding model mismatch", {
        detail: served
          ? `this edge's identities are ${JSON.stringify(served)} embeddings; ${JSON.stringify(face.embeddingModel)} embeddings are not comparable with them`
          : "this edge does not take precomputed faces; send the photo",
      });
    }
    // Its own namespace, so an embedding can never collide with a set of photo hashes.
    const contentHash = await sha256Hex(`embedding:${served}:${await sha256Hex(face.embeddingBytes)}`);
    const existing = await this.#deps.store.findByContentHash(userId, contentHash);
    if (existing) return { identity: existing, created: false };
    const { record: stored, inserted } = await this.#deps.store.insertOrGet({
      id: this.#deps.newId("idn"),
      userId,
      contentHash,
      pack: served,
      embedding: face.embedding,
      kps: face.kps.map(([x, y]) => [x, y] as const),
      bbox: face.bbox,
      score: face.score,
      faceCount: 1,
      photoCount: 1,
      imageWidth: face.imageWidth,
      imageHeight: face.imageHeight,
      createdMs: this.#deps.clock(),
    });
    return { identity: stored, created: inserted };
  }

  /** The user's identities, newest first, one page (no embeddings: the store does not read them). */
  list(userId: string, page: PageRequest): Promise<Page<IdentitySummary>> {
    return this.#deps.store.list(userId, page);
  }

  async get(userId: string, id: string): Promise<IdentityRecord> {
    const identity = await this.#deps.store.get(userId, id);
    if (!identity) throw notFound("identity_not_found", "Identity");
    return identity;
  }

  /**
   * Removes the identity (its embedding). With `cascade`, first its generations (as face or pose)
   * and their image bytes: images of a person are personal data too. A generation still running
   * is not pulled from under its stream: 409 until it ends or is cancelled.
   */
  async delete(userId: string, id: string, opts: { cascade?: boolean } = {}): Promise<{ generations: number }> {
    const { store, generations, images } = this.#deps;
    let removed = 0;
    if (opts.cascade) {
      if (!(await store.get(userId, id))) throw notFound("identity_not_found", "Identity");
      const records = [];
      for (const gid of await generations.listIdsByIdentity(userId, id)) {
        const g = await generations.get(userId, gid);
        if (g) records.push(g);
      }
      const running = records.filter((g) => !TERMINAL_STATUSES.has(g.status));
      if (running.length > 0) {
        throw new ApiError(409, "identity_in_use", "Identity has running generations", {
          detail: `cancel or wait for ${running.map((g) => g.id).join(", ")} first`,
          extensions: { generations: running.map((g) => g.id) },
        });
      }
      for (const g of records) {
        for (const img of g.images) await images.delete(img.fileKey);
        if (await generations.delete(userId, g.id)) removed++;
      }
    }
    if (!(await store.delete(userId, id))) throw notFound("identity_not_found", "Identity");
    return { generations: removed };
  }

  async #analyseAndStore(userId: string, contentHash: string, photos: readonly Uint8Array[]): Promise<RegisterResult> {
    const { photoAnalyser } = this.#deps;
    const analysed: { face: DetectedFace; faces: number; width: number; height: number }[] = [];
    for (let i = 0; i < photos.length; i++) {
      let analysis: PhotoAnalysis;
      try {
        analysis = await photoAnalyser.analyse(photos[i]);
      } catch (e) {
        // Intake refusals become 4xx problems; anything else (a broken pack, a runtime down) stays a 5xx.
        throw intakeProblem(e, i, photos.length) ?? e;
      }
      const { faces, width, height } = analysis;
      if (faces.length === 0) {
        throw new ApiError(422, "no_face_detected", "No face detected", {
          detail: photos.length > 1 ? `photo ${i + 1} of ${photos.length} has no face` : "the photo has no face",
          extensions: { photoIndex: i },
        });
      }
      // The analyser sorts largest first; InstantID uses the largest face.
      analysed.push({ face: faces[0], faces: faces.length, width, height });
    }
    for (const a of analysed) checkFace(a.face);

    let averaged: { embedding: Float32Array; pack: FacePack };
    try {
      averaged = averageEmbeddings(analysed.map((a) => ({ embedding: a.face.embedding, pack: a.face.pack })));
    } catch (e) {
      if (e instanceof MixedEmbeddingPacksError) throw new ApiError(422, e.code, "Mixed face packs", { detail: e.message });
      throw e;
    }
    const mismatch = findMismatchedPhoto(analysed.map((a) => a.face.embedding), averaged.pack);
    if (mismatch) {
      throw new ApiError(422, "identity_mismatch", "Photos show different people", {
        detail: `photo ${mismatch.photoIndex + 1} of ${photos.length} does not match the others (similarity ${mismatch.similarity.toFixed(3)}, ${averaged.pack} pack threshold ${mismatch.threshold}); send photos of one person`,
        extensions: { photoIndex: mismatch.photoIndex, similarity: mismatch.similarity, threshold: mismatch.threshold },
      });
    }
    const primary = analysed[0];
    const record: IdentityRecord = {
      id: this.#deps.newId("idn"),
      userId,
      contentHash,
      pack: averaged.pack,
      embedding: averaged.embedding,
      kps: primary.face.kps.map(([x, y]) => [x, y] as const),
      bbox: primary.face.bbox,
      score: primary.face.score,
      faceCount: primary.faces,
      photoCount: photos.length,
      imageWidth: primary.width,
      imageHeight: primary.height,
      createdMs: this.#deps.clock(),
    };
    const { record: stored, inserted } = await this.#deps.store.insertOrGet(record);
    return { identity: stored, created: inserted };
  }
}

/** An analyser bug must not become a stored identity the runtime later chokes on. */
function checkFace(face: DetectedFace): void {
  const ok =
    face.embedding.length === EMBEDDING_DIM &&
    face.embedding.every(Number.isFinite) &&
    face.kps.length === 5 &&
    (FACE_PACKS as readonly string[]).includes(face.pack);
  if (!ok) throw new Error(`face analyser returned a malformed face (pack ${face.pack}, ${face.embedding.length} values)`);
}
