/**
 * A finished generation's events rebuilt from its stored record, with the ids the live stream gave
 * them (event-ids.ts): the latest progress, every image (bytes from the image store), the final
 * event. A client resuming with Last-Event-ID gets only what it has not seen.
 */
import { encodeBase64 } from "../../../shared/contract/base64.ts";
import { eventIdOf } from "../../coordinator/event-ids.ts";
import type { CoordinatedEvent } from "../../ports/generation-coordinator.ts";
import type { GenerationEvent } from "../../schemas/generation.ts";
import type { GenerationRecord } from "../../stores/generation-store.ts";
import type { ResultImageStore } from "../../stores/result-image-store.ts";
import { TERMINAL_STATUSES } from "../../stores/generation-store.ts";
import { generationView, imagePath } from "./generation-view.ts";

export async function* replayStored(
  record: GenerationRecord,
  images: ResultImageStore,
  lastEventId: number,
): AsyncGenerator<CoordinatedEvent> {
  const steps = record.settings.steps;
  const events: GenerationEvent[] = [];
  if (record.progressStep > 0) {
    events.push({ event: "progress", data: { step: record.progressStep, total: record.progressTotal } });
  }
  for (const image of [...record.images].sort((a, b) => a.index - b.index)) {
    // The bytes are read only for images the client has not seen.
    events.push({
      event: "image",
      data: { index: image.index, url: imagePath(record.id, image.index), mimeType: image.mimeType, width: image.width, height: image.height, seed: image.seed, data: "" },
    });
  }
  if (record.status === "succeeded") {
    events.push({ event: "done", data: generationView(record) });
  } else if (TERMINAL_STATUSES.has(record.status)) {
    events.push({
      event: "error",
      data: { code: record.errorCode ?? "internal_error", message: record.errorMessage ?? "", retryable: false },
    });
  }
  for (const event of events) {
    const id = eventIdOf(event, steps);
    if (id === undefined || id <= lastEventId) continue;
    if (event.event === "image") {
      const file = record.images.find((i) => i.index === event.data.index);
      const bytes = file ? await images.get(file.fileKey) : undefined;
      if (!bytes) continue;
      yield { ...event, data: { ...event.data, data: encodeBase64(bytes) }, id };
    } else {
      yield { ...event, id } as CoordinatedEvent;
    }
  }
}
