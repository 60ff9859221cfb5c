/** Test helper: the tiny pack's sessions in this thread, its tokenizer and manifest. */
import { join } from "node:path";
import { readPackManifest, type PackManifest } from "../../../shared/pack/pack-manifest.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";
import { loadPackSessions } from "../../../gpu-runtime/sessions/load-pack-sessions.ts";
import { SessionNetworks } from "../../../gpu-runtime/sessions/session-networks.ts";
import { ClipTokenizer } from "../../../shared/tokenizer/index.ts";

export interface TinyPack {
  readonly manifest: PackManifest;
  readonly networks: SessionNetworks;
  readonly tokenizer: ClipTokenizer;
}

export async function openTinyPack(): Promise<TinyPack> {
  const dir = await ensureTinyPack();
  const manifest = readPackManifest(dir);
  const networks = new SessionNetworks(await loadPackSessions(dir, manifest, { providers: ["cpu"], threads: 1 }));
  return { manifest, networks, tokenizer: ClipTokenizer.fromHfDirectory(join(dir, "tokenizer")) };
}
