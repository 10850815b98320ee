/**
 * A batch's buffer (worker-store.ts): one message for ~200 entries at 10,000 a second. Smaller under
 * a small byte bound (an eighth of it), so that the worker, which keeps whole batches, keeps several.
 */
export const BATCH_BYTES = 1 << 20;
export const batchBytesFor = (maxBytes: number): number => Math.min(BATCH_BYTES, Math.max(4096, Math.floor(maxBytes / 8)));

/**
 * How many entries a batch of `bytes` holds at most (where their ends are kept): one per 64 bytes,
 * which no stored response comes near (its id and its JSON alone take more); a batch that reaches it
 * is sent as a full one would be.
 */
export const entriesFor = (bytes: number): number => Math.max(1, bytes >> 6);

/** How many responses one process keeps at most: the oldest go first beyond it. */
export const MEMORY_STORE_MAX_ENTRIES = 10_000;

/**
 * A run of entries: entry i is `bytes` from `ends[i - 1]` (0 for the first) to `ends[i]`, its id
 * and a line break, then its text. Either a batch the server's thread sent full, kept as it came, or
 * the worker's own tail, into which batches sent part full are copied.
 */
interface Batch {
  bytes: Uint8Array;
  ends: Int32Array | number[];
  /** The sequence number of its first entry: entry i is `first + i`. */
  first: number;
  /** Where each message's entries begin (an entry's index), and when that message arrived (ms). */
  parts: number[];
  arrivals: number[];
  /** Its own buffer (reused for its next tail), not one it was given (handed back). */
  own: boolean;
  /**
   * Id → position, built the first time a lookup reaches this batch, its ids read from its bytes then:
   * most batches are never read, and a batch's ids as strings would be that many more objects for
   * this thread's collector to keep.
   */
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
const endOf = (batch: Batch): number => (batch.ends.length === 0 ? 0 : batch.ends[batch.ends.length - 1]!);
const startOf = (batch: Batch, i: number): number => (i === 0 ? 0 : batch.ends[i - 1]!);
/** Where entry i's id line ends (its line break). */
const idEndOf = (batch: Batch, i: number): number => batch.bytes.indexOf(0x0a, startOf(batch, i));
const idOf = (batch: Batch, i: number): string => decoder.decode(batch.bytes.subarray(startOf(batch, i), idEndOf(batch, i)));
/** A batch at least this full (7/8) is kept as it came; a fuller copy would save little. */
const isFull = (used: number, size: number): boolean => used >= size - (size >> 3);

/**
 * The memory store's worker side (store-worker.ts). A batch the server's thread sends full (under
 * load) is kept in the buffer it is given: no further copy, no index, no work for each entry. One sent part full (the flush
 * timer's, at lower rates) is copied into the worker's own tail buffer and its buffer handed back at
 * once, so that memory follows the bytes kept, not the batches. An entry is found only when asked,
 * newest batch first; most stored responses are never read, and the few reads build a batch's id
 * index once. Its bounds are exact for what a read sees: an entry is gone once it is older than the
 * TTL (from its message's arrival), beyond the newest `maxEntries`, deleted, or stored again under
 * the same id. Memory goes a batch at a time, oldest first: once every entry in it is gone, or when
 * the batches' bytes pass `maxBytes`; the buffers it was given come back to the caller for its next batches.
 */
export class BatchStore {
  readonly #ttlMs: number;
  #retentionMs: number | undefined;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** The size of a tail: the server thread's batch size for this bound. */
  readonly #tailBytes: number;
  /** Oldest first, from `#head` on. */
  #batches: Batch[] = [];
  #head = 0;
  #bytes = 0;
  /** The batch part-full batches are copied into, until it is full. */
  #tail: Batch | undefined;
  /** Buffers of dropped tails, for the next ones. */
  #spareTails: ArrayBuffer[] = [];
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
    this.#tailBytes = batchBytesFor(bounds.maxBytes);
  }

  /** Bytes of the batches held (their buffers' sizes). */
  get heldBytes(): number {
    return this.#bytes;
  }

  /** How many batches are held (tails included). */
  get batchCount(): number {
    return this.#batches.length - this.#head;
  }

  /**
   * Keeps a batch (its entries end at `ends`): a full one as it is (the caller must not use `buffer`
   * or `ends` again), a part-full one copied. Returns the given buffers it is done with: this one if
   * it was copied, and those of the batches it dropped.
   */
  add(buffer: ArrayBuffer, ends: Int32Array | number[]): ArrayBuffer[] {
    const freed: ArrayBuffer[] = [];
    const count = ends.length;
    const used = count === 0 ? 0 : ends[count - 1]!;
    const now = this.#now();
    if (count === 0) {
      freed.push(buffer);
    } else if (isFull(used, buffer.byteLength)) {
      this.#tail = undefined; // entries stay in arrival order: the next part-full batch starts a new tail
      this.#batches.push({ bytes: new Uint8Array(buffer), ends, first: this.#next, parts: [0], arrivals: [now], own: false });
      this.#bytes += buffer.byteLength;
    } else {
      this.#append(new Uint8Array(buffer, 0, used), ends, now);
      freed.push(buffer);
    }
    this.#next += count;
    this.#evict(freed, now);
    return freed;
  }

