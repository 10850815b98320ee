import { UpstreamUnavailableError } from "../../../errors.ts";
import type { InputItemResource } from "../response-schema.ts";
import { createRing, RingWriter } from "./byte-ring.ts";
import { assertStorableId, roomFor } from "./memory-store.ts";
import { itemsThroughResponses, type ResponseStore, type StoredResponse, storedJsonParts } from "./response-store.ts";
import type { FromStoreWorker, StoreBounds, ToStoreWorker } from "./worker-protocol.ts";

/**
 * The shared ring's size: ~45 ms of entries at 10,000 stored responses a second, which the worker
 * reads every 10 ms. Like any buffer the server's thread sees, it counts in the heap its collector
 * sizes its young generation from, so it stays small; an entry that does not fit goes as a message.
 */
export const RING_BYTES = 1 << 20;

const encoder = new TextEncoder();

type Reply = Extract<FromStoreWorker, { seq: number }>;

/** Where a compiled binary's modules live: /$bunfs/ (B:/~BUN/ on Windows). */
const COMPILED = /^(\/\$bunfs\/|[A-Za-z]:[\\/]~BUN[\\/])/;

/**
 * The worker's code: from source, the file beside this one. In the compiled binary (its modules live
 * under /$bunfs/) `bun run build` makes the worker a second entry point, named by its path under
 * src/, and import.meta.url there is the source file's URL at build time, not a path in the binary.
 */
const workerSource = (): string | URL =>
  COMPILED.test(Bun.main) ? "./surfaces/openai-responses/store/store-worker.ts" : new URL("./store-worker.ts", import.meta.url);

/**
 * The default store (no `REDIS_URL`): the memory store's ring, kept by a worker thread. Bytes the
 * server's thread holds count in the heap its collector sizes its young generation from: with
 * 10,000 responses (~18 MB) in the server's heap, every request of every surface cost ~5 µs more
 * and the process held ~80 MiB more (bench/PROFILE.md). In the worker's heap they cost neither.
 *
 * Entries are checked and serialised here and written in UTF-8 into a ring shared with the worker
 * (byte-ring.ts), which copies them into its store on its own clock: no message, so no wake-up of
 * the worker, which cost more than everything else about storing (~6 µs an entry with one message
 * per 20 ms batch). Until the worker has taken them, entries are read from the ring. An entry that
 * does not fit there (larger than half of it, or the worker behind) goes as a message of its own.
 * Messages reach the worker in order, and it reads the ring before each, so a read or a delete sent
 * after an entry sees it. The worker starts with the first entry; if it stops, what it held is lost,
 * the requests waiting on it get a 503, and the next use starts another.
 */
export class WorkerResponseStore implements ResponseStore {
  readonly #bounds: StoreBounds;
  readonly #onError: (message: string) => void;
  #worker: Worker | undefined;
  #ring: RingWriter | undefined;
  /** Entries in the ring, by id: where each starts. Those the worker has taken leave from the front. */
  #unsent = new Map<string, number>();

  #seq = 0;
  readonly #waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  #closed = false;

  constructor(bounds: StoreBounds, onError: (message: string) => void = () => {}) {
    this.#bounds = bounds;
    this.#onError = onError;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return (await this.#getMany([id]))[0];
  }

