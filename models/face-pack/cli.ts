/**
 * npm run models:face [-- --dir DIR] [--from PACKAGE.tgz] [--optional]
 * Fetches and verifies the lite face pack. --optional (for postinstall): an offline install
 * warns instead of failing; a checksum mismatch still fails.
 */
import { parseArgs } from "node:util";
import { FacePackError } from "./face-pack-error.ts";
import { fetchLitePack } from "./fetch-lite-pack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    dir: { type: "string" },
    from: { type: "string" },
    optional: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("usage: npm run models:face -- [--dir DIR] [--from PACKAGE.tgz] [--optional]");
  process.exit(0);
}

// Images that never analyse faces in-process (the GPU runtime container) opt out at install.
if (process.env.FACE_PACK_SKIP === "1") {
  console.log("face lite pack: skipped (FACE_PACK_SKIP=1)");
  process.exit(0);
}

try {
  await fetchLitePack({
    ...(values.dir ? { dir: values.dir } : {}),
    ...(values.from ? { fromTgz: values.from } : {}),
    log: (line) => console.log(line),
  });
} catch (err) {
  const soft = values.optional && err instanceof FacePackError && err.code === "download_failed";
  console.error(`${soft ? "warning" : "error"}: ${(err as Error).message}`);
  process.exit(soft ? 0 : 1);
}
