/**
 * The Node entry (`tsx functions/node.ts`): wiring only, from the environment to startEdge.
 */
import { pathToFileURL } from "node:url";
import { createFaceKit, describeFaceKit, faceKitConfigFromEnv } from "./adapters/node/face-kit.ts";
import { startEdge } from "./adapters/node/start-edge.ts";
import { nodeWebAppAssets } from "../web/server/node-web-assets.ts";
import { parseCorsOrigins } from "./middleware/cors/index.ts";

export { startEdge, type RunningEdge, type StartEdgeOptions } from "./adapters/node/start-edge.ts";

/**
 * Direct run (`tsx functions/node.ts`): env PORT, HOST, DATA_DIR, RUNTIME_URL, RUNTIME_TOKEN,
 * CORS_ORIGINS, ACCESS_LOG (0: off), and
 * the face kit's (FACE_PACK, FACE_PACK_DIR, FACE_WORKERS, PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS).
 */
async function main(): Promise<void> {
  const token = process.env.RUNTIME_TOKEN;
  if (!token) throw new Error("RUNTIME_TOKEN must be set (the secret the runtime expects)");
  const faceConfig = faceKitConfigFromEnv(process.env);
  const running = await startEdge({
    dataDir: process.env.DATA_DIR ?? "data",
    runtimeUrl: process.env.RUNTIME_URL ?? "http://127.0.0.1:8788",
    runtimeToken: token,
    faceKit: createFaceKit(faceConfig),
    // The web app at `/`, analysing faces on the device with the same pack (built on first request if missing).
    webApp: nodeWebAppAssets({ facePack: faceConfig.pack }),
    port: Number(process.env.PORT ?? 8787),
    hostname: process.env.HOST ?? "127.0.0.1",
    corsOrigins: parseCorsOrigins(process.env.CORS_ORIGINS),
    // ACCESS_LOG=0 turns the per-request JSON line off.
    ...(process.env.ACCESS_LOG === "0" ? {} : { accessLog: (line: string) => process.stdout.write(`${line}\n`) }),
  });
  console.log(`edge listening on ${running.url} (docs: ${running.url}/docs); ${describeFaceKit(faceConfig)}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
