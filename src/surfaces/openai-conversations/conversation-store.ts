import { InvalidRequestError } from "../../errors.ts";
import type { InputItemResource } from "../openai-responses/response-schema.ts";

/** A conversation of OpenAI's Conversations API, and who may use it. */
export interface ConversationRecord {
  id: string;
  created_at: number;
  metadata: Record<string, string>;
  /** The name of the key that created it (absent without keys): only that key reads, changes or uses it. */
  owner?: string;
}

/** The most items a conversation holds, in either store: beyond it an add is refused (a listing or a delete reads them all). */
export const MAX_CONVERSATION_ITEMS = 10_000;

/** What an add did: the items are in, or the conversation is gone, full, or already has an item of one of their ids. */
export type AppendResult = { ok: true } | { ok: false; reason: "missing" | "full" } | { ok: false; reason: "duplicate"; id: string };

/** Held by one response at a time (OpenAI's `conversation_locked`); `release` is idempotent. */
export interface ConversationLock {
  release(): Promise<void>;
}

/**
 * Where conversations live: in this process by default, in Redis with `REDIS_URL` so every replica
 * sees them. A conversation and its items are kept `CONVERSATIONS_TTL_S` after their last change.
 * Items are kept in order, as `input_items` lists a response's (each has an `id` and a `type`); no
 * two items of a conversation share an id.
 */
export interface ConversationStore {
  create(record: ConversationRecord, items: readonly InputItemResource[]): Promise<void>;
  get(id: string): Promise<ConversationRecord | undefined>;
  /** The record with its metadata replaced; undefined when there is none. */
  update(id: string, metadata: Record<string, string>): Promise<ConversationRecord | undefined>;
  /** True when there was something to delete. */
  delete(id: string): Promise<boolean>;
  /** Every item, oldest first (the caller's own copy); undefined when the conversation is gone. */
  items(id: string): Promise<InputItemResource[] | undefined>;
  /**
   * Every item as held, not to be changed: for an answer that only shows some of them (a page, one
   * item), where a copy of 10,000 items would cost the thread tens of milliseconds.
   */
  view(id: string): Promise<readonly InputItemResource[] | undefined>;
  /** Adds items at the end, all or none. */
  append(id: string, items: readonly InputItemResource[]): Promise<AppendResult>;
  /** True when the item was there. */
  deleteItem(id: string, itemId: string): Promise<boolean>;
  /** The conversation for one response, for `ms` at most; undefined while another holds it. */
  lock(id: string, ms: number): Promise<ConversationLock | undefined>;
  close(): void;
}

/** A first item id that is given twice: in `items`, or in `items` and `held`. */
export function duplicateId(items: readonly InputItemResource[], held?: ReadonlySet<string>): string | undefined {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id) || held?.has(item.id)) return item.id;
    seen.add(item.id);
  }
  return undefined;
}

interface Held {
  record: ConversationRecord;
  items: InputItemResource[];
  ids: Set<string>;
  /** What the budget counts: the record's and the items' UTF-8 JSON, and a fixed share for the entry itself. */
  bytes: number;
  expiresAt: number;
}

/** What an entry costs beyond its JSON (the map's entry, the record and item objects, the id set). */
const ENTRY_BYTES = 512;
const ITEM_BYTES = 64;
const sizeOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");
const itemsSize = (items: readonly InputItemResource[]) => {
  let bytes = 0;
  for (const item of items) bytes += sizeOf(item) + ITEM_BYTES;
  return bytes;
};

/**
 * Conversations in this process: a map in last-change order, bounded by `maxBytes` (every
 * conversation counts, its record and items; the least recently changed go first beyond it, and
 * expired ones as they come to the front), with no conversation above a quarter of it or
 * `MAX_CONVERSATION_ITEMS` items. Records and items are copied in and out, as a store that serialises
 * them would. Locks are this process's.
 */
