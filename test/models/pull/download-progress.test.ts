import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatBytes, stderrDownloadProgress } from "../../../models/pull/download-progress.ts";

/** A stand-in for process.stderr that keeps what is written. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe("download progress on stderr", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["performance"] }));
  afterEach(() => vi.useRealTimers());

  it("on a terminal, redraws one line in place with bytes, total, rate and time left", () => {
    const { stream, writes } = fakeStream(true);
    const file = stderrDownloadProgress(stream).file("unet.safetensors");
    file.begin(4_000_000, 0);
    vi.advanceTimersByTime(1000);
    file.advance(1_000_000);
    expect(writes.at(-1)).toMatch(/^\r\x1b\[2Kunet\.safetensors {2}\[#{6}-{18}\] 1\.00 MB \/ 4\.00 MB {2}1\.00 MB\/s {2}3s left$/);
    file.done("4.00 MB verified");
    expect(writes.at(-1)).toBe("\r\x1b[2Kunet.safetensors  4.00 MB verified\n");
  });

  it("counts bytes reused from an interrupted run as had, not as downloaded now", () => {
    const { stream, writes } = fakeStream(true);
    const file = stderrDownloadProgress(stream).file("f");
    file.begin(2_000_000, 1_500_000);
    expect(writes[0]).toBe("\r\x1b[2Kf: resuming at 1.50 MB\n");
    vi.advanceTimersByTime(2000);
    file.advance(100_000);
    expect(writes.at(-1)).toContain("1.60 MB / 2.00 MB  50.0 kB/s  8s left");
  });

  it("in a log, writes whole lines every few seconds instead of redrawing", () => {
    const { stream, writes } = fakeStream(false);
    const file = stderrDownloadProgress(stream).file("f");
    file.begin(10_000, 0);
    file.advance(1000);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(5000);
    file.advance(1000);
    expect(writes).toEqual(["f  [#####-------------------] 2.00 kB / 10.0 kB  400 B/s  20s left\n"]);
    file.retrying(2000, "terminated");
    expect(writes.at(-1)).toBe("f: connection lost at 2.00 kB (terminated); resuming from there\n");
  });

  it("formats sizes in decimal units", () => {
    expect([0, 999, 1000, 5_135_149_760].map(formatBytes)).toEqual(["0 B", "999 B", "1.00 kB", "5.14 GB"]);
  });
});
