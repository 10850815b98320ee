/** The messages between `WorkerResponseStore` (the server's thread) and `store-worker.ts`. */

export interface StoreBounds {
  ttlSeconds: number;
  maxBytes: number;
  maxEntries?: number;
}

/**
 * The batch slots the server's thread fills and the worker copies out of: `slots` buffers of
 * `slotBytes` each in `ring`, slot i at `i * slotBytes`; `states[i]` is 1 from the batch's message
 * until the worker has copied it, 0 when the server's thread may fill it again.
 */
export interface SharedSlots {
  ring: SharedArrayBuffer;
  states: SharedArrayBuffer;
  slotBytes: number;
}

export type ToStoreWorker =
  | { op: "init"; bounds: StoreBounds; slots: SharedSlots }
  /**
   * Entries to keep, oldest first, in UTF-8: in shared slot `slot` (its first `ends[ends.length -
   * 1]` bytes: the worker copies them and frees the slot), or in `buffer` (transferred: a batch
   * filled while every slot was still being copied, or an entry larger than a batch). Entry `ids[i]`
   * ends at `ends[i]` and starts where the one before ends (at 0 for the first). `ids` are joined by
   * newlines (response ids have none): one string is copied once, where a batch's ~800 strings were
   * cloned one by one, ~1 µs a stored response (bench/PROFILE.md, twenty-ninth pass).
   */
  | { op: "put"; slot: number; buffer?: undefined; ids: string; ends: number[] }
  | { op: "put"; slot?: undefined; buffer: ArrayBuffer; ids: string; ends: number[] }
  | { op: "get"; seq: number; ids: string[] }
  | { op: "delete"; seq: number; id: string };

export type FromStoreWorker =
  | { op: "got"; seq: number; texts: (string | null)[] }
  /** How long entries are kept now, once a bound drops them before their TTL (BatchStore): sent when it changes. */
  | { op: "retention"; retentionMs: number }
  | { op: "deleted"; seq: number; found: boolean };
