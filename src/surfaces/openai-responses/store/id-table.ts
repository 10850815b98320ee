/** What the table asks of the records it points at (it keeps no ids itself). */
export interface IdRecords {
  /** Whether the record still counts (not deleted, replaced or evicted). */
  isLive(sequence: number): boolean;
  /** Whether the record's id is `id`. */
  hasId(sequence: number, id: string): boolean;
  /** The hash its id was inserted with. */
  hashOf(sequence: number): number;
  /** Calls `visit` with every live record's sequence number, for a rebuild (a callback: spreading a generator cost more than the rest of the rebuild). */
  forEachLive(visit: (sequence: number) => void): void;
}

/** 32-bit FNV-1a over the id's UTF-16 units: the same for the same id, and spread enough for random ids. */
export function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const EMPTY = 0;
const MAX_LOAD = 0.6;

/**
 * Id → record sequence number, for the memory store, without keeping the ids as strings: pairs of
 * (sequence number plus one, hash) in a Float64Array — 0 is an empty slot —, open addressing with
 * linear probing; the records own the ids, and a slot's hash turns away most mismatches before
 * the record is looked at. A slot whose record no longer counts stays behind: lookups step over it
 * and inserts reuse it, and once used slots pass 60 % the table is rebuilt from the live records,
 * at four times their number. A `Map` of 10,000 string keys cost the store ~2.5 µs a request in
 * the benchmark: the keys' strings and the map's entries are all objects the collector traces.
 */
export class IdTable {
  /** Slot i is [2i] = sequence + 1 (or EMPTY), [2i + 1] = the id's hash. */
  #slots: Float64Array;
  #mask: number;
  #used = 0;
  readonly #records: IdRecords;

  constructor(records: IdRecords, capacity = 1024) {
    this.#records = records;
    this.#slots = new Float64Array(capacity * 2);
    this.#mask = capacity - 1;
  }

  get capacity(): number {
    return this.#slots.length / 2;
  }

  /** The sequence number of the live record with this id, or -1. */
  find(id: string, hash: number): number {
    const slots = this.#slots;
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const slot = slots[2 * i]!;
      if (slot === EMPTY) return -1;
      if (slots[2 * i + 1] !== hash) continue;
      const sequence = slot - 1;
      if (this.#records.isLive(sequence) && this.#records.hasId(sequence, id)) return sequence;
    }
  }

  /** Points `hash` at a record. The caller has made sure no live record has the same id. */
  insert(hash: number, sequence: number): void {
    const slots = this.#slots;
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const slot = slots[2 * i]!;
      if (slot === EMPTY) this.#used++;
      else if (this.#records.isLive(slot - 1)) continue;
      slots[2 * i] = sequence + 1;
      slots[2 * i + 1] = hash;
      break;
    }
    if (this.#used > this.capacity * MAX_LOAD) this.#rebuild();
  }

  #rebuild(): void {
    const live: number[] = [];
    this.#records.forEachLive((sequence) => live.push(sequence));
    let capacity = 1024;
    while (capacity < live.length * 4) capacity *= 2;
    const slots = new Float64Array(capacity * 2);
    this.#slots = slots;
    this.#mask = capacity - 1;
    this.#used = 0;
    for (const sequence of live) {
      const hash = this.#records.hashOf(sequence);
      let i = hash & this.#mask;
      while (slots[2 * i] !== EMPTY) i = (i + 1) & this.#mask;
      slots[2 * i] = sequence + 1;
      slots[2 * i + 1] = hash;
      this.#used++;
    }
  }
}
