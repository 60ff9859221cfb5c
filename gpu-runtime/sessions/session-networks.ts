/**
 * Networks over ORT sessions held in this thread: what each inference worker runs, and what the golden
 * test uses directly. Also adds up the time spent inside ORT.
 */
import type { NetworkName } from "../../shared/pack/pack-manifest.ts";
import type { ModelSession } from "../../shared/onnx/ort-session.ts";
import type { Feeds, Networks, Outputs } from "../pipeline/networks.ts";

export class SessionNetworks implements Networks {
  /** Milliseconds spent inside session.run since creation. */
  ortMs = 0;

  constructor(private readonly sessions: ReadonlyMap<NetworkName, ModelSession>) {}

  session(network: NetworkName): ModelSession {
    const s = this.sessions.get(network);
    if (!s) throw new Error(`no session for network "${network}" (loaded: ${[...this.sessions.keys()].join(", ")})`);
    return s;
  }

  async run(network: NetworkName, feeds: Feeds): Promise<Outputs> {
    const s = this.session(network);
    // Extra feeds (e.g. IdentityNet outputs the UNet does not take) are dropped; missing ones fail in ORT by name.
    const used: Feeds = {};
    for (const name of s.inputNames) if (feeds[name]) used[name] = feeds[name]!;
    const t0 = performance.now();
    try {
      return await s.run(used);
    } finally {
      this.ortMs += performance.now() - t0;
    }
  }

  async chain(first: NetworkName, firstFeeds: Feeds, second: NetworkName, secondFeeds: Feeds): Promise<Outputs> {
    const mid = await this.run(first, firstFeeds);
    return this.run(second, { ...secondFeeds, ...mid });
  }

  async release(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.release()));
  }
}
