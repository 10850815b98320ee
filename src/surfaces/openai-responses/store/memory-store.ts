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
      this.#entries.delete(id);
      return undefined;
    }
    return entry.value;
  }

  async put(value: StoredResponse): Promise<void> {
    const now = this.#now();
    const id = value.response.id;
    this.#entries.delete(id); // a re-stored id moves to the back
    this.#entries.set(id, { value, expiresAt: now + this.#ttlMs });
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now && this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry !== undefined && entry.expiresAt > this.#now();
  }

  close(): void {
    this.#entries.clear();
  }
}
