import { InvalidRequestError, UpstreamUnavailableError } from "../../../errors.ts";
import type { InputItemResource } from "../response-schema.ts";
import { type ConditionalPut, itemsThroughResponses, putIfRunningInProcess, type ResponseStore, type StoredResponse } from "./response-store.ts";
import type { FromStoreWorker, SharedSlots, StoreBounds, ToStoreWorker } from "./worker-protocol.ts";
import { batchBytesFor, entriesFor } from "./batch-store.ts";

/**
 * Entries go to the worker when their batch is full, or this long after its first: a part-full
 * batch is copied into the worker's tail, and at 20 ms a buffer coming back for each made stored
 * Responses run 1.2 to 3 times as many collections as `store: false` (bench/PROFILE.md, eighteenth
 * pass). Reads are served from the unsent batch, so nothing waits on it.
 */
const FLUSH_MS = 250;
/**
 * Batch slots shared with the worker: one being filled while the worker copies the others out. A
 * batch posted as a transferred buffer made the server's thread take a new 1 MiB ArrayBuffer (or one
 * handed back) for each, and its collector ran as if that much had been allocated: ~6 µs a stored
 * response of the server thread's CPU, where these slots, allocated once, cost nothing a batch
 * (bench/PROFILE.md, thirty-second pass). With the worker behind on every slot, a batch takes a
 * buffer of its own, transferred as before.
 */
const SLOTS = 4;

type Reply = Extract<FromStoreWorker, { seq: number }>;

/** An entry larger than the whole memory store: refused for good, whenever it is asked again. */
export class EntryTooLargeError extends InvalidRequestError {}

/** An entry's bytes in a batch (its id, its two texts and the two line breaks): exact, where `roomFor` takes the worst case. */
const utf8Length = (id: string, texts: readonly [string, string]): number =>
  Buffer.byteLength(id, "utf8") + Buffer.byteLength(texts[0], "utf8") + Buffer.byteLength(texts[1], "utf8") + 2;

/**
 * The bytes to set aside for an entry: the worst case (3 UTF-8 bytes per UTF-16 unit) rather than a
 * pass over its text to measure it; only an entry too big for that is measured, and one larger than
 * `maxBytes` is refused.
 */
function roomFor(id: string, texts: readonly [string, string], maxBytes: number): number {
  const worst = (id.length + texts[0].length + texts[1].length) * 3 + 2;
  if (worst <= maxBytes) return worst;
  const bytes = utf8Length(id, texts);
  if (bytes > maxBytes) {
    // A 400 where the request needs it stored (a background response's start); logged and skipped otherwise.
    throw new EntryTooLargeError(`The response and its conversation take ${bytes} bytes, more than the response store holds (RESPONSES_MEMORY_MB).`, { param: null });
  }
  return bytes;
}

/**
 * An entry as the memory store keeps it: its id and a line break (batch-store.ts reads ids from
 * there, only when a batch is first read), the response's JSON text (the route's answer, not
 * serialised again), a line break (JSON text has none), then the JSON of the rest of the entry.
 * These are the two texts after the id: where the entry as one JSON object took seven pieces and two
 * serialisations. The put is on every stored request's path, and each native call there counts. The
 * store and its worker are one process's, so the format is theirs alone (Redis keeps the entry as
 * one JSON text).
 */
export function entryTexts(entry: StoredResponse, responseJson: string = JSON.stringify(entry.response)): [string, string] {
  return [responseJson, JSON.stringify({ input: entry.input, requestInput: entry.requestInput, chain: entry.chain, conversationThrough: entry.conversationThrough, owner: entry.owner, lease: entry.lease })];
}

/** `entryTexts` read back (an entry without its id line). */
function parseEntry(text: string): StoredResponse {
  const cut = text.indexOf("\n");
  const rest = JSON.parse(text.slice(cut + 1)) as Omit<StoredResponse, "response">;
  return { response: JSON.parse(text.slice(0, cut)) as StoredResponse["response"], ...rest };
}

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
 * The default store (no `REDIS_URL`): the memory store, kept by a worker thread. Bytes the server's
 * thread holds count in the heap its collector sizes its young generation from: with 10,000
 * responses (~18 MB) in the server's heap, every request of every surface cost ~5 µs more and the
 * process held ~80 MiB more (bench/PROFILE.md). In the worker's heap they cost neither.
 *
 * Entries are serialised here and written in UTF-8 into a batch slot shared with the worker; a
 * batch's message names its slot, and the worker copies it out into a buffer of its own
 * (batch-store.ts: nothing to do for each entry until one is read) and frees the slot. The server's
 * thread allocates nothing a batch: transferring each batch's buffer instead cost ~6 µs a stored
 * response of its collector's time, posting each entry as a string ~10 µs. Until sent, entries are
 * read from the batch. Messages to a worker arrive in order, so a read or a delete sent
 * after a batch sees it. The worker starts with the first entry; if it stops, what it held is lost,
 * the requests waiting on it get a 503, and the next use starts another.
 */
