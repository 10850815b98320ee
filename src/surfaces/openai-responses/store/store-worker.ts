/**
 * The thread that holds the memory store (worker-store.ts): its ring of bytes lives in this
 * worker's heap, out of the sight of the server's garbage collector. New entries arrive in a shared
 * ring (byte-ring.ts), which this thread reads on its own clock: every 10 ms while entries come,
 * less often (up to every 160 ms) while none do. Before any message it reads the ring too, so a
 * read, a delete or a large entry sent as a message comes after every entry written before it.
 */
import { RingReader } from "./byte-ring.ts";
import { MemoryResponseStore } from "./memory-store.ts";
import type { FromStoreWorker, ToStoreWorker } from "./worker-protocol.ts";

declare const self: Worker;

const BUSY_MS = 10;
const IDLE_MS = 160;

let store: MemoryResponseStore | undefined;
let ring: RingReader | undefined;
let wait = BUSY_MS;

function keep(id: string, bytes: Uint8Array): void {
  try {
    store!.putBytes(id, bytes);
  } catch (error) {
    self.postMessage({ op: "error", message: error instanceof Error ? error.message : String(error) } satisfies FromStoreWorker);
  }
}

const drain = (): number => ring?.drain(keep) ?? 0;

function poll(): void {
  wait = drain() > 0 ? BUSY_MS : Math.min(wait * 2, IDLE_MS);
  setTimeout(poll, wait);
}

self.onmessage = ({ data }: MessageEvent<ToStoreWorker>) => {
  switch (data.op) {
    case "init":
      store = new MemoryResponseStore(data.bounds.ttlSeconds, { maxBytes: data.bounds.maxBytes, maxEntries: data.bounds.maxEntries });
      ring = new RingReader(data.ring);
      setTimeout(poll, BUSY_MS);
      return;
    case "put":
      drain();
      keep(data.id, new Uint8Array(data.buffer));
      return;
    case "get":
      drain();
      self.postMessage({ op: "got", seq: data.seq, texts: data.ids.map((id) => store!.getJson(id) ?? null) } satisfies FromStoreWorker);
      return;
    case "delete":
      drain();
      self.postMessage({ op: "deleted", seq: data.seq, found: store!.remove(data.id) } satisfies FromStoreWorker);
      return;
  }
};
