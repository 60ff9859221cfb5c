/**
 * Once per test run: make sure the tiny model pack exists and was built from the current compiler
 * sources (test files run in parallel and must not race to build it).
 */
import { ensureTinyPack } from "../models/tiny/ensure-tiny-pack.ts";

export default async function setup(): Promise<void> {
  await ensureTinyPack();
}
