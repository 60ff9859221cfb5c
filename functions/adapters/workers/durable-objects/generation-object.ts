import { DurableObject } from "cloudflare:workers";
import type { WorkerEnv } from "../env.ts";

export class GenerationObject extends DurableObject<WorkerEnv> {}
