import type { InputItemResource } from "../openai-responses/response-schema.ts";

/** A conversation of OpenAI's Conversations API, and who may use it. */
export interface ConversationRecord {
  id: string;
  created_at: number;
  metadata: Record<string, string>;
  /** The name of the key that created it (absent without keys): only that key reads, changes or uses it. */
  owner?: string;
}

/**
 * Where conversations live: in this process by default, in Redis with `REDIS_URL` so every replica
 * sees them. A conversation and its items are kept `CONVERSATIONS_TTL_S` after their last change.
 * Items are kept in order, as `input_items` lists a response's (each has an `id` and a `type`).
 */
export interface ConversationStore {
  create(record: ConversationRecord, items: readonly InputItemResource[]): Promise<void>;
  get(id: string): Promise<ConversationRecord | undefined>;
  /** The record with its metadata replaced; undefined when there is none. */
  update(id: string, metadata: Record<string, string>): Promise<ConversationRecord | undefined>;
  /** True when there was something to delete. */
  delete(id: string): Promise<boolean>;
  /** Every item, oldest first; undefined when the conversation is gone. */
  items(id: string): Promise<InputItemResource[] | undefined>;
  /** Adds items at the end; false when the conversation is gone. */
  append(id: string, items: readonly InputItemResource[]): Promise<boolean>;
  /** True when the item was there. */
  deleteItem(id: string, itemId: string): Promise<boolean>;
  close(): void;
}

interface Held {
  record: ConversationRecord;
  items: InputItemResource[];
  /** The items' JSON length, what the memory budget counts. */
  bytes: number;
  expiresAt: number;
}

const sizeOf = (items: readonly InputItemResource[]) => {
  let bytes = 0;
  for (const item of items) bytes += JSON.stringify(item).length;
  return bytes;
};

/**
 * Conversations in this process: a map in last-change order, bounded by `maxBytes` of items (the
 * least recently changed go first beyond it) and by the TTL. Records and items are copied in and
 * out, as a store that serialises them would.
 */
export class MemoryConversationStore implements ConversationStore {
  readonly #held = new Map<string, Held>();
  readonly #ttlMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(o: { ttlSeconds: number; maxBytes: number; now?: () => number }) {
    this.#ttlMs = o.ttlSeconds * 1000;
    this.#maxBytes = o.maxBytes;
    this.#now = o.now ?? Date.now;
  }

  async create(record: ConversationRecord, items: readonly InputItemResource[]): Promise<void> {
    this.#drop(record.id);
    const held: Held = { record: structuredClone(record), items: structuredClone([...items]), bytes: sizeOf(items), expiresAt: 0 };
    this.#touch(record.id, held);
  }

  async get(id: string): Promise<ConversationRecord | undefined> {
    const held = this.#live(id);
    return held && structuredClone(held.record);
  }

  async update(id: string, metadata: Record<string, string>): Promise<ConversationRecord | undefined> {
    const held = this.#live(id);
    if (!held) return undefined;
    held.record.metadata = { ...metadata };
    this.#touch(id, held);
    return structuredClone(held.record);
  }

  async delete(id: string): Promise<boolean> {
    const had = this.#live(id) !== undefined;
    this.#drop(id);
    return had;
  }

  async items(id: string): Promise<InputItemResource[] | undefined> {
    const held = this.#live(id);
    return held && structuredClone(held.items);
  }

  async append(id: string, items: readonly InputItemResource[]): Promise<boolean> {
    const held = this.#live(id);
    if (!held) return false;
    for (const item of items) held.items.push(structuredClone(item));
    const added = sizeOf(items);
    held.bytes += added;
    this.#bytes += added;
    this.#touch(id, held);
    return true;
  }

  async deleteItem(id: string, itemId: string): Promise<boolean> {
    const held = this.#live(id);
    const at = held?.items.findIndex((item) => item.id === itemId) ?? -1;
    if (!held || at < 0) return false;
    const [gone] = held.items.splice(at, 1);
    const freed = JSON.stringify(gone).length;
    held.bytes -= freed;
    this.#bytes -= freed;
    this.#touch(id, held);
    return true;
  }

  close(): void {
    this.#held.clear();
    this.#bytes = 0;
  }

  #live(id: string): Held | undefined {
    const held = this.#held.get(id);
    if (held && held.expiresAt <= this.#now()) {
      this.#drop(id);
      return undefined;
    }
    return held;
  }

  /** Marks a change: the conversation moves to the newest end, its TTL starts again, and the oldest go while over budget. */
  #touch(id: string, held: Held): void {
    if (this.#held.delete(id)) this.#bytes -= held.bytes;
    held.expiresAt = this.#now() + this.#ttlMs;
    this.#held.set(id, held);
    this.#bytes += held.bytes;
    for (const [oldest] of this.#held) {
      if (this.#bytes <= this.#maxBytes || oldest === id) break;
      this.#drop(oldest);
    }
  }

  #drop(id: string): void {
    const held = this.#held.get(id);
    if (!held) return;
    this.#held.delete(id);
    this.#bytes -= held.bytes;
  }
}
