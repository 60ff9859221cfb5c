/** Progress lines for long model steps, on stderr so stdout stays machine-readable. */
export interface Progress {
  step(label: string): { done(extra?: string): void };
  info(line: string): void;
}

export function stderrProgress(total: number): Progress {
  let n = 0;
  return {
    step(label) {
      n++;
      const start = performance.now();
      process.stderr.write(`[${n}/${total}] ${label} ...\n`);
      return {
        done(extra) {
          process.stderr.write(`[${n}/${total}] ${label} done in ${((performance.now() - start) / 1000).toFixed(1)} s${extra ? ` (${extra})` : ""}\n`);
        },
      };
    },
    info(line) {
      process.stderr.write(`${line}\n`);
    },
  };
}

export const silentProgress: Progress = { step: () => ({ done() {} }), info() {} };
