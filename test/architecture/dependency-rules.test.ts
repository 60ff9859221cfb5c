/**
 * The import rules of .dependency-cruiser.cjs, checked on the real tree (so a violation fails
 * `npm test`) and on a throwaway tree that breaks each rule (so a rule that matches nothing, e.g.
 * after a path rename, fails here instead of passing silently).
 */
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");
const TOP_FOLDERS = ["functions", "shared", "models", "gpu-runtime"];

async function violationsIn(baseDir: string, folders: readonly string[]): Promise<IViolation[]> {
  const options = await extractDepcruiseOptions(CONFIG);
  const result = await cruise(
    [...folders],
    { ...options, baseDir, validate: true },
    { extensions: [".ts", ".mts", ".js", ".mjs", ".cjs", ".json", ".d.ts"] },
  );
  const output = result.output as ICruiseResult;
  expect(output.summary.error + output.summary.warn).toBe(output.summary.violations.length);
  return output.summary.violations;
}

const brief = (v: IViolation) => `${v.rule.name}: ${v.from} -> ${v.to}`;

describe("dependency rules (.dependency-cruiser.cjs)", () => {
  it("hold on the real tree", async () => {
    const violations = await violationsIn(ROOT, TOP_FOLDERS);
    expect(violations.map(brief)).toEqual([]);
  });

  describe("on a tree that breaks each rule", () => {
    const dir = mkdtempSync(join(tmpdir(), "depcruise-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    // A stand-in for a native package, so the package rules have something to resolve to.
    write("node_modules/sharp/package.json", JSON.stringify({ name: "sharp", main: "index.js" }));
    write("node_modules/sharp/index.js", "module.exports = {};\n");
    write("node_modules/better-sqlite3/package.json", JSON.stringify({ name: "better-sqlite3", main: "index.js" }));
    write("node_modules/better-sqlite3/index.js", "module.exports = {};\n");

    write("functions/routes/uses-fs.ts", `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`);
    write("functions/services/uses-bare-builtin.ts", `import { join } from "path";\nexport const j = join;\n`);
    write("functions/services/uses-sharp.ts", `import sharp from "sharp";\nexport const s = sharp;\n`);
    write("functions/stores/uses-sqlite-type.ts", `import type Database from "better-sqlite3";\nexport type D = Database;\n`);
    write("functions/services/uses-cloudflare.ts", `import { DurableObject } from "cloudflare:workers";\nexport const d = DurableObject;\n`);
    write("functions/adapters/node/adapter.ts", `import sharp from "sharp";\nimport { readFileSync } from "node:fs";\nexport const a = [sharp, readFileSync];\n`);
    write("functions/app.ts", `import { a } from "./adapters/node/adapter.ts";\nimport { viaShared } from "../shared/decoder.ts";\nexport const app = [a, viaShared];\n`);
    write("shared/decoder.ts", `import sharp from "sharp";\nexport const viaShared = sharp;\n`);
    write("shared/paths.ts", `import { join } from "node:path";\nexport const p = join;\n`);
    write("functions/services/via-shared-builtin.ts", `import { p } from "../../shared/paths.ts";\nexport const v = p;\n`);
    write("shared/uses-edge.ts", `import { app } from "../functions/app.ts";\nexport const u = app;\n`);
    write("models/uses-runtime.ts", `import { r } from "../gpu-runtime/runtime.ts";\nexport const m = r;\n`);
    write("gpu-runtime/runtime.ts", `export const r = 1;\n`);
    write("functions/routes/uses-models.ts", `import { m } from "../../models/uses-runtime.ts";\nexport const x = m;\n`);
    write("functions/adapters/workers/d1/store.ts", `import { viaShared } from "../../../../shared/decoder.ts";\nexport const d = viaShared;\n`);
    write("functions/worker.ts", `import { a } from "./adapters/node/adapter.ts";\nexport default a;\n`);
    // Allowed: entries, the CLI and adapters may use platform modules.
    write("functions/node.ts", `import { readFileSync } from "node:fs";\nimport { a } from "./adapters/node/adapter.ts";\nexport const n = [readFileSync, a];\n`);
    write("functions/cli/keys.ts", `import { readFileSync } from "node:fs";\nexport const k = readFileSync;\n`);

    it("reports every violation and nothing else", async () => {
      const violations = await violationsIn(dir, TOP_FOLDERS);
      const byRule = (name: string) =>
        violations
          .filter((v) => v.rule.name === name)
          .map((v) => v.from)
          // A module reaching two forbidden modules is one offender.
          .filter((from, i, all) => all.indexOf(from) === i)
          .sort();
      expect(byRule("edge-core-no-node-builtins")).toEqual(["functions/routes/uses-fs.ts", "functions/services/uses-bare-builtin.ts"]);
      expect(byRule("edge-core-no-platform-packages")).toEqual(["functions/services/uses-sharp.ts", "functions/stores/uses-sqlite-type.ts"]);
      expect(byRule("edge-core-no-cloudflare-modules")).toEqual(["functions/services/uses-cloudflare.ts"]);
      expect(byRule("edge-core-no-adapters")).toEqual(["functions/app.ts"]);
      expect(byRule("edge-core-no-transitive-platform-code")).toEqual(expect.arrayContaining(["functions/app.ts", "functions/services/via-shared-builtin.ts"]));
      expect(byRule("workers-edge-no-node-code")).toEqual(["functions/adapters/workers/d1/store.ts", "functions/worker.ts"]);
      expect(byRule("shared-imports-no-app-code")).toEqual(["shared/uses-edge.ts"]);
      expect(byRule("models-no-gpu-runtime")).toEqual(["models/uses-runtime.ts"]);
      expect(byRule("functions-no-models-or-runtime")).toEqual(["functions/routes/uses-models.ts"]);
      const allowed = ["functions/node.ts", "functions/cli/keys.ts", "functions/adapters/node/adapter.ts"];
      expect(violations.filter((v) => allowed.includes(v.from)).map(brief)).toEqual([]);
    });
  });
});
