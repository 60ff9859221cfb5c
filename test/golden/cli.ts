/** npm run golden -- PATH...: one JSON line per case; exit 1 if any case failed or was not understood. */
import { runGoldenCase } from "./runner.ts";

const paths = process.argv.slice(2).filter((a) => a !== "--");
if (paths.length === 0) {
  console.error("usage: npm run golden -- <case dir | tokenizer.json>...");
  process.exit(2);
}
let failed = 0;
for (const path of paths) {
  const result = await runGoldenCase(path);
  if (!result.pass) failed++;
  console.log(JSON.stringify(result));
}
process.exit(failed ? 1 : 0);
