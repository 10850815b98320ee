import type { InputItemResource } from "../response-schema.ts";
import { hashId, IdTable } from "./id-table.ts";
import { itemsThroughResponses, type ResponseStore, type StoredResponse, storedJsonParts } from "./response-store.ts";

/** How many responses one process keeps at most: the oldest go first beyond it. */
export const MEMORY_STORE_MAX_ENTRIES = 10_000;

/** The default byte bound (`RESPONSES_MEMORY_MB`). */
export const MEMORY_STORE_MAX_BYTES = 64 << 20;

export interface MemoryStoreBounds {
  maxEntries?: number;
  /** The ring's largest size: the oldest entries go first to make room beyond it. */
  maxBytes?: number;
  /** The ring's first size (it grows as needed). */
  initialBytes?: number;
  now?: () => number;
}

/** The ring starts this small and grows, up to the byte bound, as entries fill it. */
const INITIAL_RING_BYTES = 1 << 20;

/**
 * How much the ring grows by: a quarter, not a doubling, so that it stays close to what it keeps.
 * Its whole size counts in the heap the collector sizes its young generation from, and every MB of
 * it costs the process's requests (a 32 MB buffer, never touched, ~+8 µs a request through the
 * OpenAI-compatible plugin; 64 MB ~+11): 10,000 responses of ~2 KB ended in a 32 MB ring when it
 * doubled, ~25 MB now.
 */
const growthStep = (capacity: number): number => Math.max(capacity >> 2, 1024);

const decoder = new TextDecoder();
/** Entries are found by their id's bytes, one per character. (A loop: the regular expression cost ~0.4 µs a put.) */
export function assertStorableId(id: string): void {
  let printable = id.length > 0;
  for (let i = 0; i < id.length && printable; i++) {
    const code = id.charCodeAt(i);
    printable = code >= 0x21 && code <= 0x7e;
  }
  if (!printable) throw new Error("a stored response's id must be printable ASCII");
}

/**
 * The bytes to set aside for an entry's text: the worst case (3 UTF-8 bytes per UTF-16 unit) rather
 * than a pass over the text to measure it; only a text too big for that is measured, and one larger
 * than `maxBytes` is refused.
 */
export function roomFor(parts: readonly string[], maxBytes: number): number {
  let units = 0;
  for (const part of parts) units += part.length;
  if (units * 3 <= maxBytes) return units * 3;
  let bytes = 0;
  for (const part of parts) bytes += Buffer.byteLength(part, "utf8");
  if (bytes > maxBytes) {
    throw new Error(`the response and its input take ${bytes} bytes, more than the memory store holds (${maxBytes})`);
  }
  return bytes;
}

/**
 * The in-memory store, which the default store runs in a worker thread (worker-store.ts: the bytes
 * it holds would tax the server thread's collector). Each entry is kept as its JSON in UTF-8,
 * written one after another into a ring of bytes: it grows (by a quarter) only when its live entries
 * fill it, up to the byte bound, and is reused from its start whenever the start is free. Bytes in
 * an ArrayBuffer are nothing for the garbage collector to look at: the same 10,000 responses kept as
 * JSON strings cost ~15 µs of collection per request at steady state, and as objects more. Reads,
 * which are rare, decode and parse.
 *
 * Each entry's record (id, where its bytes are, when it expires) sits in
 * creation order in parallel arrays: with one TTL for all that is expiry order too, and it is the
 * ring's order from its front, so every eviction (by age, by count, by the bytes a new entry needs)
 * only ever looks at the front of the queue. The records lying ahead of the write position (the
 * ring's previous lap) are the oldest, in address order: a prefix of the queue.
 */
export class MemoryResponseStore implements ResponseStore {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;

  #buffer: ArrayBuffer;
  /** A view that follows the buffer as it grows. */
  #bytes: Buffer;
  /** Where the next entry's bytes go. */
  #write = 0;

  /**
   * The queue of records, from `#head` on; a record's sequence number is `#base` + its position. A
   * record's bytes are its id (ASCII) then its JSON. A deleted or replaced record stays in the queue,
   * not alive, until the queue reaches it. Numbers and booleans only: nothing here for the collector.
   */
  #starts: number[] = [];
  #jsonStarts: number[] = [];
  #ends: number[] = [];
  #expiries: number[] = [];
  #hashes: number[] = [];
  #alive: boolean[] = [];
  #head = 0;
  #base = 0;
  #live = 0;
  /** Response id → the sequence number of its live record. (Output items are found through their response: see item-ids.ts.) */
  #index: IdTable;

