/**
 * Face analysis on this device: the pack list from the edge, onnxruntime-web's webgpu build
 * (WebGPU, falling back to wasm where the device has none) and shared/face's pipeline, the same
 * code the Node edge runs.
 */
import * as ort from "onnxruntime-web/webgpu";
import type { DetectedFace, FacePackName } from "../../shared/face/face-analyser.ts";
import type { FacePipeline } from "../../shared/face/face-pipeline.ts";
import { timedBackend, type SessionRunTiming } from "../../shared/face/face-session.ts";
import { createPackPipeline } from "../../shared/face/pack-pipeline.ts";
import { decodeBrowserImage } from "../../shared/face/web/decode-browser-image.ts";
import { webFaceBackend, type PackFileSource, type WebExecutionProvider } from "../../shared/face/web/ort-web-backend.ts";

interface PackList {
  readonly pack: FacePackName;
  readonly ortBase: string;
  readonly files: Record<string, PackFileSource & { bytes: number }>;
}

export interface DeviceAnalysis {
  readonly faces: DetectedFace[];
  readonly width: number;
  readonly height: number;
  /** The decoded, upright photo, to draw. */
  readonly bitmap: ImageBitmap;
  /** One entry per network run for this photo. */
  readonly timings: SessionRunTiming[];
  readonly decodeMs: number;
}

export interface DeviceAnalyser {
  readonly pack: FacePackName;
  /** "webgpu" or "wasm"; "mixed" if networks landed on different providers. */
  readonly provider: string;
  /** Model fetch + sha256 + session creation. */
  readonly loadMs: number;
  readonly fallbacks: readonly string[];
  analyse(photo: Blob): Promise<DeviceAnalysis>;
}

export async function loadDeviceAnalyser(providers: readonly WebExecutionProvider[] = ["webgpu", "wasm"]): Promise<DeviceAnalyser> {
  const t0 = performance.now();
  const res = await fetch("/face-pack.json");
  if (!res.ok) throw new Error(`/face-pack.json answered ${res.status}`);
  const list = (await res.json()) as PackList;
  ort.env.wasm.wasmPaths = list.ortBase;
  // Threads need cross-origin isolation (the edge sends COOP/COEP); without it, one thread.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  let current: SessionRunTiming[] = [];
  const providersSeen = new Set<string>();
  const fallbacks: string[] = [];
  const base = webFaceBackend({ ort, files: list.files, executionProviders: providers });
  const backend = timedBackend(
    {
      async openSession(file, hint) {
        const session = await base.openSession(file, hint);
        providersSeen.add(session.provider);
        for (const f of session.fallbacks) fallbacks.push(`${file}: ${f.provider} skipped (${f.reason})`);
        return session;
      },
    },
    (t) => current.push(t),
  );
  const pipeline: FacePipeline = await createPackPipeline(list.pack, backend);
  const loadMs = performance.now() - t0;
  return {
    pack: list.pack,
    provider: providersSeen.size === 1 ? [...providersSeen][0]! : "mixed",
    loadMs,
    fallbacks,
    async analyse(photo) {
      const t1 = performance.now();
      const { image, bitmap } = await decodeBrowserImage(photo);
      const decodeMs = performance.now() - t1;
      current = [];
      const faces = await pipeline.analyse(image);
      return { faces, width: image.width, height: image.height, bitmap: bitmap as ImageBitmap, timings: current, decodeMs };
    },
  };
}