export class WorkerResponseStore implements ResponseStore {
  readonly #bounds: StoreBounds;
  readonly #batchBytes: number;
  readonly #onError: (message: string) => void;
  #worker: Worker | undefined;

  /**
   * The batch being filled: its buffer (a slot's, or its own when `#slot` is -1), where each of its
   * `#count` entries ends (the slot's shared ends, or its own), and its entries by id (their index
   * in it): what a read finds before they are sent.
   */
  #buffer: Buffer | undefined;
  #slot = -1;
  #used = 0;
  #ends: Int32Array | undefined;
  #count = 0;
  #unsent = new Map<string, number>();
  #retentionMs: number | undefined;
  #flushTimer: Timer | undefined;
  /** The slots (made with the first batch), a view of each and of its ends; the slot the next batch tries first. */
  #slots: SharedSlots | undefined;
  #slotStates: Int32Array | undefined;
  #slotViews: Buffer[] = [];
  #slotEnds: Int32Array[] = [];
  #nextSlot = 0;

  /** Batches handed to the worker so far, and how many of them in a buffer of their own (every slot busy, or one entry larger than a batch). */
  #sent = 0;
  #sentOwn = 0;
  #seq = 0;
  readonly #waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  #closed = false;

  constructor(bounds: StoreBounds, onError: (message: string) => void = () => {}) {
    this.#bounds = bounds;
    this.#batchBytes = batchBytesFor(bounds.maxBytes);
    this.#onError = onError;
  }

  /** How many batches went to the worker (each one message, and one wake-up of its thread). */
  get batchesSent(): number {
    return this.#sent;
  }

  get batchesSentInOwnBuffers(): number {
    return this.#sentOwn;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return (await this.#getMany([id]))[0];
  }

