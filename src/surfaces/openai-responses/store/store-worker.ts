/**
 * The thread that holds the memory store (worker-store.ts): the batches it is sent live in this
 * worker's heap, out of the sight of the server's garbage collector.
 */
import { BatchStore, batchBytesFor } from "./batch-store.ts";
import type { FromStoreWorker, SharedSlots, ToStoreWorker } from "./worker-protocol.ts";

declare const self: Worker;

let store: BatchStore | undefined;
let slots: { ring: Uint8Array; ends: Int32Array; states: Int32Array; slotBytes: number; slotEntries: number } | undefined;
/** The size of a full batch: buffers of that size are kept for the next batches copied out of the slots. */
let reusable = 0;
/** Buffers of batches the store dropped, for the next batches (a few: they come back in bursts). */
const spare: ArrayBuffer[] = [];
const SPARE = 4;
/** The retention last told to the server thread. */
let reported: number | undefined;

function keepSpare(freed: ArrayBuffer[]): void {
  for (const buffer of freed) if (buffer.byteLength === reusable && spare.length < SPARE) spare.push(buffer);
}

/** A slot's batch (its bytes and its ends) copied into buffers of this thread's own, and the slot handed back to the server's thread. */
function copyOut(shared: NonNullable<typeof slots>, slot: number, count: number): [ArrayBuffer, Int32Array] {
  const ends = shared.ends.slice(slot * shared.slotEntries, slot * shared.slotEntries + count);
  const used = count === 0 ? 0 : ends[count - 1]!;
  const own = spare.pop() ?? new ArrayBuffer(shared.slotBytes);
  new Uint8Array(own).set(shared.ring.subarray(slot * shared.slotBytes, slot * shared.slotBytes + used));
  Atomics.store(shared.states, slot, 0);
  return [own, ends];
}

const init = (bounds: ToStoreWorker & { op: "init" }): void => {
  store = new BatchStore(bounds.bounds);
  reusable = batchBytesFor(bounds.bounds.maxBytes);
  const shared: SharedSlots = bounds.slots;
  slots = { ring: new Uint8Array(shared.ring), ends: new Int32Array(shared.ends), states: new Int32Array(shared.states), slotBytes: shared.slotBytes, slotEntries: shared.slotEntries };
  // Expired batches go on the next put, or at the latest a quarter of the TTL (a minute at most) later when none comes.
  const every = Math.min(60_000, Math.max(1_000, (bounds.bounds.ttlSeconds * 1000) / 4));
  setInterval(() => keepSpare(store!.expire()), every).unref();
};

self.onmessage = ({ data }: MessageEvent<ToStoreWorker>) => {
  switch (data.op) {
    case "init":
      init(data);
      return;
    case "put": {
      const [buffer, ends] = data.buffer === undefined ? copyOut(slots!, data.slot, data.count) : [data.buffer, data.ends.subarray(0, data.count)];
      // Kept as it is when full (copied into the store's tail when not); the buffers of batches it drops serve the next ones.
      keepSpare(store!.add(buffer, ends));
      // Once the bounds drop entries before their TTL, the server's thread hears how long entries last (chains).
      if (store!.retentionMs() !== reported) {
        reported = store!.retentionMs();
        self.postMessage({ op: "retention", retentionMs: reported! } satisfies FromStoreWorker);
      }
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
