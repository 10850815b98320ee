import { RedisClient } from "bun";
import { UpstreamUnavailableError } from "../../../errors.ts";

/**
 * One lazily opened connection to `REDIS_URL` for the Responses surface's shared state. Bun's
 * client, left to itself, queues commands while Redis is away and retries the connection in the
 * background (a request would hang); so queueing and reconnecting are off, and a lost connection is
 * replaced by a new one on the next command. A failed command is a 503 `state_unavailable`; the URL
 * (it may hold a password) is never put in a message.
 */
export class RedisConnection {
  readonly #url: string;
  /** What is unreachable, for the error's message ("The response store (Redis)"). */
  readonly #what: string;
  #client: RedisClient | undefined;
  #connecting: Promise<RedisClient> | undefined;
  #closed = false;

  constructor(url: string, what: string) {
    this.#url = url;
    this.#what = what;
  }

  /** Runs `command` on the connection (opened first if need be). */
  async call<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await command(await this.#connected());
    } catch (error) {
      throw new UpstreamUnavailableError(`${this.#what} is unreachable.`, { cause: error, code: "state_unavailable" });
    }
  }

  /** For good: a command after it fails (503) instead of opening a connection nobody closes. */
  close(): void {
    this.#closed = true;
    this.#client?.close();
    this.#client = undefined;
  }

  #connected(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new Error("the connection is closed"));
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
}
