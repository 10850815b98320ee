import type { InputItemResource } from "../response-schema.ts";
import type { RedisHang } from "../../../redis-hang.ts";
import { RedisConnection } from "./redis-connection.ts";
import { type ConditionalPut, itemsThroughResponses, type ResponseStore, type StoredResponse, storedJson } from "./response-store.ts";

const KEY_PREFIX = "ollaix:responses:";

/**
 * An id of the form this gateway makes (`resp_` and letters, digits, `_`, `-`): any other names no
 * stored response and is never made into a key, whose namespace it shares with the run channel's
 * (`ollaix:responses:events:<id>`: `GET /v1/responses/events:<id>` read another key's run's set, a
 * 503 WRONGTYPE; a security probe).
 */
const isResponseId = (id: string): boolean => /^resp_[A-Za-z0-9_-]+$/.test(id);

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
 * item-ids.ts). Every replica pointed at the same Redis sees them all.
 * An unreachable Redis is a 503 `state_unavailable` for the requests that need the store, at once;
 * the URL (it may hold a password) is never put in a message.
 */
export class RedisResponseStore implements ResponseStore {
  readonly #ttl: string;
  readonly #redis: RedisConnection;
  #isTimeRefused = false;

  constructor(url: string, ttlSeconds: number, timeoutMs?: number, hang?: RedisHang) {
    this.#ttl = String(ttlSeconds);
    this.#redis = new RedisConnection(url, "The response store (Redis)", timeoutMs, hang);
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    if (!isResponseId(id)) return undefined;
    const text = await this.#redis.call((c) => c.get(KEY_PREFIX + id));
    return text === null ? undefined : (JSON.parse(text) as StoredResponse);
  }

  readonly keepsChains = true;

  async put(value: StoredResponse, responseJson?: string): Promise<void> {
    const chain = value.chain;
    await this.#redis.call((c) => {
      const set = c.send("SET", [KEY_PREFIX + value.response.id, storedJson(value, responseJson), "EX", this.#ttl]);
      if (chain === undefined) return set;
      // The responses it links to live as long as it does (sent in the same round: Bun pipelines them).
      return Promise.all([set, ...chain.map((id) => c.send("EXPIRE", [KEY_PREFIX + id, this.#ttl]))]);
    });
  }

  async getMany(ids: readonly string[]): Promise<(StoredResponse | undefined)[]> {
    if (ids.length === 0) return [];
    const texts = (await this.#redis.call((c) => c.send("MGET", ids.map((id) => KEY_PREFIX + (isResponseId(id) ? id : "-"))))) as (string | null)[];
    return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as StoredResponse)));
  }

  async putIfRunning(entry: StoredResponse): Promise<ConditionalPut> {
    const key = KEY_PREFIX + entry.response.id;
    return String(await this.#redis.call((c) => c.send("EVAL", [PUT_IF_RUNNING, "1", key, storedJson(entry), this.#ttl, entry.response.status])));
  }

  getItems(ids: readonly string[], owner: string | undefined): Promise<(InputItemResource | undefined)[]> {
    return itemsThroughResponses((responseIds) => this.getMany(responseIds), ids, owner);
  }

  async delete(id: string): Promise<boolean> {
    if (!isResponseId(id)) return false;
    return Number(await this.#redis.call((c) => c.send("DEL", [KEY_PREFIX + id]))) > 0;
  }

  /**
   * Redis's TIME; from the first refusal on (an ACL without `@fast`: NOPERM, or a server without the
   * command), this process's clock. Redis away is the 503 the write or read that wanted it would
   * have met anyway: never a lease in one clock read in the other.
   */
  async now(): Promise<number> {
    if (this.#isTimeRefused) return Date.now();
    try {
      const [seconds, micros] = (await this.#redis.call((c) => c.send("TIME", []))) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    } catch (error) {
      if (!/NOPERM|unknown command/i.test(String((error as { cause?: unknown }).cause ?? error))) throw error;
      this.#isTimeRefused = true;
      return Date.now();
    }
  }

  close(): void {
    this.#redis.close();
  }
}
