/**
 * Download progress on stderr (stdout stays machine-readable): on a terminal one bar redrawn in
 * place with bytes, rate and time left; in a log a line every few seconds.
 */
export interface FileProgress {
  /** Size known (or learnt from the response) and bytes reused from an earlier, interrupted run. */
  begin(total: number | undefined, resumedFrom: number): void;
  advance(bytes: number): void;
  /** The connection was lost at `offset`; the download goes on from there. */
  retrying(offset: number, reason: string): void;
  done(note: string): void;
}

export interface DownloadProgress {
  file(label: string): FileProgress;
  info(line: string): void;
}

export const silentDownloadProgress: DownloadProgress = {
  file: () => ({ begin() {}, advance() {}, retrying() {}, done() {} }),
  info() {},
};

export function stderrDownloadProgress(stream: NodeJS.WriteStream = process.stderr): DownloadProgress {
  const tty = stream.isTTY === true;
  return {
    info: (line) => void stream.write(`${line}\n`),
    file(label) {
      let total: number | undefined;
      let resumed = 0;
      let received = 0;
      let started = performance.now();
      let lastDraw = 0;
      const line = () => {
        const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
        const rate = received / seconds;
        const have = resumed + received;
        const left = total !== undefined && rate > 0 ? (total - have) / rate : undefined;
        const bar = total ? renderBar(have / total, 24) : "";
        return `${label}  ${bar} ${formatBytes(have)}${total ? ` / ${formatBytes(total)}` : ""}  ${formatBytes(rate)}/s${left !== undefined ? `  ${formatDuration(left)} left` : ""}`;
      };
      const draw = (force: boolean) => {
        const now = performance.now();
        if (!force && now - lastDraw < (tty ? 100 : 5000)) return;
        lastDraw = now;
        stream.write(tty ? `\r\x1b[2K${line()}` : `${line()}\n`);
      };
      return {
        begin(t, from) {
          total = t;
          resumed = from;
          started = performance.now();
          if (from > 0) stream.write(`${tty ? "\r\x1b[2K" : ""}${label}: resuming at ${formatBytes(from)}\n`);
          // A log gets a line every few seconds; a terminal sees the bar at once.
          if (tty) draw(true);
          else lastDraw = performance.now();
        },
        advance(n) {
          received += n;
          draw(false);
        },
        retrying(offset, reason) {
          stream.write(`${tty ? "\r\x1b[2K" : ""}${label}: connection lost at ${formatBytes(offset)} (${reason}); resuming from there\n`);
        },
        done(note) {
          stream.write(`${tty ? "\r\x1b[2K" : ""}${label}  ${note}\n`);
        },
      };
    },
  };
}

export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`;
}

function renderBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}