  async put(entry: StoredResponse, responseJson?: string): Promise<void> {
    if (this.#closed) throw new Error("the response store is closed");
    const id = entry.response.id;
    assertStorableId(id);
    // In pieces, written one after the other: joined, the text would be one more large string to collect.
    const parts = storedJsonParts(entry, responseJson);
    const room = roomFor(parts, this.#bounds.maxBytes - id.length); // throws for an entry larger than the store
    const worker = this.#started();
    const ring = this.#ring!;
    this.#forgetTaken(ring);
    this.#unsent.delete(id); // a re-stored id goes to the back
    const start = ring.write(id, parts, room);
    if (start >= 0) {
      this.#unsent.set(id, start);
      return;
    }
    const buffer = encoder.encode(parts.join("")).buffer as ArrayBuffer;
    worker.postMessage({ op: "put", id, buffer } satisfies ToStoreWorker, [buffer]);
  }

  /** Drops the ids of the entries the worker has taken (the oldest first: the map keeps insertion order). */
  #forgetTaken(ring: RingWriter): void {
    for (const [id, start] of this.#unsent) {
      if (!ring.isRead(start)) return;
      this.#unsent.delete(id);
    }
  }

  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]> {
    return itemsThroughResponses((responseIds) => this.#getMany(responseIds), ids, owner);
  }

  /** How many entries the worker has not taken from the ring yet. */
  get inRing(): number {
    if (this.#ring) this.#forgetTaken(this.#ring);
    return this.#unsent.size;
  }

  /** Entries still in the ring from there, the others in one question to the worker. */
  async #getMany(ids: string[]): Promise<(StoredResponse | undefined)[]> {
    const texts: (string | null | undefined)[] = ids.map((id) => this.#unsentText(id));
    const asked = ids.filter((_, i) => texts[i] === undefined);
    if (asked.length > 0) {
      const answer = (await this.#ask({ op: "get", seq: 0, ids: asked })) as Extract<Reply, { op: "got" }>;
      let next = 0;
      for (let i = 0; i < texts.length; i++) if (texts[i] === undefined) texts[i] = answer.texts[next++];
    }
    return texts.map((text) => (text == null ? undefined : (JSON.parse(text) as StoredResponse)));
  }

  #unsentText(id: string): string | undefined {
    const start = this.#unsent.get(id);
    if (start === undefined || this.#ring!.isRead(start)) return undefined;
    return this.#ring!.text(start);
  }

  async delete(id: string): Promise<boolean> {
    // The worker reads the ring before the question: an entry still there is deleted too.
    this.#unsent.delete(id);
    return ((await this.#ask({ op: "delete", seq: 0, id })) as Extract<Reply, { op: "deleted" }>).found;
  }

  /** Resolves once the worker holds every entry put so far (and has answered what was asked before). */
  async settled(): Promise<void> {
    await this.#ask({ op: "get", seq: 0, ids: [] });
  }

  close(): void {
    this.#closed = true;
    this.#stop(new Error("the response store is closed"));
  }

  #ask(message: Extract<ToStoreWorker, { seq: number }>): Promise<Reply> {
    if (this.#closed) return Promise.reject(new Error("the response store is closed"));
    const worker = this.#started();
    message.seq = ++this.#seq;
    return new Promise<Reply>((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref(); // keep the process up for the answer
      this.#waiting.set(message.seq, { resolve, reject });
      worker.postMessage(message);
    });
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerSource());
    worker.unref(); // an idle store does not keep the process alive
    // A worker already replaced (or closed) says nothing more.
    worker.onmessage = ({ data }: MessageEvent<FromStoreWorker>) => {
      if (this.#worker === worker) this.#received(data);
    };
    const stopped = (why: string) => {
      if (this.#worker !== worker) return;
      this.#onError(`the response store's worker stopped: ${why}`);
      this.#stop(new UpstreamUnavailableError("The response store stopped; stored responses were lost.", { code: "state_unavailable" }));
    };
    worker.onerror = (event) => stopped(event.message);
    // An exit without an error event too: else later reads would wait on a worker that is gone.
    worker.addEventListener("close", () => stopped("it exited"));
    const ring = createRing(RING_BYTES);
    worker.postMessage({ op: "init", bounds: this.#bounds, ring } satisfies ToStoreWorker);
    this.#worker = worker;
    this.#ring = new RingWriter(ring);
    return worker;
  }

  #received(message: FromStoreWorker): void {
    switch (message.op) {
      case "error":
        this.#onError(`the response store could not keep an entry: ${message.message}`);
        return;
      default: {
        const waiting = this.#waiting.get(message.seq);
        if (!waiting) return;
        this.#waiting.delete(message.seq);
        if (this.#waiting.size === 0) this.#worker?.unref();
        waiting.resolve(message);
      }
    }
  }

  /** Ends the worker, failing whatever waits on it; the next use (unless closed) starts another. */
  #stop(error: Error): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    // What the ring held goes with the worker.
    this.#ring = undefined;
    this.#unsent.clear();
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { reject } of waiting) reject(error);
  }
}