  async put(entry: StoredResponse, responseJson?: string): Promise<void> {
    if (this.#closed) throw new Error("the response store is closed");
    const id = entry.response.id;
    // The gateway's ids (resp_ and hex digits): a line break would cut the entry where batch-store.ts reads its id.
    if (id.includes("\n")) throw new InvalidRequestError("A response id has a line break.", { param: null });
    // Written one after the other: joined, the text would be one more large string to collect.
    const texts = entryTexts(entry, responseJson);
    let room = roomFor(id, texts, this.#bounds.maxBytes); // throws for an entry larger than the store
    if (this.#buffer && (this.#used + room > this.#buffer.length || this.#count === this.#ends!.length)) {
      // Its worst case (3 bytes a character) does not fit in what is left; measured, it may: a batch
      // is sent full rather than at a third of its size.
      room = utf8Length(id, texts);
      if (this.#used + room > this.#buffer.length || this.#count === this.#ends!.length) this.#flush();
    }
    const buffer = (this.#buffer ??= room <= this.#batchBytes ? this.#freeSlot() : this.#ownBuffer(utf8Length(id, texts)));
    let at = this.#used + buffer.write(id, this.#used, "utf8");
    buffer[at++] = 0x0a; // "\n"
    at += buffer.write(texts[0], at, "utf8");
    buffer[at++] = 0x0a;
    this.#used = at + buffer.write(texts[1], at, "utf8");
    this.#unsent.set(id, this.#count);
    this.#ends![this.#count++] = this.#used;
    // An entry larger than a batch has a buffer of its own: sent at once, out of the server thread's heap.
    if (buffer.length > this.#batchBytes) this.#flush();
    else if (!this.#flushTimer) this.#flushTimer = setTimeout(this.#flush, FLUSH_MS).unref();
  }

  now(): Promise<number> {
    return Promise.resolve(Date.now());
  }

  putIfRunning(entry: StoredResponse): Promise<ConditionalPut> {
    return putIfRunningInProcess(this, entry);
  }

  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]> {
    return itemsThroughResponses((responseIds) => this.#getMany(responseIds), ids, owner);
  }

  readonly keepsChains = false;

  getMany(ids: readonly string[]): Promise<(StoredResponse | undefined)[]> {
    return this.#getMany(ids);
  }

  /** How long entries are kept now, as the worker last said (its byte and count bounds, before the TTL). */
  retentionMs(): number | undefined {
    return this.#retentionMs;
  }

  /** Unsent entries from the batch, the others in one question to the worker. */
  async #getMany(ids: readonly string[]): Promise<(StoredResponse | undefined)[]> {
    const texts: (string | null | undefined)[] = ids.map((id) => this.#unsentText(id));
    const asked = ids.filter((_, i) => texts[i] === undefined);
    if (asked.length > 0) {
      const answer = (await this.#ask({ op: "get", seq: 0, ids: asked })) as Extract<Reply, { op: "got" }>;
      let next = 0;
      for (let i = 0; i < texts.length; i++) if (texts[i] === undefined) texts[i] = answer.texts[next++];
    }
    return texts.map((text) => (text == null ? undefined : parseEntry(text)));
  }

  /** An unsent entry's texts (after its id line). */
  #unsentText(id: string): string | undefined {
    const index = this.#unsent.get(id);
    if (index === undefined) return undefined;
    const start = (index === 0 ? 0 : this.#ends![index - 1]!) + Buffer.byteLength(id, "utf8") + 1;
    return this.#buffer!.toString("utf8", start, this.#ends![index]);
  }

  async delete(id: string): Promise<boolean> {
    this.#flush(); // an unsent entry must reach the worker before the delete does
    return ((await this.#ask({ op: "delete", seq: 0, id })) as Extract<Reply, { op: "deleted" }>).found;
  }

  /** Resolves once the worker holds every entry put so far (and has answered what was asked before). */
  async settled(): Promise<void> {
    this.#flush();
    await this.#ask({ op: "get", seq: 0, ids: [] });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#stop(new Error("the response store is closed"));
    this.#buffer = undefined;
    this.#ends = undefined;
    this.#count = 0;
    this.#unsent.clear();
    this.#slots = undefined;
    this.#slotStates = undefined;
    this.#slotViews = [];
    this.#slotEnds = [];
  }

  /** The slots, made once (with the first batch, or the worker's start). */
  #slotsMade(): SharedSlots {
    if (this.#slots !== undefined) return this.#slots;
    const slotBytes = this.#batchBytes;
    const slotEntries = entriesFor(slotBytes);
    const slots: SharedSlots = {
      ring: new SharedArrayBuffer(SLOTS * slotBytes),
      ends: new SharedArrayBuffer(SLOTS * slotEntries * 4),
      states: new SharedArrayBuffer(SLOTS * 4),
      slotBytes,
      slotEntries,
    };
    this.#slotStates = new Int32Array(slots.states);
    for (let i = 0; i < SLOTS; i++) {
      this.#slotViews.push(Buffer.from(slots.ring, i * slotBytes, slotBytes));
      this.#slotEnds.push(new Int32Array(slots.ends, i * slotEntries * 4, slotEntries));
    }
    return (this.#slots = slots);
  }

  /** The next slot if the worker has copied it out, else a buffer of the batch's own (`#slot` says which). */
  #freeSlot(): Buffer {
    this.#slotsMade();
    const slot = this.#nextSlot;
    if (Atomics.load(this.#slotStates!, slot) !== 0) return this.#ownBuffer(this.#batchBytes);
    this.#slot = slot;
    this.#ends = this.#slotEnds[slot]!;
    return this.#slotViews[slot]!;
  }

  /** A batch buffer of its own, and ends of its own (both transferred to the worker when sent). */
  #ownBuffer(bytes: number): Buffer {
    this.#slot = -1;
    this.#ends = new Int32Array(bytes > this.#batchBytes ? 1 : entriesFor(bytes));
    return Buffer.from(new ArrayBuffer(bytes));
  }

  /** Sends the batch, if any. */
  readonly #flush = (): void => {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (!this.#buffer || this.#closed) return;
    const worker = this.#started();
    if (this.#slot >= 0) {
      // The worker copies the slot out and frees it; a full batch it keeps as copied, a part-full one (the timer's) it adds to its tail.
      Atomics.store(this.#slotStates!, this.#slot, 1);
      worker.postMessage({ op: "put", slot: this.#slot, count: this.#count } satisfies ToStoreWorker);
      this.#nextSlot = (this.#slot + 1) % SLOTS;
    } else {
      const buffer = this.#buffer.buffer as ArrayBuffer;
      const ends = this.#ends!;
      worker.postMessage({ op: "put", buffer, ends, count: this.#count } satisfies ToStoreWorker, [buffer, ends.buffer as ArrayBuffer]);
      this.#sentOwn++;
    }
    this.#sent++;
    this.#buffer = undefined;
    this.#used = 0;
    this.#ends = undefined;
    this.#count = 0;
    this.#unsent.clear();
  };

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
    // Slots posted to a worker that stopped are the server thread's again (what they held was lost with it).
    if (this.#slotStates) this.#slotStates.fill(0);
    worker.postMessage({ op: "init", bounds: this.#bounds, slots: this.#slotsMade() } satisfies ToStoreWorker);
    this.#worker = worker;
    return worker;
  }

  #received(message: FromStoreWorker): void {
    switch (message.op) {
      case "retention":
        this.#retentionMs = message.retentionMs;
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
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { reject } of waiting) reject(error);
  }
}
