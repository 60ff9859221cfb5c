/**
 * The InstantID denoising loop over a batch of lanes (images, possibly of different requests): per step,
 * one IdentityNet + UNet call for every lane's unconditional and conditional rows, classifier-free
 * guidance per lane, then each lane's scheduler step. Cancelled lanes leave at the next step.
 */
import type { StepResult } from "../schedulers/scheduler.ts";
import type { Tensor } from "../../shared/tensor/tensor.ts";
import type { BatchShape, Conditioning, DenoiseLane } from "./denoise-lane.ts";
import { classifierFreeGuidance, usesGuidance } from "./guidance.ts";
import { LANE_SAMPLE, ROW_LANES, outputOf, type Feeds, type Networks } from "./networks.ts";

export interface StepReport {
  /** 0-based step index. */
  readonly index: number;
  readonly total: number;
  readonly lane: DenoiseLane;
  readonly result: StepResult;
}

export type StepListener = (report: StepReport) => void | Promise<void>;

export interface DenoiseHooks {
  /** After each lane's scheduler step. */
  readonly onLaneStep?: StepListener;
  /** After each whole step of the batch: its wall time and how many lanes it held. */
  readonly onBatchStep?: (seconds: number, lanes: number) => void;
}

/** Whether lanes can share one batch: same timesteps, and the scales the graphs take per call. */
export function sameSchedule(a: DenoiseLane, b: DenoiseLane): boolean {
  const ta = a.scheduler.timesteps;
  const tb = b.scheduler.timesteps;
  return ta.length === tb.length && ta.every((t, i) => t === tb[i]) && a.controlScale === b.controlScale && a.ipScale === b.ipScale;
}

/** Runs every step; returns the lanes that were not cancelled, their latents final. */
export async function denoise(lanes: readonly DenoiseLane[], shape: BatchShape, networks: Networks, hooks: DenoiseHooks = {}): Promise<DenoiseLane[]> {
  if (lanes.length === 0) return [];
  const head = lanes[0]!;
  for (const l of lanes) if (!sameSchedule(head, l)) throw new Error("denoise: lanes of one batch must share timesteps and scales");
  const timesteps = head.scheduler.timesteps;
  let active = [...lanes];
  let rows: BatchRows | undefined;
  for (let i = 0; i < timesteps.length; i++) {
    const kept = active.filter((l) => !l.isCancelled());
    if (kept.length === 0) return [];
    if (!rows || kept.length !== active.length) rows = batchRows(kept, shape);
    active = kept;
    const t = timesteps[i]!;
    const started = performance.now();
    const noisePred = await predictNoise(networks, rows, active, t, shape);
    const perLane = rows.rowLength;
    for (let k = 0; k < active.length; k++) {
      const lane = active[k]!;
      const condRow = rows.condRowOf[k]!;
      const cond = noisePred.subarray(condRow * perLane, (condRow + 1) * perLane);
      const uncondRow = rows.uncondRowOf[k];
      const guided =
        uncondRow === undefined ? Float32Array.from(cond) : classifierFreeGuidance(noisePred.subarray(uncondRow * perLane, (uncondRow + 1) * perLane), cond, lane.guidanceScale);
      const result = lane.scheduler.step(guided, t, lane.latents, lane.noise);
      lane.latents = result.prevSample;
      await hooks.onLaneStep?.({ index: i, total: timesteps.length, lane, result });
    }
    hooks.onBatchStep?.((performance.now() - started) / 1000, active.length);
  }
  return active;
}

/** The per-row tensors that stay fixed while the batch's lanes do. Rows: unconditional ones first, then conditional. */
interface BatchRows {
  readonly count: number;
  /** Lane index of each row. */
  readonly laneOfRow: number[];
  readonly condRowOf: number[];
  readonly uncondRowOf: (number | undefined)[];
  readonly rowLength: number;
  /**
   * Fixed while the batch's lanes are: the same objects every step, so the networks can bind them once
   * (tensor-refs.ts, fused-denoiser.ts).
   */
  readonly fixed: {
    faceTokens: Tensor;
    unetContext: Tensor;
    textEmbeds: Tensor;
    timeIds: Tensor;
    controlImage: Tensor;
    /** int64 [rows]: the lane of each row; the networks gather rows from one latent per lane. */
    rowLanes: Tensor;
    controlScale: Tensor;
    ipScale: Tensor;
  };
}

