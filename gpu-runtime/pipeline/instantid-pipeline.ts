/**
 * InstantID over compiled networks, for a batch of requests at once: each request's conditioning
 * (prompt embeddings, face tokens, control image, seeded noise), one shared denoising loop, then each
 * image decoded and encoded. Orchestration only: the maths lives in the networks and schedulers.
 */
import { applyStyle, decodeEmbedding, type RuntimeGenerateRequest } from "../../shared/contract/index.ts";
import type { PackManifest } from "../../shared/pack/pack-manifest.ts";
import { seededNoise } from "../../shared/noise/seeded-noise.ts";
import { createScheduler } from "../schedulers/scheduler.ts";
import type { ClipTokenizer } from "../../shared/tokenizer/index.ts";
import { controlImageFromKps } from "./control-image.ts";
import { conditioning, initialLatents } from "./conditioning.ts";
import type { BatchShape, DenoiseLane } from "./denoise-lane.ts";
import { denoise, sameSchedule, type StepReport } from "./denoise-loop.ts";
import { unitToBytes } from "./decoded-image.ts";
import { FaceTokens } from "./face-tokens.ts";
import type { GenerationOutcome, GenerationTask } from "./generation-task.ts";
import { encodeRgb } from "./image-encoding.ts";
import { encodePreview, latentRgbMapFor, type LatentRgbMap } from "./latent-preview.ts";
import type { Networks } from "./networks.ts";
import { PipelineError } from "./pipeline-error.ts";
import { PromptEncoder } from "./prompt-encoder.ts";
import { sdxlTimeIds } from "./time-ids.ts";
import { decodeLatents } from "./vae-decode.ts";

export interface PipelineOptions {
  readonly promptCacheSize?: number;
  readonly faceCacheSize?: number;
  /** Wall time of each batch step (all lanes), for metrics. */
  readonly onBatchStep?: (seconds: number, lanes: number) => void;
}

export type PipelinePack = Pick<PackManifest, "model" | "scheduler">;

const SEED_MODULUS = 2 ** 32;

/** One request's lanes and what it has reported. */
interface TaskRun {
  readonly task: GenerationTask;
  readonly lanes: DenoiseLane[];
  readonly seeds: number[];
  failed?: Error;
  /** Events are emitted in order through this chain (preview encoding is asynchronous). */
  emitting: Promise<void>;
}

export class InstantIdPipeline {
  readonly prompts: PromptEncoder;
  readonly faces: FaceTokens;
  private readonly previewMap: LatentRgbMap;
  private readonly model: PackManifest["model"];

  constructor(
    private readonly networks: Networks,
    tokenizer: ClipTokenizer,
    private readonly pack: PipelinePack,
    private readonly options: PipelineOptions = {},
  ) {
    this.model = pack.model;
    this.prompts = new PromptEncoder(networks, tokenizer, pack.model, options.promptCacheSize);
    this.faces = new FaceTokens(networks, pack.model.embeddingDim, pack.model.numIpTokens * pack.model.crossAttentionDim, options.faceCacheSize);
    this.previewMap = latentRgbMapFor(pack.model.latentChannels, pack.model.previewFactors);
  }

  /** Requests with equal keys can share every network call of the loop. */
  batchKey(r: RuntimeGenerateRequest): string {
    // The graphs take one timestep, one IdentityNet scale and one adapter scale per call.
    return [r.width, r.height, r.steps, r.scheduler, r.identityStrength, r.adapterStrength].join("/");
  }

  shapeOf(r: RuntimeGenerateRequest): BatchShape {
    const f = this.model.vaeScaleFactor;
    return {
      latentChannels: this.model.latentChannels,
      latentHeight: r.height / f,
      latentWidth: r.width / f,
      height: r.height,
      width: r.width,
      crossAttentionDim: this.model.crossAttentionDim,
    };
  }

  /** Runs a batch of requests of one batch key; one outcome per task, never throws for one task's fault. */
  async generate(tasks: readonly GenerationTask[]): Promise<GenerationOutcome[]> {
    if (tasks.length === 0) return [];
    const key = this.batchKey(tasks[0]!.request);
    if (tasks.some((t) => this.batchKey(t.request) !== key)) return this.generateByKey(tasks);
    const shape = this.shapeOf(tasks[0]!.request);
    const runs = await Promise.all(tasks.map((t) => this.prepare(t, shape)));
    const live = runs.filter((r) => !r.failed && !r.task.cancelled());
    const laneOwner = new Map<DenoiseLane, TaskRun>();
    for (const run of live) for (const lane of run.lanes) laneOwner.set(lane, run);
    try {
      for (const group of groupBySchedule(live.flatMap((r) => r.lanes))) {
        await this.denoiseGroup(group, shape, laneOwner);
      }
    } catch (err) {
      const error = asInferenceError(err);
      for (const run of live) run.failed ??= error;
    }
    for (const run of live) if (!run.failed && !run.task.cancelled()) await this.finish(run, shape);
    await Promise.all(runs.map((r) => r.emitting));
    return runs.map((r): GenerationOutcome => {
      if (r.failed) return { status: "failed", error: r.failed };
      if (r.task.cancelled()) return { status: "cancelled" };
      return { status: "done", images: r.lanes.length };
    });
  }

