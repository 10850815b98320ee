import { RedisClient } from "bun";
import { UpstreamUnavailableError } from "../../../errors.ts";
import type { InputItemResource } from "../response-schema.ts";
import { type ConditionalPut, itemsThroughResponses, type ResponseStore, type StoredResponse, storedJson } from "./response-store.ts";

const KEY_PREFIX = "ollaix:responses:";

/** `putIfRunning` in one step on the server (response-store.ts `mayReplace`): KEYS[1], ARGV = the entry, the TTL, its status. */
const PUT_IF_RUNNING = `
local stored = redis.call('GET', KEYS[1])
if not stored then return 'missing' end
local ok, entry = pcall(cjson.decode, stored)
local status = ok and type(entry) == 'table' and type(entry.response) == 'table' and entry.response.status or 'unknown'
if status == 'queued' or status == 'in_progress' or (status == 'cancelled' and ARGV[3] == 'cancelled') then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 'written'
end
return tostring(status)`;

/**
 * Stored responses in Redis (`REDIS_URL`), one JSON value per response, written with `SET … EX` so
 * Redis itself expires them after the TTL (output items are found through their response: see
 * item-ids.ts)
 * Redis itself expires them after the TTL. Every replica pointed at the same Redis sees them all.
 * An unreachable Redis is a 503 `state_unavailable` for the requests that need the store, at once;
 * the URL (it may hold a password) is never put in a message.
 */
export class RedisResponseStore implements ResponseStore {
  readonly #url: string;
  readonly #ttl: string;
  #client: RedisClient | undefined;
  #connecting: Promise<RedisClient> | undefined;
  #closed = false;

  constructor(url: string, ttlSeconds: number) {
    this.#url = url;
    this.#ttl = String(ttlSeconds);
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const text = await this.#call((c) => c.get(KEY_PREFIX + id));
    return text === null ? undefined : (JSON.parse(text) as StoredResponse);
  }

  async put(value: StoredResponse, responseJson?: string): Promise<void> {
    await this.#call((c) => c.send("SET", [KEY_PREFIX + value.response.id, storedJson(value, responseJson), "EX", this.#ttl]));
  }

  async putIfRunning(entry: StoredResponse): Promise<ConditionalPut> {
    const key = KEY_PREFIX + entry.response.id;
    return String(await this.#call((c) => c.send("EVAL", [PUT_IF_RUNNING, "1", key, storedJson(entry), this.#ttl, entry.response.status])));
  }

  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]> {
    return itemsThroughResponses(async (responseIds) => {
      const texts = (await this.#call((c) => c.send("MGET", responseIds.map((id) => KEY_PREFIX + id)))) as (string | null)[];
      return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as StoredResponse)));
    }, ids, owner);
  }

  async delete(id: string): Promise<boolean> {
    return Number(await this.#call((c) => c.send("DEL", [KEY_PREFIX + id]))) > 0;
  }

  /** For good: a command after it fails (503) instead of opening a connection nobody closes. */
  close(): void {
    this.#closed = true;
    this.#client?.close();
    this.#client = undefined;
  }

  /**
   * Bun's client, left to itself, queues commands while Redis is away and retries the connection in
   * the background (a request would hang); so queueing and reconnecting are off, and a lost
   * connection is replaced by a new one on the next command.
   */
  #connected(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new Error("the response store is closed"));
    if (this.#client?.connected) return Promise.resolve(this.#client);
    this.#connecting ??= (async () => {
      this.#client?.close();
      const client = new RedisClient(this.#url, { connectionTimeout: 2_000, enableOfflineQueue: false, autoReconnect: false });
      this.#client = client;
      try {
        await client.connect();
        return client;
      } finally {
        this.#connecting = undefined;
      }
    })();
    return this.#connecting;
  }

  async #call<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await command(await this.#connected());
    } catch (error) {
      throw new UpstreamUnavailableError("The response store (Redis) is unreachable.", { cause: error, code: "state_unavailable" });
    }
  }
}
