/** The messages between `WorkerResponseStore` (the server's thread) and `store-worker.ts`. */

export interface StoreBounds {
  ttlSeconds: number;
  maxBytes: number;
  maxEntries?: number;
}

export type ToStoreWorker =
  | { op: "init"; bounds: StoreBounds }
  /**
   * Entries to keep, oldest first, in UTF-8 in `buffer` (transferred): entry `ids[i]` ends at
   * `ends[i]` and starts where the one before ends (at 0 for the first). The worker keeps a full
   * buffer as it is and sends it back (`returned`) once it drops the batch; a part-full one it
   * copies and sends back at once. `ids` are joined by newlines (response ids have none): one
   * string is copied once, where a batch's ~800 strings were cloned one by one, ~1 µs a stored
   * response (bench/PROFILE.md, twenty-ninth pass).
   */
  | { op: "put"; buffer: ArrayBuffer; ids: string; ends: number[] }
  | { op: "get"; seq: number; ids: string[] }
  | { op: "delete"; seq: number; id: string };

export type FromStoreWorker =
  /** A batch buffer the worker is done with, transferred back for a next batch. */
  | { op: "returned"; buffer: ArrayBuffer }
  | { op: "got"; seq: number; texts: (string | null)[] }
  /** How long entries are kept now, once a bound drops them before their TTL (BatchStore): sent when it changes. */
  | { op: "retention"; retentionMs: number }
  | { op: "deleted"; seq: number; found: boolean };
