import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hubLocationFromEnv, snapshotPath } from "../../../models/pull/hub-location.ts";

describe("hub location from the environment", () => {
  it("reads HF_HUB_CACHE before HF_HOME before ~/.cache, and HF_ENDPOINT and HF_TOKEN", () => {
    expect(hubLocationFromEnv({})).toEqual({ hubUrl: "https://huggingface.co", cacheDir: join(homedir(), ".cache", "huggingface", "hub"), accessToken: undefined });
    expect(hubLocationFromEnv({ HF_HOME: "/data/hf" }).cacheDir).toBe("/data/hf/hub");
    expect(hubLocationFromEnv({ HF_HOME: "/data/hf", HF_HUB_CACHE: "/fast/hub" }).cacheDir).toBe("/fast/hub");
    expect(hubLocationFromEnv({ HF_ENDPOINT: "http://127.0.0.1:9000/", HF_TOKEN: "hf_abc" })).toMatchObject({ hubUrl: "http://127.0.0.1:9000", accessToken: "hf_abc" });
    expect(hubLocationFromEnv({ HF_TOKEN: "" }).accessToken).toBeUndefined();
  });

  it("lays files out as the hub cache does: models--owner--name/snapshots/<commit>/<path>", () => {
    expect(snapshotPath("/c", "InstantX/InstantID", "57b32dfee076092ad2930c71fd6d439c2c3b1820", "ControlNetModel/config.json")).toBe(
      "/c/models--InstantX--InstantID/snapshots/57b32dfee076092ad2930c71fd6d439c2c3b1820/ControlNetModel/config.json",
    );
  });
});
