/**
 * Pixels being decoded at once, bounded: a photo is admitted only while the pixels already in
 * flight plus its own fit the budget, so decoding memory stays bounded whatever arrives. A photo
 * larger than the whole budget is still admitted when nothing else is in flight (the per-photo
 * pixel limit bounds it). Synchronous bookkeeping: one JS thread, no interleaving.
 */
export class PixelBudget {
  #inFlight = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`PixelBudget: capacity must be positive, got ${capacity}`);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A release function (idempotent), or undefined when the photo does not fit now. */
  tryAcquire(pixels: number): (() => void) | undefined {
    if (this.#inFlight > 0 && this.#inFlight + pixels > this.capacity) return undefined;
    this.#inFlight += pixels;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= pixels;
    };
  }
}
