import type { InputItemResource } from "../response-schema.ts";
import type { ResponseStore, StoredResponse } from "./response-store.ts";

/** How many responses one process keeps at most: the oldest go first beyond it. */
export const MEMORY_STORE_MAX_ENTRIES = 10_000;

/**
 * Kept as JSON text: one string per response instead of a graph of small objects, which the garbage
 * collector would trace again and again (10,000 retained responses cost ~40 µs of CPU per request in
 * collection time when kept as objects; as strings, next to nothing). Reads, which are rare, parse.
 */
interface Entry {
  json: string;
  itemIds: string[];
  expiresAt: number;
}

/**
 * The default store: a Map by id, and a queue of ids in creation order, which with one TTL for all
 * is expiry order too; so eviction (by age, then by count) only ever looks at the front of the
 * queue. (Iterating the Map from its front instead cost ~20 µs a put once deletions piled up there.)
 */
export class MemoryResponseStore implements ResponseStore {
  readonly #entries = new Map<string, Entry>();
  /** Ids in the order they were stored, from `#head` on; each with the expiry it was stored with. */
  #queue: string[] = [];
  #queueExpiry: number[] = [];
  #head = 0;
  /** Output item id → the id of the response that holds it. */
  readonly #items = new Map<string, string>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(ttlSeconds: number, maxEntries = MEMORY_STORE_MAX_ENTRIES, now: () => number = Date.now) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(id);
      return undefined;
    }
    return JSON.parse(entry.json) as StoredResponse;
  }

  async put(value: StoredResponse): Promise<void> {
    const now = this.#now();
    const id = value.response.id;
    this.#remove(id); // a re-stored id moves to the back
    const itemIds = value.response.output.map((item) => item.id);
    const expiresAt = now + this.#ttlMs;
    this.#entries.set(id, { json: JSON.stringify(value), itemIds, expiresAt });
    for (const itemId of itemIds) this.#items.set(itemId, id);
    this.#queue.push(id);
    this.#queueExpiry.push(expiresAt);
    while (this.#head < this.#queue.length) {
      const key = this.#queue[this.#head]!;
      const entry = this.#entries.get(key);
      // A deleted or re-stored id left a stale slot: skip it.
      const isCurrent = entry !== undefined && entry.expiresAt === this.#queueExpiry[this.#head];
      if (isCurrent && entry.expiresAt > now && this.#entries.size <= this.#maxEntries) break;
      if (isCurrent) this.#remove(key);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#queueExpiry = this.#queueExpiry.slice(this.#head);
      this.#head = 0;
    }
  }

  async getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]> {
    const found: (InputItemResource | undefined)[] = [];
    for (const id of ids) {
      const responseId = this.#items.get(id);
      const stored = responseId === undefined ? undefined : await this.get(responseId);
      const mine = stored !== undefined && stored.owner === owner;
      found.push(mine ? (stored.response.output.find((item) => item.id === id) as InputItemResource | undefined) : undefined);
    }
    return found;
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    for (const itemId of entry.itemIds) if (this.#items.get(itemId) === id) this.#items.delete(itemId);
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.#entries.get(id);
    this.#remove(id);
    return entry !== undefined && entry.expiresAt > this.#now();
  }

  close(): void {
    this.#entries.clear();
    this.#items.clear();
    this.#queue = [];
    this.#queueExpiry = [];
    this.#head = 0;
  }
}
