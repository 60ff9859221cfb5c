/** The edge <-> runtime wire contract: import from here on both sides. */
export * from "./base64.ts";
export * from "./embedding.ts";
export * from "./generate-request.ts";
export * from "./limits.ts";
export * from "./problem.ts";
export * from "./runtime-events.ts";
export * from "./settings.ts";
export * from "./sse.ts";
export * from "./styles.ts";
export * from "./faces.ts";
