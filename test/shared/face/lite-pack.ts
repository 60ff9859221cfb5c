/** Test helper: the lite pack's folder, fetched through the models command's code when missing (CI starts from a fresh clone). */
import { fetchLitePack } from "../../../models/face-pack/fetch-lite-pack.ts";

export async function litePackDir(): Promise<string> {
  const { dir } = await fetchLitePack({ log: (line) => console.log(line) });
  return dir;
}
