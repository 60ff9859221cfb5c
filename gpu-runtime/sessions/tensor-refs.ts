/**
 * Tensors the pipeline passes again and again (a batch's text/face tokens, control images) cross to
 * the inference worker once: the sender names each tensor object by an id, the worker keeps recent
 * ones, and later calls send the id alone. A worker that has forgotten an id says so and gets the data again.
 */
import type { Tensor } from "../../shared/tensor/tensor.ts";

/** A feed on the wire: an id, with the data the first time (or when the worker asks again). */
export interface WireTensor {
  readonly ref: number;
  readonly tensor?: Tensor;
}
export type WireFeeds = Record<string, WireTensor>;

/** Sender side: ids by object identity. Tensors handed to the networks are never modified afterwards. */
export class TensorRefEncoder {
  private readonly ids = new WeakMap<Tensor, number>();
  private next = 1;

  encode(feeds: Record<string, Tensor>, resend: ReadonlySet<number> = new Set()): WireFeeds {
    const out: WireFeeds = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      const known = this.ids.get(tensor);
      if (known !== undefined && !resend.has(known)) {
        out[name] = { ref: known };
        continue;
      }
      const ref = known ?? this.next++;
      this.ids.set(tensor, ref);
      out[name] = { ref, tensor };
    }
    return out;
  }
}

/**
 * Worker side: recently used tensors up to a byte budget. The tensors of the call being decoded are
 * never evicted by it (a call always gets its whole working set, even past the budget).
 */
export class TensorRefStore {
  private readonly entries = new Map<number, Tensor>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Each wire feed set as tensors, or the ids it does not hold (every data-carrying feed is stored
   * either way, so the resend needs only the missing ones).
   */
  decode(sets: readonly WireFeeds[]): { feeds: Record<string, Tensor>[] } | { missing: number[] } {
    const inCall = new Set<number>();
    for (const set of sets) for (const w of Object.values(set)) if (w.tensor) this.put(w.ref, w.tensor);
    const missing: number[] = [];
    const feeds = sets.map((set) => {
      const out: Record<string, Tensor> = {};
      for (const [name, w] of Object.entries(set)) {
        inCall.add(w.ref);
        const t = this.entries.get(w.ref);
        if (!t) {
          missing.push(w.ref);
          continue;
        }
        // Re-insert: Map order is recency order.
        this.entries.delete(w.ref);
        this.entries.set(w.ref, t);
        out[name] = t;
      }
      return out;
    });
    this.evict(inCall);
    return missing.length ? { missing: [...new Set(missing)] } : { feeds };
  }

  private put(ref: number, t: Tensor): void {
    const old = this.entries.get(ref);
    if (old) this.bytes -= old.data.byteLength;
    this.entries.delete(ref);
    this.entries.set(ref, t);
    this.bytes += t.data.byteLength;
  }

  private evict(keep: ReadonlySet<number>): void {
    for (const [id, e] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      if (keep.has(id)) continue;
      this.entries.delete(id);
      this.bytes -= e.data.byteLength;
    }
  }
}
