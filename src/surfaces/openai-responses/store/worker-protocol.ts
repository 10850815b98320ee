/** The messages between `WorkerResponseStore` (the server's thread) and `store-worker.ts`. */

export interface StoreBounds {
  ttlSeconds: number;
  maxBytes: number;
  maxEntries?: number;
}

/**
 * The batch slots the server's thread fills and the worker copies out of: `slots` buffers of
 * `slotBytes` each in `ring`, slot i at `i * slotBytes`, and where each of its entries ends, up to
 * `slotEntries` of them, in `ends` (slot i's from entry `i * slotEntries`); `states[i]` is 1 from the
 * batch's message until the worker has copied it, 0 when the server's thread may fill it again.
 */
export interface SharedSlots {
  ring: SharedArrayBuffer;
  ends: SharedArrayBuffer;
  states: SharedArrayBuffer;
  slotBytes: number;
  slotEntries: number;
}

export type ToStoreWorker =
  | { op: "init"; bounds: StoreBounds; slots: SharedSlots }
  /**
   * `count` entries to keep, oldest first, in UTF-8, each its id, a line break and its texts
   * (worker-store.ts, `entryTexts`): in shared slot `slot`, its ends in the slot's ends (the worker
   * copies both and frees the slot), or in `buffer` and `ends` (transferred: a batch filled while
   * every slot was still being copied, or an entry larger than a batch). Entry i ends at `ends[i]`
   * and starts where the one before ends (at 0 for the first). Nothing a batch is sent as an array
   * or a string: their structured clone (~800 numbers and ids a batch), and the worker's split of
   * the ids into strings it then kept, were ~0.5 µs a stored response (bench/PROFILE.md,
   * thirty-fourth pass).
   */
  | { op: "put"; slot: number; count: number; buffer?: undefined; ends?: undefined }
  | { op: "put"; slot?: undefined; count: number; buffer: ArrayBuffer; ends: Int32Array }
  | { op: "get"; seq: number; ids: string[] }
  | { op: "delete"; seq: number; id: string };

export type FromStoreWorker =
  | { op: "got"; seq: number; texts: (string | null)[] }
  /** How long entries are kept now, once a bound drops them before their TTL (BatchStore): sent when it changes. */
  | { op: "retention"; retentionMs: number }
  | { op: "deleted"; seq: number; found: boolean };
