/** How many responses one process keeps at most: the oldest go first beyond it. */
export const MEMORY_STORE_MAX_ENTRIES = 10_000;

/** One batch as the server's thread sent it: entry `ids[i]` is `bytes` from `ends[i - 1]` (0 for the first) to `ends[i]`. */
interface Batch {
  bytes: Uint8Array;
  ids: string[];
  ends: number[];
  /** The sequence number of its first entry: entry i is `first + i`. */
  first: number;
  /** When entries expire (ms): the batch's arrival plus the TTL. */
  expires: number;
  /** Id → position, built the first time a lookup reaches this batch (most batches are never read). */
  index?: Map<string, number>;
}

export interface BatchStoreBounds {
  ttlSeconds: number;
  /** Bytes of batches held at most (their buffers' sizes): the oldest batches go first beyond it. */
  maxBytes: number;
  maxEntries?: number;
  now?: () => number;
}

const decoder = new TextDecoder();

/**
 * The memory store's worker side (store-worker.ts): it keeps the batches the server's thread sends
 * as they are — no copy, no index, no work for each entry — and finds an entry only when asked,
 * newest batch first. Most stored responses are never read; the few reads build a batch's id
 * index once. Its bounds are exact for what a read sees: an entry is gone once it is older than the
 * TTL, beyond the newest `maxEntries`, deleted, or stored again under the same id; a batch's memory
 * goes back to the server's thread (for its next batches) once every entry in it is gone, or when
 * the batches' bytes pass `maxBytes`, oldest first.
 */
export class BatchStore {
  readonly #ttlMs: number;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Oldest first, from `#head` on. */
  #batches: Batch[] = [];
  #head = 0;
  #bytes = 0;
  /** The next entry's sequence number. */
  #next = 0;
  /** Deleted ids → the sequence number from which on an entry with that id counts again. */
  #deleted = new Map<string, number>();

  constructor(bounds: BatchStoreBounds) {
    if (!(bounds.maxBytes > 0)) throw new Error("the memory store needs a positive byte bound");
    this.#ttlMs = bounds.ttlSeconds * 1000;
    this.#maxBytes = bounds.maxBytes;
    this.#maxEntries = bounds.maxEntries ?? MEMORY_STORE_MAX_ENTRIES;
    this.#now = bounds.now ?? Date.now;
  }

  /** Bytes of the batches held. */
  get heldBytes(): number {
    return this.#bytes;
  }

  /**
   * Keeps a batch (its buffer is kept as it is: not to be used again by the caller). Returns the
   * buffers of the batches it made room by dropping, for the caller's next batches.
   */
  add(buffer: ArrayBuffer, ids: string[], ends: number[]): ArrayBuffer[] {
    const freed: ArrayBuffer[] = [];
    if (ids.length === 0) {
      freed.push(buffer);
      return freed;
    }
    this.#batches.push({ bytes: new Uint8Array(buffer), ids, ends, first: this.#next, expires: this.#now() + this.#ttlMs });
    this.#next += ids.length;
    this.#bytes += buffer.byteLength;
    this.#evict(freed);
    return freed;
  }

  /** A live entry's JSON text, undefined when unknown or gone. */
  getJson(id: string): string | undefined {
    const found = this.#find(id);
    if (found === undefined) return undefined;
    const [batch, i] = found;
    return decoder.decode(batch.bytes.subarray(i === 0 ? 0 : batch.ends[i - 1], batch.ends[i]));
  }

  /** Forgets `id`: true when a live entry had it. */
  remove(id: string): boolean {
    const live = this.#find(id) !== undefined;
    if (live) this.#deleted.set(id, this.#next);
    return live;
  }

  /** The newest entry with this id, if it still counts. */
  #find(id: string): [Batch, number] | undefined {
    const now = this.#now();
    const oldest = this.#oldestLive();
    for (let b = this.#batches.length - 1; b >= this.#head; b--) {
      const batch = this.#batches[b]!;
      if (batch.expires <= now || batch.first + batch.ids.length <= oldest) return undefined; // this one and every older one
      const i = (batch.index ??= indexOf(batch.ids)).get(id);
      if (i === undefined) continue;
      const deletedBefore = this.#deleted.get(id);
      if (batch.first + i < oldest || (deletedBefore !== undefined && batch.first + i < deletedBefore)) return undefined;
      return [batch, i];
    }
    return undefined;
  }

  /** The sequence number of the oldest entry within the count bound. */
  #oldestLive(): number {
    return Math.max(0, this.#next - this.#maxEntries);
  }

  /** Drops the oldest batches while they are expired, beyond the count bound, or beyond the byte bound. */
  #evict(freed: ArrayBuffer[]): void {
    const now = this.#now();
    const oldest = this.#oldestLive();
    const before = freed.length;
    while (this.#head < this.#batches.length) {
      const batch = this.#batches[this.#head]!;
      const gone = batch.expires <= now || batch.first + batch.ids.length <= oldest || this.#bytes > this.#maxBytes;
      if (!gone) break;
      this.#bytes -= batch.bytes.byteLength;
      freed.push(batch.bytes.buffer as ArrayBuffer);
      this.#batches[this.#head++] = undefined as never;
    }
    if (this.#head > 64 && this.#head * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#head);
      this.#head = 0;
    }
    // Deletions older than every batch held say nothing any more.
    if (this.#deleted.size > 0 && freed.length > before) {
      const first = this.#head < this.#batches.length ? this.#batches[this.#head]!.first : this.#next;
      for (const [id, before] of this.#deleted) if (before <= first) this.#deleted.delete(id);
    }
  }
}

function indexOf(ids: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) index.set(ids[i]!, i); // a later duplicate (stored again) wins
  return index;
}
