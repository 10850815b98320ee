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
   * `ends[i]` and starts where the one before ends (at 0 for the first). Answered with `returned`.
   */
  | { op: "put"; buffer: ArrayBuffer; ids: string[]; ends: number[] }
  | { op: "get"; seq: number; ids: string[] }
  | { op: "delete"; seq: number; id: string };

export type FromStoreWorker =
  /** A `put`'s buffer, transferred back for the next batch. */
  | { op: "returned"; buffer: ArrayBuffer }
  | { op: "got"; seq: number; texts: (string | null)[] }
  | { op: "deleted"; seq: number; found: boolean }
  /** A put the worker could not keep (the server's thread checks entries first: should not happen). */
  | { op: "error"; message: string };