  /** Tasks of several batch keys: one batch per key, in turn. */
  private async generateByKey(tasks: readonly GenerationTask[]): Promise<GenerationOutcome[]> {
    const outcomes = new Array<GenerationOutcome>(tasks.length);
    const keys = [...new Set(tasks.map((t) => this.batchKey(t.request)))];
    for (const key of keys) {
      const idx = tasks.flatMap((t, i) => (this.batchKey(t.request) === key ? [i] : []));
      const got = await this.generate(idx.map((i) => tasks[i]!));
      idx.forEach((i, k) => (outcomes[i] = got[k]!));
    }
    return outcomes;
  }

  private async denoiseGroup(lanes: DenoiseLane[], shape: BatchShape, owner: Map<DenoiseLane, TaskRun>): Promise<void> {
    const onLaneStep = (rep: StepReport) => {
      const run = owner.get(rep.lane)!;
      // A request's lanes step together: report it once per step, from its first lane.
      if (rep.lane !== run.lanes[0]) return;
      const step = rep.index + 1;
      const preview = run.task.request.preview;
      const wantPreview = preview !== undefined && step % preview.everySteps === 0 && step < rep.total;
      const denoised = rep.result.denoised;
      run.emitting = run.emitting.then(async () => {
        if (run.task.cancelled()) return;
        run.task.events.progress(step, rep.total);
        if (!wantPreview) return;
        const frame = await encodePreview(denoised, shape.latentChannels, shape.latentWidth, shape.latentHeight, shape.width, shape.height, preview.maxSide, this.previewMap);
        if (!run.task.cancelled()) run.task.events.preview({ step, ...frame });
      });
    };
    await denoise(lanes, shape, this.networks, { onLaneStep, ...(this.options.onBatchStep ? { onBatchStep: this.options.onBatchStep } : {}) });
  }

  private async prepare(task: GenerationTask, shape: BatchShape): Promise<TaskRun> {
    const r = task.request;
    const run: TaskRun = { task, lanes: [], seeds: [], emitting: Promise.resolve() };
    try {
      const embedding = decodeEmbedding(r.embedding);
      if (!embedding) throw new PipelineError("invalid_request", "embedding is not 512 finite float32 values", "embedding");
      const styled = applyStyle(r.style, r.prompt, r.negativePrompt);
      const [positive, negative, face, uncondFace] = await Promise.all([
        this.prompts.encode(styled.prompt),
        this.prompts.encodeNegative(styled.negativePrompt),
        this.faces.of(embedding),
        this.faces.unconditional(),
      ]);
      const cond = conditioning(positive, face);
      const uncond = conditioning(negative, uncondFace);
      const controlImage = controlImageFromKps(r.kps, r.width, r.height);
      const timeIds = sdxlTimeIds(r.width, r.height);
      const latentSize = shape.latentChannels * shape.latentHeight * shape.latentWidth;
      for (let i = 0; i < r.numImages; i++) {
        const seed = (r.seed + i) % SEED_MODULUS;
        const scheduler = createScheduler(r.scheduler, this.pack.scheduler);
        scheduler.setTimesteps(r.steps);
        const noise = seededNoise(seed);
        const latents = initialLatents(noise, scheduler, latentSize);
        run.seeds.push(seed);
        run.lanes.push({
          latents,
          scheduler,
          noise,
          guidanceScale: r.guidanceScale,
          cond,
          uncond,
          controlImage,
          timeIds,
          controlScale: r.identityStrength,
          ipScale: r.adapterStrength,
          isCancelled: () => task.cancelled(),
        });
      }
    } catch (err) {
      run.failed = err instanceof PipelineError ? err : asInferenceError(err);
    }
    return run;
  }

  private async finish(run: TaskRun, shape: BatchShape): Promise<void> {
    const r = run.task.request;
    try {
      for (let i = 0; i < run.lanes.length; i++) {
        if (run.task.cancelled()) return;
        const unit = await decodeLatents(this.networks, run.lanes[i]!.latents, shape);
        const encoded = await encodeRgb(unitToBytes(unit), shape.width, shape.height, r.outputFormat);
        const image = { index: i, seed: run.seeds[i]!, mimeType: encoded.mimeType, width: shape.width, height: shape.height, bytes: encoded.bytes };
        run.emitting = run.emitting.then(() => {
          if (!run.task.cancelled()) run.task.events.image(image);
        });
      }
    } catch (err) {
      run.failed = asInferenceError(err);
    }
  }
}

/** Lanes that can share each network call (the queue's batch key makes this one group). */
function groupBySchedule(lanes: DenoiseLane[]): DenoiseLane[][] {
  const groups: DenoiseLane[][] = [];
  for (const lane of lanes) {
    const g = groups.find((gr) => sameSchedule(gr[0]!, lane));
    if (g) g.push(lane);
    else groups.push([lane]);
  }
  return groups;
}

function asInferenceError(err: unknown): Error {
  if (err instanceof PipelineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const e = new PipelineError("inference_failed", message);
  if (err instanceof Error && err.stack) e.stack = err.stack;
  return e;
}
