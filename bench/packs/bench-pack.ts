/** The pipeline benches' `--pack`: tiny, mid, mid-fused (the mid pack with fused attention) or a pack folder. */
import { ensureTinyPack } from "../../models/tiny/ensure-tiny-pack.ts";
import { ensureMidPack, MID_FUSED_PACK_DIR } from "./mid-pack.ts";

export async function benchPackDir(pack: string): Promise<string> {
  if (pack === "tiny") return ensureTinyPack();
  if (pack === "mid") return ensureMidPack();
  if (pack === "mid-fused") return ensureMidPack(MID_FUSED_PACK_DIR, { fusedAttention: true });
  return pack;
}