  #append(bytes: Uint8Array, ends: Int32Array | number[], now: number): void {
    let tail = this.#tail;
    if (tail === undefined || endOf(tail) + bytes.length > tail.bytes.length) {
      const size = Math.max(this.#tailBytes, bytes.length);
      const buffer = (size === this.#tailBytes ? this.#spareTails.pop() : undefined) ?? new ArrayBuffer(size);
      tail = { bytes: new Uint8Array(buffer), ends: [], first: this.#next, parts: [], arrivals: [], own: true };
      this.#batches.push(tail);
      this.#bytes += size;
      this.#tail = tail;
    }
    const offset = endOf(tail);
    const tailEnds = tail.ends as number[];
    tail.bytes.set(bytes, offset);
    tail.parts.push(tailEnds.length);
    tail.arrivals.push(now);
    for (let i = 0; i < ends.length; i++) {
      tailEnds.push(offset + ends[i]!);
      tail.index?.set(idOf(tail, tailEnds.length - 1), tailEnds.length - 1); // a tail read before: its index goes on
    }
  }

  /**
   * Drops what has expired without a new batch to make it happen (`add` evicts as it goes): the
   * worker calls it now and then, so an idle gateway gives back what the TTL ended. Returns the
   * server thread's buffers it is done with.
   */
  expire(): ArrayBuffer[] {
    const freed: ArrayBuffer[] = [];
    this.#evict(freed, this.#now());
    return freed;
  }

  /** A live entry's text (after its id line), undefined when unknown or gone. */
  getJson(id: string): string | undefined {
    const found = this.#find(id);
    if (found === undefined) return undefined;
    const [batch, i] = found;
    return decoder.decode(batch.bytes.subarray(idEndOf(batch, i) + 1, batch.ends[i]));
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
      // An expired batch, or one wholly beyond the count bound: so is every older one.
      if (batch.arrivals[batch.arrivals.length - 1]! + this.#ttlMs <= now || batch.first + batch.ends.length <= oldest) return undefined;
      const i = (batch.index ??= indexOf(batch)).get(id) ?? -1;
      if (i < 0) continue;
      const deletedBefore = this.#deleted.get(id);
      const gone =
        batch.first + i < oldest || (deletedBefore !== undefined && batch.first + i < deletedBefore) || arrivalOf(batch, i) + this.#ttlMs <= now;
      return gone ? undefined : [batch, i];
    }
    return undefined;
  }

  /**
   * How long an entry is kept now, when the count or byte bound drops entries before their TTL (how
   * long the newest entry of the last batch so dropped had been kept); undefined while none was.
   */
  retentionMs(): number | undefined {
    return this.#retentionMs;
  }

  /** The sequence number of the oldest entry within the count bound. */
  #oldestLive(): number {
    return Math.max(0, this.#next - this.#maxEntries);
  }

  /** Drops the oldest batches while they are expired, beyond the count bound, or beyond the byte bound. */
  #evict(freed: ArrayBuffer[], now: number): void {
    const oldest = this.#oldestLive();
    let dropped = false;
    while (this.#head < this.#batches.length) {
      const batch = this.#batches[this.#head]!;
      const newest = batch.arrivals[batch.arrivals.length - 1]!;
      const expired = newest + this.#ttlMs <= now;
      const gone = expired || batch.first + batch.ends.length <= oldest || this.#bytes > this.#maxBytes;
      if (!gone) break;
      // Dropped by a bound before its TTL: what is given now is kept about this long.
      if (!expired) this.#retentionMs = now - newest;
      this.#bytes -= batch.bytes.byteLength;
      const buffer = batch.bytes.buffer as ArrayBuffer;
      if (!batch.own) freed.push(buffer);
      else if (buffer.byteLength === this.#tailBytes && this.#spareTails.length < 2) this.#spareTails.push(buffer);
      if (batch === this.#tail) this.#tail = undefined;
      this.#batches[this.#head++] = undefined as never;
      dropped = true;
    }
    if (this.#head > 64 && this.#head * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#head);
      this.#head = 0;
    }
    // Deletions older than every batch held say nothing any more.
    if (dropped && this.#deleted.size > 0) {
      const first = this.#head < this.#batches.length ? this.#batches[this.#head]!.first : this.#next;
      for (const [id, before] of this.#deleted) if (before <= first) this.#deleted.delete(id);
    }
  }
}

/** When entry `i` arrived: its message's arrival. */
function arrivalOf(batch: Batch, i: number): number {
  let part = batch.parts.length - 1;
  while (batch.parts[part]! > i) part--;
  return batch.arrivals[part]!;
}

function indexOf(batch: Batch): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < batch.ends.length; i++) index.set(idOf(batch, i), i); // a later duplicate (stored again) wins
  return index;
}
