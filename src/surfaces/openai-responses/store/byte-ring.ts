/**
 * A ring of records in shared memory, written by one thread and read by another, with no message
 * between them: the writer publishes how far it has written, the reader how far it has read, each
 * with one atomic store. A record is an id (ASCII) and a text, written as UTF-8.
 *
 * The response store uses it to hand its entries to its worker thread (worker-store.ts). A message
 * to the worker costs the thread that posts it the worker's wake-up, measured at 150 µs to 1 ms of
 * CPU on our machines: ~6 µs a stored response with a message every 20 ms. Here the writer pays only
 * for writing the bytes, and the worker looks for new records on its own clock.
 *
 * Positions count bytes from the ring's start over every lap, modulo 2^32; a record starts at a
 * multiple of 4 and is laid out as: its length in bytes (int32, header included), its id's length
 * (int32), the id, the text. A record never wraps: where the rest of the lap is too short, the
 * writer puts `WRAP` and goes on at the next lap's start.
 */

const WRITTEN = 0;
const READ = 1;
const CONTROL_INTS = 2;
const HEADER = 8;
const WRAP = -1;

const align4 = (n: number): number => (n + 3) & ~3;

/** The shared memory of one ring: pass it to the other thread (SharedArrayBuffers are shared, not copied). */
export interface RingMemory {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** A ring of `capacity` bytes (a power of two, at least 64). */
export function createRing(capacity: number): RingMemory {
  if (capacity < 64 || (capacity & (capacity - 1)) !== 0) throw new RangeError("a ring's capacity is a power of two, at least 64");
  return { control: new SharedArrayBuffer(CONTROL_INTS * 4), data: new SharedArrayBuffer(capacity) };
}

/** The writing side. Only one thread writes. */
export class RingWriter {
  readonly #control: Int32Array;
  readonly #ints: Int32Array;
  readonly #bytes: Buffer;
  readonly #capacity: number;
  /** Where the next record goes (this side's own copy of what it publishes). */
  #written: number;

  constructor(memory: RingMemory) {
    this.#control = new Int32Array(memory.control);
    this.#ints = new Int32Array(memory.data);
    this.#bytes = Buffer.from(memory.data);
    this.#capacity = memory.data.byteLength;
    this.#written = Atomics.load(this.#control, WRITTEN) >>> 0;
  }

  /** The largest record a ring can take: half of it, so that one never waits on a whole lap. */
  get largest(): number {
    return this.#capacity >> 1;
  }

  /**
   * Writes a record of `id` and the text `parts` joined, if `room` bytes (at least the text's UTF-8
   * length) are free for the text; else writes nothing. Returns where the record starts (for `text`
   * and `isRead`), or -1 when it did not fit.
   */
  write(id: string, parts: readonly string[], room: number): number {
    const need = align4(HEADER + id.length + room);
    if (need > this.largest) return -1;
    const free = this.#capacity - ((this.#written - (Atomics.load(this.#control, READ) >>> 0)) >>> 0);
    let at = this.#written & (this.#capacity - 1);
    const rest = this.#capacity - at;
    if (rest < need) {
      if (rest + need > free) return -1;
      this.#ints[at >> 2] = WRAP;
      this.#written = (this.#written + rest) >>> 0;
      at = 0;
    } else if (need > free) {
      return -1;
    }
    const start = this.#written;
    let end = at + HEADER + this.#bytes.write(id, at + HEADER, id.length, "latin1");
    const limit = at + need;
    for (const part of parts) end += this.#bytes.write(part, end, limit - end, "utf8");
    this.#ints[at >> 2] = end - at;
    this.#ints[(at >> 2) + 1] = id.length;
    this.#written = (this.#written + align4(end - at)) >>> 0;
    // After the bytes: a reader that sees the new position sees them too.
    Atomics.store(this.#control, WRITTEN, this.#written | 0);
    return start;
  }

  /** Whether the reader has taken the record that starts at `start` (its bytes may then be overwritten). */
  isRead(start: number): boolean {
    const read = Atomics.load(this.#control, READ) >>> 0;
    return ((start - read) >>> 0) >= ((this.#written - read) >>> 0);
  }

  /** The text of the record at `start`, which the reader has not taken yet (`isRead` false). */
  text(start: number): string {
    const at = start & (this.#capacity - 1);
    return this.#bytes.toString("utf8", at + HEADER + this.#ints[(at >> 2) + 1]!, at + this.#ints[at >> 2]!);
  }
}

/** The reading side. Only one thread reads. */
export class RingReader {
  readonly #control: Int32Array;
  readonly #ints: Int32Array;
  readonly #bytes: Buffer;
  readonly #capacity: number;

  constructor(memory: RingMemory) {
    this.#control = new Int32Array(memory.control);
    this.#ints = new Int32Array(memory.data);
    this.#bytes = Buffer.from(memory.data);
    this.#capacity = memory.data.byteLength;
  }

  /**
   * Hands every record written so far to `each`, oldest first (`text` is a view of the ring, valid
   * only during the call), then frees their space. Returns how many there were.
   */
  drain(each: (id: string, text: Uint8Array) => void): number {
    const written = Atomics.load(this.#control, WRITTEN) >>> 0;
    let read = Atomics.load(this.#control, READ) >>> 0;
    let count = 0;
    while (read !== written) {
      const at = read & (this.#capacity - 1);
      const length = this.#ints[at >> 2]!;
      if (length === WRAP) {
        read = (read + this.#capacity - at) >>> 0;
        continue;
      }
      const idEnd = at + HEADER + this.#ints[(at >> 2) + 1]!;
      try {
        each(this.#bytes.toString("latin1", at + HEADER, idEnd), this.#bytes.subarray(idEnd, at + length));
      } finally {
        // A record `each` throws on is still taken: the next one must not wait behind it.
        read = (read + align4(length)) >>> 0;
        Atomics.store(this.#control, READ, read | 0);
      }
      count++;
    }
    return count;
  }
}
