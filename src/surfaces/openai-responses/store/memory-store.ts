import type { InputItemResource } from "../response-schema.ts";
import type { ResponseStore, StoredResponse } from "./response-store.ts";

/** How many responses one process keeps at most: the oldest go first beyond it. */
export const MEMORY_STORE_MAX_ENTRIES = 10_000;

interface Entry {
  value: StoredResponse;
  expiresAt: number;
}

/**
 * The default store: a Map in insertion order, which is creation order and, with one TTL for all,
 * expiry order too; so eviction (by age, then by count) only ever looks at the front.
 */
export class MemoryResponseStore implements ResponseStore {
  readonly #entries = new Map<string, Entry>();
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
    return entry.value;
  }

  async put(value: StoredResponse): Promise<void> {
    const now = this.#now();
    const id = value.response.id;
    this.#remove(id); // a re-stored id moves to the back
    this.#entries.set(id, { value, expiresAt: now + this.#ttlMs });
    for (const item of value.response.output) this.#items.set(item.id, id);
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now && this.#entries.size <= this.#maxEntries) break;
      this.#remove(key);
    }
  }

  async getItems(ids: readonly string[]): Promise<(InputItemResource | undefined)[]> {
    const found: (InputItemResource | undefined)[] = [];
    for (const id of ids) {
      const owner = this.#items.get(id);
      const stored = owner === undefined ? undefined : await this.get(owner);
      found.push(stored?.response.output.find((item) => item.id === id) as InputItemResource | undefined);
    }
    return found;
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    for (const item of entry.value.response.output) if (this.#items.get(item.id) === id) this.#items.delete(item.id);
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.#entries.get(id);
    this.#remove(id);
    return entry !== undefined && entry.expiresAt > this.#now();
  }

  close(): void {
    this.#entries.clear();
    this.#items.clear();
  }
}