export class MemoryConversationStore implements ConversationStore {
  readonly #held = new Map<string, Held>();
  readonly #locks = new Map<string, { token: symbol; expiresAt: number }>();
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
    // As an append: no conversation takes more than a quarter of the store (one would otherwise evict every other).
    const bytes = ENTRY_BYTES + sizeOf(record) + itemsSize(items);
    if (bytes > this.#maxBytes / 4) {
      throw new InvalidRequestError(
        `The conversation's items take ${bytes} bytes, more than a conversation holds in memory (a quarter of RESPONSES_MEMORY_MB: ${Math.floor(this.#maxBytes / 4)} bytes). Send fewer or smaller items.`,
        { param: "items", code: "conversation_full" },
      );
    }
    this.#drop(record.id);
    const held: Held = {
      record: structuredClone(record),
      items: structuredClone([...items]),
      ids: new Set(items.map((item) => item.id)),
      bytes,
      expiresAt: 0,
    };
    this.#touch(record.id, held);
  }

  async get(id: string): Promise<ConversationRecord | undefined> {
    const held = this.#live(id);
    return held && structuredClone(held.record);
  }

  async update(id: string, metadata: Record<string, string>): Promise<ConversationRecord | undefined> {
    const held = this.#live(id);
    if (!held) return undefined;
    const before = sizeOf(held.record);
    held.record.metadata = { ...metadata };
    this.#resize(held, sizeOf(held.record) - before);
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

  async view(id: string): Promise<readonly InputItemResource[] | undefined> {
    return this.#live(id)?.items;
  }

  async append(id: string, items: readonly InputItemResource[]): Promise<AppendResult> {
    const held = this.#live(id);
    if (!held) return { ok: false, reason: "missing" };
    const duplicate = duplicateId(items, held.ids);
    if (duplicate !== undefined) return { ok: false, reason: "duplicate", id: duplicate };
    const added = itemsSize(items);
    if (held.items.length + items.length > MAX_CONVERSATION_ITEMS || held.bytes + added > this.#maxBytes / 4) return { ok: false, reason: "full" };
    for (const item of items) {
      held.items.push(structuredClone(item));
      held.ids.add(item.id);
    }
    this.#resize(held, added);
    this.#touch(id, held);
    return { ok: true };
  }

  async deleteItem(id: string, itemId: string): Promise<boolean> {
    const held = this.#live(id);
    if (!held?.ids.has(itemId)) return false;
    const at = held.items.findIndex((item) => item.id === itemId);
    const [gone] = held.items.splice(at, 1);
    held.ids.delete(itemId);
    this.#resize(held, -(sizeOf(gone) + ITEM_BYTES));
    this.#touch(id, held);
    return true;
  }

  async lock(id: string, ms: number): Promise<ConversationLock | undefined> {
    const now = this.#now();
    const held = this.#locks.get(id);
    if (held && held.expiresAt > now) return undefined;
    const token = Symbol(id);
    this.#locks.set(id, { token, expiresAt: now + ms });
    return {
      release: async () => {
        if (this.#locks.get(id)?.token === token) this.#locks.delete(id);
      },
    };
  }

  close(): void {
    this.#held.clear();
    this.#locks.clear();
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

  #resize(held: Held, by: number): void {
    held.bytes += by;
    if (this.#held.get(held.record.id) === held) this.#bytes += by;
  }

  /** Marks a change: the conversation moves to the newest end, its TTL starts again, and the oldest (or expired) go while over budget. */
  #touch(id: string, held: Held): void {
    if (this.#held.delete(id)) this.#bytes -= held.bytes;
    const now = this.#now();
    held.expiresAt = now + this.#ttlMs;
    this.#held.set(id, held);
    this.#bytes += held.bytes;
    for (const [oldest, entry] of this.#held) {
      if (oldest === id || (this.#bytes <= this.#maxBytes && entry.expiresAt > now)) break;
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
