/**
 * The thread that holds the memory store (worker-store.ts): the batches it is sent live in this
 * worker's heap, out of the sight of the server's garbage collector.
 */
import { BatchStore, batchBytesFor } from "./batch-store.ts";
import type { FromStoreWorker, ToStoreWorker } from "./worker-protocol.ts";

declare const self: Worker;

let store: BatchStore | undefined;
/** The size of the server thread's batch buffers: only those are worth sending back (the others were copies sized to their entries). */
let reusable = 0;
/** The retention last told to the server's thread. */
let reported: number | undefined;

/** Sends the server thread's buffers back for its next batches (others were copies: they just go). */
function giveBack(freed: ArrayBuffer[]): void {
  for (const buffer of freed) {
    if (buffer.byteLength === reusable) self.postMessage({ op: "returned", buffer } satisfies FromStoreWorker, [buffer]);
  }
}

self.onmessage = ({ data }: MessageEvent<ToStoreWorker>) => {
  switch (data.op) {
    case "init": {
      store = new BatchStore(data.bounds);
      reusable = batchBytesFor(data.bounds.maxBytes);
      // Expired batches go on the next put, or at the latest a quarter of the TTL (a minute at most) later when none comes.
      const every = Math.min(60_000, Math.max(1_000, (data.bounds.ttlSeconds * 1000) / 4));
      setInterval(() => giveBack(store!.expire()), every).unref();
      return;
    }
    case "put":
      // Kept as sent; the buffers of batches it drops go back for the next batches.
      giveBack(store!.add(data.buffer, data.ids === "" ? [] : data.ids.split("\n"), data.ends));
      // Once the bounds drop entries before their TTL, the server's thread hears how long entries last (chains).
      if (store!.retentionMs() !== reported) {
        reported = store!.retentionMs();
        self.postMessage({ op: "retention", retentionMs: reported! } satisfies FromStoreWorker);
      }
      return;
    case "get":
      self.postMessage({ op: "got", seq: data.seq, texts: data.ids.map((id) => store!.getJson(id) ?? null) } satisfies FromStoreWorker);
      return;
    case "delete":
      self.postMessage({ op: "deleted", seq: data.seq, found: store!.remove(data.id) } satisfies FromStoreWorker);
      return;
  }
};
