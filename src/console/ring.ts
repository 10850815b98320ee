import type { RequestOutcome } from "../pipeline/outcome.ts";

/**
 * The last `capacity` outcomes of this process (per replica: each replica shows its own). Adding
 * stores a reference and moves an index — no copy, no allocation — so feeding it costs a request
 * next to nothing; records are built only when someone reads.
 */
export class RequestRing {
  readonly #slots: (RequestOutcome | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("ring capacity must be a positive integer");
    this.#slots = new Array<RequestOutcome | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  add(outcome: RequestOutcome): void {
    this.#slots[this.#next] = outcome;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Newest first, at most `limit`. */
  newest(limit = this.capacity): RequestOutcome[] {
    const count = Math.min(limit, this.#size);
    const out = new Array<RequestOutcome>(count);
    let index = this.#next;
    for (let i = 0; i < count; i++) {
      index = index === 0 ? this.capacity - 1 : index - 1;
      out[i] = this.#slots[index]!;
    }
    return out;
  }
}