  constructor(ttlSeconds: number, bounds: MemoryStoreBounds = {}) {
    const { maxEntries = MEMORY_STORE_MAX_ENTRIES, maxBytes = MEMORY_STORE_MAX_BYTES, initialBytes = INITIAL_RING_BYTES, now = Date.now } = bounds;
    this.#ttlMs = ttlSeconds * 1000;
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#now = now;
    this.#buffer = new ArrayBuffer(Math.min(initialBytes, maxBytes), { maxByteLength: maxBytes });
    this.#bytes = Buffer.from(this.#buffer);
    this.#index = this.#newIndex();
  }

  #newIndex(): IdTable {
    return new IdTable({
      isLive: (sequence) => this.#isLive(sequence),
      hasId: (sequence, id) => this.#hasId(sequence - this.#base, id),
      hashOf: (sequence) => this.#hashes[sequence - this.#base]!,
      forEachLive: (visit) => this.#forEachLive(visit),
    });
  }

  get size(): number {
    return this.#live;
  }

  /** Bytes the ring holds now (it grows up to the byte bound, and does not shrink). */
  get ringBytes(): number {
    return this.#buffer.byteLength;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const json = this.getJson(id);
    return json === undefined ? undefined : (JSON.parse(json) as StoredResponse);
  }

  /** A live entry's JSON text (what `put` wrote), undefined when unknown or expired. */
  getJson(id: string): string | undefined {
    const position = this.#positionOf(id);
    if (position === undefined) return undefined;
    return decoder.decode(this.#bytes.subarray(this.#jsonStarts[position]!, this.#ends[position]!));
  }

  async put(value: StoredResponse, responseJson?: string): Promise<void> {
    this.putJson(value.response.id, storedJsonParts(value, responseJson));
  }

  /**
   * Keeps `parts`, joined, as the JSON text of the entry `id` (a re-stored id replaces its entry).
   * Throws, keeping nothing, for an id that is not printable ASCII or an entry larger than the bound.
   */
  putJson(id: string, parts: readonly string[]): void {
    assertStorableId(id);
    const room = roomFor(parts, this.#maxBytes - id.length); // the record is the id, then the JSON
    let end = this.#reserve(id, room);
    const limit = end + room;
    for (const part of parts) end += this.#bytes.write(part, end, limit - end, "utf8");
    this.#commit(end);
  }

  /** The same with the JSON text already in UTF-8 (copied: `bytes` is not kept). */
  putBytes(id: string, bytes: Uint8Array): void {
    assertStorableId(id);
    if (bytes.length + id.length > this.#maxBytes) {
      throw new Error(`the response and its input take ${bytes.length} bytes, more than the memory store holds (${this.#maxBytes - id.length})`);
    }
    const jsonStart = this.#reserve(id, bytes.length);
    this.#bytes.set(bytes, jsonStart);
    this.#commit(jsonStart + bytes.length);
  }

  /** The new record's start, hash and time, between `#reserve` and `#commit`. */
  #newStart = 0;
  #newJsonStart = 0;
  #newHash = 0;
  #newNow = 0;

  /** Makes room for the entry `id` with `room` bytes of JSON, writes its id, and says where its JSON goes. */
  #reserve(id: string, room: number): number {
    const hash = hashId(id);
    this.#forget(id, hash); // a re-stored id moves to the back
    const now = this.#now();
    this.#evictOld(now);
    const start = this.#place(room + id.length);
    this.#newStart = start;
    this.#newJsonStart = start + this.#bytes.write(id, start, id.length, "latin1");
    this.#newHash = hash;
    this.#newNow = now;
    return this.#newJsonStart;
  }

  /** Records the entry `#reserve` began, whose JSON ends at `end`. */
  #commit(end: number): void {
    this.#write = end;
    const sequence = this.#base + this.#starts.length;
    this.#starts.push(this.#newStart);
    this.#jsonStarts.push(this.#newJsonStart);
    this.#ends.push(end);
    this.#expiries.push(this.#newNow + this.#ttlMs);
    this.#hashes.push(this.#newHash);
    this.#alive.push(true);
    this.#live++;
    this.#index.insert(this.#newHash, sequence);
    this.#compact();
  }

  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]> {
    return itemsThroughResponses((responseIds) => Promise.all(responseIds.map((id) => this.get(id))), ids, owner);
  }

  async delete(id: string): Promise<boolean> {
    return this.remove(id);
  }

  /** `delete`, at once: true when a live entry was there. */
  remove(id: string): boolean {
    const live = this.#positionOf(id) !== undefined;
    this.#forget(id);
    return live;
  }

  close(): void {
    this.#starts = [];
    this.#jsonStarts = [];
    this.#ends = [];
    this.#expiries = [];
    this.#hashes = [];
    this.#alive = [];
    this.#live = 0;
    this.#index = this.#newIndex();
    this.#head = 0;
    this.#base = 0;
    this.#write = 0;
    this.#buffer = new ArrayBuffer(0, { maxByteLength: this.#maxBytes });
    this.#bytes = Buffer.from(this.#buffer);
  }

  /**
   * Where `room` bytes go. In order of preference: at the write position; at the ring's start, if
   * the entries there are gone; in a larger ring; and, only at the byte bound, over the oldest
   * entries, which are evicted first.
   */
  #place(room: number): number {
    for (;;) {
      const capacity = this.#buffer.byteLength;
      const write = this.#write;
      const front = this.#head < this.#starts.length ? this.#starts[this.#head]! : -1;
      if (front < write) {
        // Nothing ahead of the write position: the ring's end is free, and its start up to the front.
        if (write + room <= capacity) return write;
        if (front === -1 ? room <= capacity : front >= room) return (this.#write = 0);
        if (capacity < this.#maxBytes) {
          this.#grow(Math.max(capacity + growthStep(capacity), write + room));
          continue;
        }
        this.#write = 0;
        this.#evictOverlapping(0, room);
        return 0;
      }
      // The previous lap lies ahead, from `front` on.
      if (write + room <= front) return write;
      if (capacity < this.#maxBytes) {
        this.#grow(capacity + Math.max(growthStep(capacity), room));
        continue;
      }
      if (write + room <= capacity) {
        this.#evictOverlapping(write, room);
        return write;
      }
      this.#evictOverlapping(write, capacity - write); // the rest of the previous lap
      this.#write = 0;
      this.#evictOverlapping(0, room);
      return 0;
    }
  }

  /**
   * Grows the ring to `size` (at most the byte bound). The previous lap, if any, moves to the new
   * end, so that the free space opens up between it and the write position.
   */
  #grow(size: number): void {
    const before = this.#buffer.byteLength;
    this.#buffer.resize(Math.min(this.#maxBytes, size));
    const shift = this.#buffer.byteLength - before;
    let position = this.#head;
    const front = position < this.#starts.length ? this.#starts[position]! : -1;
    if (front < this.#write) return;
    this.#bytes.copyWithin(front + shift, front, before);
    for (; position < this.#starts.length && this.#starts[position]! >= this.#write; position++) {
      this.#starts[position]! += shift;
      this.#jsonStarts[position]! += shift;
      this.#ends[position]! += shift;
    }
  }

  /** Pops records off the front while they are stale, expired or beyond the count bound. */
  #evictOld(now: number): void {
    while (this.#head < this.#starts.length) {
      const position = this.#head;
      const alive = this.#alive[position]!;
      if (alive && this.#expiries[position]! > now && this.#live < this.#maxEntries) return;
      if (alive) this.#drop(position);
      this.#head++;
    }
  }

  /** Pops records off the front while they start in `[start, start + size)` (the previous lap's). */
  #evictOverlapping(start: number, size: number): void {
    const end = start + size;
    while (this.#head < this.#starts.length) {
      const from = this.#starts[this.#head]!;
      if (from < start || from >= end) return;
      if (this.#alive[this.#head]) this.#drop(this.#head);
      this.#head++;
    }
  }

  /** The queue position of a live, unexpired entry (an expired one is forgotten on the way). */
  #positionOf(id: string): number | undefined {
    const sequence = this.#index.find(id, hashId(id));
    if (sequence < 0) return undefined;
    const position = sequence - this.#base;
    if (this.#expiries[position]! <= this.#now()) {
      this.#drop(position);
      return undefined;
    }
    return position;
  }

  /** Forgets an id's live record, if any; its bytes and queue slot go when the queue reaches them. */
  #forget(id: string, hash = hashId(id)): void {
    const sequence = this.#index.find(id, hash);
    if (sequence >= 0) this.#drop(sequence - this.#base);
  }

  #drop(position: number): void {
    this.#alive[position] = false;
    this.#live--;
  }

  #isLive(sequence: number): boolean {
    const position = sequence - this.#base;
    return position >= this.#head && position < this.#starts.length && this.#alive[position]!;
  }

  /** The record's id bytes against `id` (ids are ASCII: one byte per character). */
  #hasId(position: number, id: string): boolean {
    const start = this.#starts[position]!;
    if (this.#jsonStarts[position]! - start !== id.length) return false;
    for (let i = 0; i < id.length; i++) if (this.#bytes[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  #forEachLive(visit: (sequence: number) => void): void {
    for (let position = this.#head; position < this.#starts.length; position++) if (this.#alive[position]) visit(this.#base + position);
  }

  /** Drops the popped front of the queue's arrays once it is most of them. */
  #compact(): void {
    if (this.#head <= 1024 || this.#head * 2 <= this.#starts.length) return;
    const head = this.#head;
    this.#starts = this.#starts.slice(head);
    this.#jsonStarts = this.#jsonStarts.slice(head);
    this.#hashes = this.#hashes.slice(head);
    this.#alive = this.#alive.slice(head);
    this.#ends = this.#ends.slice(head);
    this.#expiries = this.#expiries.slice(head);
    this.#base += head;
    this.#head = 0;
  }
}