function batchRows(lanes: readonly DenoiseLane[], s: BatchShape): BatchRows {
  const laneOfRow: number[] = [];
  const conds: Conditioning[] = [];
  const uncondRowOf: (number | undefined)[] = lanes.map(() => undefined);
  lanes.forEach((l, k) => {
    if (!usesGuidance(l.guidanceScale)) return;
    uncondRowOf[k] = laneOfRow.length;
    laneOfRow.push(k);
    conds.push(l.uncond);
  });
  const condRowOf = lanes.map((l, k) => {
    laneOfRow.push(k);
    conds.push(l.cond);
    return laneOfRow.length - 1;
  });
  const n = laneOfRow.length;
  const first = conds[0]!;
  const crossDim = s.crossAttentionDim;
  return {
    count: n,
    laneOfRow,
    condRowOf,
    uncondRowOf,
    rowLength: s.latentChannels * s.latentHeight * s.latentWidth,
    fixed: {
      faceTokens: stack(conds.map((c) => c.faceTokens), [n, first.faceTokens.length / crossDim, crossDim]),
      unetContext: stack(conds.map((c) => c.unetContext), [n, first.unetContext.length / crossDim, crossDim]),
      textEmbeds: stack(conds.map((c) => c.textEmbeds), [n, first.textEmbeds.length]),
      timeIds: stack(laneOfRow.map((k) => lanes[k]!.timeIds), [n, lanes[0]!.timeIds.length]),
      controlImage: stack(laneOfRow.map((k) => lanes[k]!.controlImage), [n, 3, s.height, s.width]),
      rowLanes: { dtype: "int64", shape: [n], data: BigInt64Array.from(laneOfRow, (k) => BigInt(k)) },
      controlScale: { dtype: "float32", shape: [1], data: Float32Array.of(lanes[0]!.controlScale) },
      ipScale: { dtype: "float32", shape: [1], data: Float32Array.of(lanes[0]!.ipScale) },
    },
  };
}

/**
 * One network call for every row. Only the lanes' latents (one per image, not per row) and the
 * timestep are new objects each step.
 */
async function predictNoise(networks: Networks, rows: BatchRows, lanes: readonly DenoiseLane[], t: number, s: BatchShape): Promise<Float32Array> {
  const scaled = lanes.map((l) => l.scheduler.scaleModelInput(l.latents, t));
  const laneSample = stack(scaled, [lanes.length, s.latentChannels, s.latentHeight, s.latentWidth]);
  const timestep: Tensor = { dtype: "float32", shape: [1], data: Float32Array.of(t) };
  const step = { [LANE_SAMPLE]: laneSample, [ROW_LANES]: rows.fixed.rowLanes, timestep };
  const control: Feeds = {
    ...step,
    encoder_hidden_states: rows.fixed.faceTokens,
    controlnet_cond: rows.fixed.controlImage,
    conditioning_scale: rows.fixed.controlScale,
    text_embeds: rows.fixed.textEmbeds,
    time_ids: rows.fixed.timeIds,
  };
  const unet: Feeds = {
    ...step,
    encoder_hidden_states: rows.fixed.unetContext,
    text_embeds: rows.fixed.textEmbeds,
    time_ids: rows.fixed.timeIds,
    ip_scale: rows.fixed.ipScale,
  };
  const out = outputOf(await networks.chain("controlnet", control, "unet", unet), "noise_pred", "unet");
  const data = out.data as Float32Array;
  if (data.length !== rows.count * rows.rowLength) throw new Error(`unet returned ${data.length} values for ${rows.count} rows of ${rows.rowLength}`);
  return data;
}

function stack(parts: readonly Float32Array[], shape: number[]): Tensor {
  const len = parts[0]!.length;
  const data = new Float32Array(len * parts.length);
  parts.forEach((p, i) => {
    if (p.length !== len) throw new Error(`batch rows differ in size (${p.length} vs ${len})`);
    data.set(p, i * len);
  });
  return { dtype: "float32", shape, data };
}
