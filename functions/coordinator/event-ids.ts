/**
 * SSE event ids that mean the same event everywhere: derived from the generation's step count and
 * the event itself, never from a per-process counter, so a replay from storage, another edge
 * process or a Durable Object gives each event the id the live stream gave it.
 *
 * Layout (SLOTS ids per denoising step; the runtime emits progress s, preview s, then images after
 * the last step):
 *   queued update n   1 + n            (n < QUEUED_UPDATES; later updates are not sent)
 *   progress s        s * SLOTS        (1 <= s <= steps)
 *   preview at s      s * SLOTS + 1
 *   image i           steps * SLOTS + 2 + i
 *   done / error      (steps + 1) * SLOTS
 */
import type { GenerationEvent } from "../schemas/generation.ts";

export const EVENT_ID_SLOTS = 64;
export const QUEUED_UPDATES = EVENT_ID_SLOTS - 2;

/**
 * Id of `event` in a generation of `steps` steps; `queuedUpdate` numbers the queued events
 * (0 for the first). Undefined for a queued update beyond the reserved range.
 */
export function eventIdOf(event: GenerationEvent, steps: number, queuedUpdate = 0): number | undefined {
  switch (event.event) {
    case "queued":
      return queuedUpdate < QUEUED_UPDATES ? 1 + queuedUpdate : undefined;
    case "progress":
      return Math.min(Math.max(event.data.step, 1), steps) * EVENT_ID_SLOTS;
    case "preview":
      return Math.min(Math.max(event.data.step, 1), steps) * EVENT_ID_SLOTS + 1;
    case "image":
      return steps * EVENT_ID_SLOTS + 2 + event.data.index;
    case "done":
    case "error":
      return (steps + 1) * EVENT_ID_SLOTS;
  }
}

/** Parses a Last-Event-ID header: a non-negative safe integer, else undefined (replay everything). */
export function parseLastEventId(header: string | undefined | null): number | undefined {
  if (!header || !/^[0-9]{1,15}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}
