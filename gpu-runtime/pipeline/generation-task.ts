/** What the pipeline is asked to do for one request, what it reports back, and how the request ended. */
import type { RuntimeGenerateRequest } from "../../shared/contract/index.ts";

export interface GeneratedImage {
  readonly index: number;
  readonly seed: number;
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: Uint8Array;
}

export interface PreviewFrame {
  /** Steps completed when the preview was taken. */
  readonly step: number;
  readonly width: number;
  readonly height: number;
  readonly jpeg: Uint8Array;
}

/** Called in order for one request; the pipeline waits for none of them. */
export interface GenerationEvents {
  progress(step: number, total: number): void;
  preview(frame: PreviewFrame): void;
  image(image: GeneratedImage): void;
}

export interface GenerationTask {
  readonly request: RuntimeGenerateRequest;
  readonly events: GenerationEvents;
  /** True once the request should stop (client gone, shutdown); checked before every step and decode. */
  cancelled(): boolean;
}

export type GenerationOutcome =
  | { readonly status: "done"; readonly images: number }
  | { readonly status: "cancelled" }
  | { readonly status: "failed"; readonly error: Error };
