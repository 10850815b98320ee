import type { InputItemResource } from "../openai-responses/response-schema.ts";
import type { RedisHang } from "../../redis-hang.ts";
import { RedisConnection } from "../openai-responses/store/redis-connection.ts";
import { type AppendResult, type ConversationLock, type ConversationRecord, type ConversationStore, duplicateId, MAX_CONVERSATION_ITEMS } from "./conversation-store.ts";

/** A conversation's keys, in one hash slot (`{id}`) so the scripts below also run on a cluster. */
const recordKey = (id: string) => `ollaix:conversations:{${id}}`;
const itemsKey = (id: string) => `ollaix:conversations:{${id}}:items`;
const idsKey = (id: string) => `ollaix:conversations:{${id}}:ids`;
const lockKey = (id: string) => `ollaix:conversations:{${id}}:lock`;
const keysOf = (id: string) => [recordKey(id), itemsKey(id), idsKey(id)];

/**
 * KEYS: record, items, ids; ARGV: TTL, the most items, then pairs of an item's id and its JSON.
 * Adds them all if the conversation is there, has room, and has none of their ids: 'ok', else
 * 'missing', 'full' or 'duplicate:<id>'. One call per item (no unpack of many arguments).
 */
const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local n = (#ARGV - 2) / 2
if redis.call('LLEN', KEYS[2]) + n > tonumber(ARGV[2]) then return 'full' end
for i = 3, #ARGV, 2 do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then return 'duplicate:' .. ARGV[i] end
end
for i = 3, #ARGV, 2 do
  redis.call('SADD', KEYS[3], ARGV[i])
  redis.call('RPUSH', KEYS[2], ARGV[i + 1])
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 'ok'`;

/** KEYS: record, items, ids; ARGV: TTL, the record's JSON, then pairs of an item's id and its JSON. */
const CREATE = `
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
for i = 3, #ARGV, 2 do
  redis.call('SADD', KEYS[3], ARGV[i])
  redis.call('RPUSH', KEYS[2], ARGV[i + 1])
end
for i = 2, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 1`;

/**
 * KEYS: record, items, ids; ARGV: TTL, the item's id, the start of its JSON (`{"id":<id>,`: every
 * item is written with its id first). Removes it (1), else 0. The id set answers "not there" at
 * once; the list is scanned by prefix, never decoded.
 */
const DELETE_ITEM = `
if redis.call('SREM', KEYS[3], ARGV[2]) == 0 then return 0 end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
local prefix = ARGV[3]
for _, text in ipairs(items) do
  if string.sub(text, 1, #prefix) == prefix then
    redis.call('LREM', KEYS[2], 1, text)
    break
  end
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 1`;

/** KEYS: record, items, ids; ARGV: TTL, the record's new JSON. Replaces it if it is there (1), else 0. */
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
for i = 2, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 1`;

/** KEYS: lock; ARGV: its token. Deletes the lock if it is still this holder's. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** KEYS: lock; ARGV: its token, a lifetime (ms). Extends the lock if it is still this holder's. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/**
 * A lock in Redis lapses this long after its holder last renewed it (every third of it, while the
 * turn runs): a replica that dies mid-turn (a crash, a kill) frees its conversation within it, not
 * after the turn's longest time.
 */
export const LOCK_LEASE_MS = 30_000;

/** An item's JSON with its id first (DELETE_ITEM finds it by that prefix), and that prefix. */
const itemJson = ({ id, ...rest }: InputItemResource) => JSON.stringify({ id, ...rest });
const itemPrefix = (id: string) => `{"id":${JSON.stringify(id)},`;
const itemArgs = (items: readonly InputItemResource[]) => items.flatMap((item) => [item.id, itemJson(item)]);

/**
 * Conversations in Redis (`REDIS_URL`): the record as one JSON value, the items as a list of JSON
 * values in order with a set of their ids, all expiring `CONVERSATIONS_TTL_S` after the last change
 * (each change sets the TTL again, in the same script); at most `MAX_CONVERSATION_ITEMS` items.
 * Every replica sees every conversation and its lock; an unreachable Redis is a 503
 * `state_unavailable` for the requests that need it.
 */
export class RedisConversationStore implements ConversationStore {
  readonly #ttl: string;
  readonly #redis: RedisConnection;
  readonly #lockLeaseMs: number;
  /** The renewals of the locks this replica holds. */
  readonly #renewals = new Set<ReturnType<typeof setInterval>>();

  constructor(url: string, ttlSeconds: number, timeoutMs?: number, lockLeaseMs = LOCK_LEASE_MS, hang?: RedisHang) {
    this.#ttl = String(ttlSeconds);
    this.#redis = new RedisConnection(url, "The conversation store (Redis)", timeoutMs, hang);
    this.#lockLeaseMs = lockLeaseMs;
  }

  async create(record: ConversationRecord, items: readonly InputItemResource[]): Promise<void> {
    await this.#eval(CREATE, record.id, [this.#ttl, JSON.stringify(record), ...itemArgs(items)]);
  }

  async get(id: string): Promise<ConversationRecord | undefined> {
    const text = await this.#redis.call((c) => c.get(recordKey(id)));
    return text === null ? undefined : (JSON.parse(text) as ConversationRecord);
  }

  async update(id: string, metadata: Record<string, string>): Promise<ConversationRecord | undefined> {
    const record = await this.get(id);
    if (!record) return undefined;
    const next = { ...record, metadata };
    return Number(await this.#eval(UPDATE, id, [this.#ttl, JSON.stringify(next)])) === 1 ? next : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.#redis.call((c) => c.send("DEL", [recordKey(id)]));
    await this.#redis.call((c) => c.send("DEL", [itemsKey(id), idsKey(id)]));
    return Number(deleted) > 0;
  }

  async items(id: string): Promise<InputItemResource[] | undefined> {
    const [record, texts] = await Promise.all([this.#redis.call((c) => c.send("EXISTS", [recordKey(id)])), this.#redis.call((c) => c.send("LRANGE", [itemsKey(id), "0", "-1"]))]);
    if (Number(record) === 0) return undefined;
    return (texts as string[]).map((text) => JSON.parse(text) as InputItemResource);
  }

  /** Read from Redis each time: already the caller's own. */
  view(id: string): Promise<readonly InputItemResource[] | undefined> {
    return this.items(id);
  }

  async append(id: string, items: readonly InputItemResource[]): Promise<AppendResult> {
    // An id given twice in the add itself (the script checks those the conversation holds).
    const twice = duplicateId(items);
    if (twice !== undefined) return { ok: false, reason: "duplicate", id: twice };
    const answer = String(await this.#eval(APPEND, id, [this.#ttl, String(MAX_CONVERSATION_ITEMS), ...itemArgs(items)]));
    if (answer === "ok") return { ok: true };
    if (answer.startsWith("duplicate:")) return { ok: false, reason: "duplicate", id: answer.slice("duplicate:".length) };
    return { ok: false, reason: answer === "full" ? "full" : "missing" };
  }

  async deleteItem(id: string, itemId: string): Promise<boolean> {
    return Number(await this.#eval(DELETE_ITEM, id, [this.#ttl, itemId, itemPrefix(itemId)])) === 1;
  }

  async lock(id: string, ms: number): Promise<ConversationLock | undefined> {
    const token = crypto.randomUUID();
    const lease = Math.min(ms, this.#lockLeaseMs);
    const taken = await this.#redis.call((c) => c.send("SET", [lockKey(id), token, "NX", "PX", String(lease)]));
    if (taken === null) return undefined;
    // Renewed until released, for `ms` at most; a renewal that fails (Redis away) is tried again at the next.
    const until = Date.now() + ms;
    let renewal: ReturnType<typeof setInterval> | undefined;
    const stop = () => {
      clearInterval(renewal);
      this.#renewals.delete(renewal!);
    };
    if (lease < ms) {
      renewal = setInterval(() => {
        const left = until - Date.now();
        if (left <= 0) return stop();
        void this.#redis.call((c) => c.send("EVAL", [RENEW, "1", lockKey(id), token, String(Math.min(lease, left))])).catch(() => undefined);
      }, lease / 3);
      renewal.unref();
      this.#renewals.add(renewal);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        stop();
        await this.#redis.call((c) => c.send("EVAL", [UNLOCK, "1", lockKey(id), token])).catch(() => undefined); // it lapses on its own otherwise
      },
    };
  }

  close(): void {
    for (const renewal of this.#renewals) clearInterval(renewal);
    this.#renewals.clear();
    this.#redis.close();
  }

  #eval(script: string, id: string, args: string[]): Promise<unknown> {
    return this.#redis.call((c) => c.send("EVAL", [script, "3", ...keysOf(id), ...args]));
  }
}
