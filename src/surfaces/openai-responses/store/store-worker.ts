/**
 * The thread that holds the memory store (worker-store.ts): its ring of bytes lives in this
 * worker's heap, out of the sight of the server's garbage collector.
 */
import { MemoryResponseStore } from "./memory-store.ts";
import type { FromStoreWorker, ToStoreWorker } from "./worker-protocol.ts";

declare const self: Worker;

let store: MemoryResponseStore | undefined;

self.onmessage = ({ data }: MessageEvent<ToStoreWorker>) => {
  switch (data.op) {
    case "init":
      store = new MemoryResponseStore(data.bounds.ttlSeconds, { maxBytes: data.bounds.maxBytes, maxEntries: data.bounds.maxEntries });
      return;
    case "put": {
      const bytes = new Uint8Array(data.buffer);
      let start = 0;
      for (let i = 0; i < data.ids.length; i++) {
        const end = data.ends[i]!;
        try {
          store!.putBytes(data.ids[i]!, bytes.subarray(start, end));
        } catch (error) {
          self.postMessage({ op: "error", message: error instanceof Error ? error.message : String(error) } satisfies FromStoreWorker);
        }
        start = end;
      }
      self.postMessage({ op: "returned", buffer: data.buffer } satisfies FromStoreWorker, [data.buffer]);
      return;
    }
    case "get":
      self.postMessage({ op: "got", seq: data.seq, texts: data.ids.map((id) => store!.getJson(id) ?? null) } satisfies FromStoreWorker);
      return;
    case "delete":
      self.postMessage({ op: "deleted", seq: data.seq, found: store!.remove(data.id) } satisfies FromStoreWorker);
      return;
  }
};
