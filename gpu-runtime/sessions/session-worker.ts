/**
 * An inference worker: opens the pack's ORT sessions once, then runs network calls one at a time, so
 * ORT's work and the tensor copies around it never block the HTTP event loop.
 */
import { workerData } from "node:worker_threads";
import type { Feeds, Outputs } from "../pipeline/networks.ts";
import { readPackManifest } from "../../shared/pack/pack-manifest.ts";
import { serveTasks } from "../../shared/workers/serve-tasks.ts";
import type { SessionRequest, SessionResponse, SessionWorkerData } from "./session-protocol.ts";
import { SessionNetworks } from "./session-networks.ts";
import { TensorRefStore } from "./tensor-refs.ts";

interface WorkerState {
  readonly networks: SessionNetworks;
  readonly refs: TensorRefStore;
}

const data = workerData as SessionWorkerData;

serveTasks<WorkerState, SessionRequest, SessionResponse>(
  async () => {
    const manifest = readPackManifest(data.packDir);
    const networks = await SessionNetworks.load(data.packDir, manifest, data, { fuseDenoiser: data.fuseDenoiser !== false });
    return { networks, refs: new TensorRefStore(data.refCacheBytes) };
  },
  async (state, req) => {
    if (req.kind === "describe") return { kind: "description", sessions: await state.networks.report() };
    const decoded = state.refs.decode(req.kind === "run" ? [req.feeds] : [req.firstFeeds, req.secondFeeds]);
    if ("missing" in decoded) return { kind: "missing", refs: decoded.missing };
    const [a, b] = decoded.feeds as [Feeds, Feeds];
    const before = state.networks.ortMs;
    const bytesBefore = state.networks.transferBytes;
    const outputs = req.kind === "run" ? await state.networks.run(req.network, a) : await state.networks.chain(req.first, a, req.second, b);
    return { kind: "outputs", outputs, ortMs: state.networks.ortMs - before, transferBytes: state.networks.transferBytes - bytesBefore };
  },
  { transfer: (res) => (res.kind === "outputs" ? transferables(res.outputs) : []) },
);

/** Output buffers to move rather than copy (each is ORT's own, not a view into something shared). */
function transferables(outputs: Outputs): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(outputs)) {
    const d = t.data;
    if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer) seen.add(d.buffer);
  }
  return [...seen];
}
