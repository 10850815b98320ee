import { RedisClient } from "bun";
import { UpstreamUnavailableError } from "../../../errors.ts";
import type { ResponseStore, StoredResponse } from "./response-store.ts";

const KEY_PREFIX = "ollaix:responses:";

/**
 * Stored responses in Redis (`REDIS_URL`), one JSON value per response, written with `SET … EX` so
 * Redis itself expires them after the TTL. Every replica pointed at the same Redis sees them all.
 * An unreachable Redis is a 503 for the requests that need the store; the URL (it may hold a
 * password) is never put in a message.
 */
export class RedisResponseStore implements ResponseStore {
  readonly #client: RedisClient;
  readonly #ttl: string;

  constructor(url: string, ttlSeconds: number) {
    this.#client = new RedisClient(url, { connectionTimeout: 2_000, maxRetries: 3 });
    this.#ttl = String(ttlSeconds);
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const text = await this.#call(() => this.#client.get(KEY_PREFIX + id));
    return text === null ? undefined : (JSON.parse(text) as StoredResponse);
  }

  async put(value: StoredResponse): Promise<void> {
    await this.#call(() => this.#client.send("SET", [KEY_PREFIX + value.response.id, JSON.stringify(value), "EX", this.#ttl]));
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#call(() => this.#client.del(KEY_PREFIX + id))) > 0;
  }

  close(): void {
    this.#client.close();
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new UpstreamUnavailableError("The response store (Redis) is unreachable.", { cause: error, code: "state_unavailable" });
    }
  }
}
