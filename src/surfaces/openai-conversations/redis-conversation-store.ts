import type { InputItemResource } from "../openai-responses/response-schema.ts";
import { RedisConnection } from "../openai-responses/store/redis-connection.ts";
import type { ConversationRecord, ConversationStore } from "./conversation-store.ts";

/** A conversation's two keys, in one hash slot (`{id}`) so the scripts below also run on a cluster. */
const recordKey = (id: string) => `ollaix:conversations:{${id}}`;
const itemsKey = (id: string) => `ollaix:conversations:{${id}}:items`;

/** KEYS: record, items; ARGV: TTL, then the items' JSON. Adds them if the conversation is there (1), else 0. */
const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 1 then redis.call('RPUSH', KEYS[2], unpack(ARGV, 2)) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1`;

/** KEYS: record, items; ARGV: TTL, the record's JSON, then the items' JSON. */
const CREATE = `
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
if #ARGV > 2 then
  redis.call('RPUSH', KEYS[2], unpack(ARGV, 3))
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return 1`;

/** KEYS: record, items; ARGV: TTL, the item's id. Removes the first item with that id (1), else 0. */
const DELETE_ITEM = `
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for _, text in ipairs(items) do
  local ok, item = pcall(cjson.decode, text)
  if ok and type(item) == 'table' and item.id == ARGV[2] then
    redis.call('LREM', KEYS[2], 1, text)
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    redis.call('EXPIRE', KEYS[2], ARGV[1])
    return 1
  end
end
return 0`;

/** KEYS: record, items; ARGV: TTL, the record's new JSON. Replaces it if it is there (1), else 0. */
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1`;

/**
 * Conversations in Redis (`REDIS_URL`): the record as one JSON value, the items as a list of JSON
 * values in order, both expiring `CONVERSATIONS_TTL_S` after the last change (each change sets the
 * TTL again, in the same script). Every replica sees every conversation; an unreachable Redis is a
 * 503 `state_unavailable` for the requests that need it.
 */
export class RedisConversationStore implements ConversationStore {
  readonly #ttl: string;
  readonly #redis: RedisConnection;

  constructor(url: string, ttlSeconds: number) {
    this.#ttl = String(ttlSeconds);
    this.#redis = new RedisConnection(url, "The conversation store (Redis)");
  }

  async create(record: ConversationRecord, items: readonly InputItemResource[]): Promise<void> {
    const args = [CREATE, "2", recordKey(record.id), itemsKey(record.id), this.#ttl, JSON.stringify(record), ...items.map((item) => JSON.stringify(item))];
    await this.#redis.call((c) => c.send("EVAL", args));
  }

  async get(id: string): Promise<ConversationRecord | undefined> {
    const text = await this.#redis.call((c) => c.get(recordKey(id)));
    return text === null ? undefined : (JSON.parse(text) as ConversationRecord);
  }

  async update(id: string, metadata: Record<string, string>): Promise<ConversationRecord | undefined> {
    const record = await this.get(id);
    if (!record) return undefined;
    const next = { ...record, metadata };
    const written = await this.#redis.call((c) => c.send("EVAL", [UPDATE, "2", recordKey(id), itemsKey(id), this.#ttl, JSON.stringify(next)]));
    return Number(written) === 1 ? next : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.#redis.call((c) => c.send("DEL", [recordKey(id)]));
    await this.#redis.call((c) => c.send("DEL", [itemsKey(id)]));
    return Number(deleted) > 0;
  }

  async items(id: string): Promise<InputItemResource[] | undefined> {
    const [record, texts] = await Promise.all([this.#redis.call((c) => c.send("EXISTS", [recordKey(id)])), this.#redis.call((c) => c.send("LRANGE", [itemsKey(id), "0", "-1"]))]);
    if (Number(record) === 0) return undefined;
    return (texts as string[]).map((text) => JSON.parse(text) as InputItemResource);
  }

  async append(id: string, items: readonly InputItemResource[]): Promise<boolean> {
    const args = [APPEND, "2", recordKey(id), itemsKey(id), this.#ttl, ...items.map((item) => JSON.stringify(item))];
    return Number(await this.#redis.call((c) => c.send("EVAL", args))) === 1;
  }

  async deleteItem(id: string, itemId: string): Promise<boolean> {
    return Number(await this.#redis.call((c) => c.send("EVAL", [DELETE_ITEM, "2", recordKey(id), itemsKey(id), this.#ttl, itemId]))) === 1;
  }

  close(): void {
    this.#redis.close();
  }
}
