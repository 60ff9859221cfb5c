/**
 * Import rules that keep the edge core platform-free and the layers apart (issue 10). Checked by
 * test/architecture/dependency-rules.test.ts in `npm test`; by hand: `npx depcruise -c .dependency-cruiser.cjs functions shared models gpu-runtime`.
 *
 * The edge core is functions/** except the adapters, the entry files (node.ts, worker.ts) and the
 * CLI: it must run unchanged on Node and on Workers, so it may use only Web-standard APIs.
 */

/** The edge core: everything in functions/ that is not an adapter, an entry or the CLI. */
const EDGE_CORE = "^functions/";
const EDGE_NOT_CORE = "^functions/(adapters/|cli/|node\\.ts$|worker\\.ts$)";
/** Packages that only exist on one platform (native code, Node's HTTP server). */
const PLATFORM_PACKAGES = "(^|/)node_modules/(better-sqlite3|sharp|onnxruntime-[^/]+|@hono/node-server)/";

/** Node's builtins as dependency-cruiser names them once resolved ("path", "fs/promises", "node:test"). */
const NODE_BUILTINS = `^(node:)?(${require("node:module")
  .builtinModules.map((m) => m.replace(/[/.]/g, (c) => `\\${c}`))
  .join("|")})$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "edge-core-no-node-builtins",
      comment: "The edge core runs on Workers too: no node:* (or bare fs, path, ...) imports; put it in functions/adapters/node/.",
      severity: "error",
      from: { path: EDGE_CORE, pathNot: EDGE_NOT_CORE },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "edge-core-no-platform-packages",
      comment: "better-sqlite3, sharp, onnxruntime-* and @hono/node-server belong to the Node adapter.",
      severity: "error",
      from: { path: EDGE_CORE, pathNot: EDGE_NOT_CORE },
      to: { path: PLATFORM_PACKAGES },
    },
    {
      name: "edge-core-no-cloudflare-modules",
      comment: "cloudflare:* modules belong to the Workers adapter.",
      severity: "error",
      from: { path: EDGE_CORE, pathNot: EDGE_NOT_CORE },
      to: { path: "^cloudflare:" },
    },
    {
      name: "edge-core-no-adapters",
      comment: "The core defines ports; adapters implement them and entries wire them, never the other way round.",
      severity: "error",
      from: { path: EDGE_CORE, pathNot: EDGE_NOT_CORE },
      to: { path: "^functions/adapters/" },
    },
    {
      name: "edge-core-no-transitive-platform-code",
      comment: "Nor through shared/: a shared module the core imports must not pull in a platform package, node:* or cloudflare:*.",
      severity: "error",
      from: { path: EDGE_CORE, pathNot: EDGE_NOT_CORE },
      to: { path: `${PLATFORM_PACKAGES}|^cloudflare:|${NODE_BUILTINS}`, reachable: true },
    },
    {
      name: "workers-edge-no-node-code",
      comment: "The Worker bundle (functions/worker.ts and the Workers adapter) must not reach native or Node-server packages, nor the Node adapter: Workers cannot load them, and they would bloat the bundle.",
      severity: "error",
      from: { path: "^functions/(worker\\.ts$|adapters/workers/)" },
      to: { path: `${PLATFORM_PACKAGES}|^functions/adapters/node/`, reachable: true },
    },
    {
      name: "shared-imports-no-app-code",
      comment: "shared/ is imported by the edge, the runtime and the compiler; it imports none of them.",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: "^(functions|gpu-runtime|models)/" },
    },
    {
      name: "models-no-gpu-runtime",
      comment: "The compiler shares code with the runtime through shared/, not by importing the runtime.",
      severity: "error",
      from: { path: "^models/" },
      to: { path: "^gpu-runtime/" },
    },
    {
      name: "functions-no-models-or-runtime",
      comment: "The edge talks to the runtime over HTTP only, and never needs the compiler.",
      severity: "error",
      from: { path: "^functions/" },
      to: { path: "^(models|gpu-runtime)/" },
    },
  ],
  options: {
    // Type-only imports count too: a core file must not even name a platform type.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "(^|/)(dist|data|\\.wrangler)/" },
    moduleSystems: ["es6", "cjs"],
    enhancedResolveOptions: { extensions: [".ts", ".mts", ".js", ".mjs", ".cjs", ".json", ".d.ts"] },
  },
};
