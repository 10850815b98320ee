/** The messages between `WorkerResponseStore` (the server's thread) and `store-worker.ts`. */
import type { RingMemory } from "./byte-ring.ts";

export interface StoreBounds {
  ttlSeconds: number;
  maxBytes: number;
  maxEntries?: number;
}

export type ToStoreWorker =
  /** The store's bounds, and the ring the server's thread writes entries into (byte-ring.ts). */
  | { op: "init"; bounds: StoreBounds; ring: RingMemory }
  /**
   * One entry that did not fit in the ring (too large, or the ring full), as its JSON in UTF-8 in
   * `buffer` (transferred). The worker takes what is in the ring first: entries keep their order.
   */
  | { op: "put"; id: string; buffer: ArrayBuffer }
  | { op: "get"; seq: number; ids: string[] }
  | { op: "delete"; seq: number; id: string };

export type FromStoreWorker =
  | { op: "got"; seq: number; texts: (string | null)[] }
  | { op: "deleted"; seq: number; found: boolean }
  /** An entry the worker could not keep (the server's thread checks entries first: should not happen). */
  | { op: "error"; message: string };
