import { RedisClient } from "bun";
import { REDIS_TIMEOUT_DEFAULT_MS } from "../../../config.ts";
import { within } from "../../../deadline.ts";
import { UpstreamUnavailableError } from "../../../errors.ts";
import type { RedisHang } from "../../../redis-hang.ts";
import { isUnreachable } from "../../../limits/redis-errors.ts";

class Unanswered extends Error {}

/**
 * Whether a store's error is a command Redis left unanswered for REDIS_TIMEOUT_MS (it hangs, or the
 * path to it drops packets), not a connection lost or refused: asked again, it waits as long again.
 */
export const wentUnanswered = (error: unknown): boolean => error instanceof UpstreamUnavailableError && error.cause instanceof Unanswered;

/**
 * One lazily opened connection to `REDIS_URL` for the Responses surface's shared state. Bun's
 * client, left to itself, queues commands while Redis is away and retries the connection in the
 * background (a request would hang); so queueing and reconnecting are off, and a lost connection is
 * replaced by a new one on the next command. A command unanswered after `timeoutMs` (a Redis that
 * hangs, or a network path that drops packets, keeps the connection open) fails too, and its
 * connection is closed: the next command opens another, which may take as long to connect. A failed
 * command is a 503 `state_unavailable`; the URL (it may hold a password) is never put in a message.
 * Given the process's RedisHang, a command fails so at once while another connection's went
 * unanswered, and its own unanswered or answered commands tell the others.
 */
/** A reply error's code, the first word Redis gives it (`WRONGTYPE`, `OOM`, `ERR`). */
const replyCode = (error: unknown): string => /^[A-Z][A-Z_]*\b/.exec(String((error as { message?: unknown }).message ?? ""))?.[0] ?? "ERR";

export class RedisConnection {
  readonly #url: string;
  /** What is unreachable, for the error's message ("The response store (Redis)"). */
  readonly #what: string;
  #client: RedisClient | undefined;
  #connecting: Promise<RedisClient> | undefined;
  #closed = false;

  readonly #timeoutMs: number;
  readonly #hang: RedisHang | undefined;

  constructor(url: string, what: string, timeoutMs: number = REDIS_TIMEOUT_DEFAULT_MS, hang?: RedisHang) {
    this.#url = url;
    this.#what = what;
    this.#timeoutMs = timeoutMs;
    this.#hang = hang;
  }

  /** Runs `command` on the connection (opened first if need be). */
  async call<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#hang?.isHanging) throw this.#unanswered(new Unanswered());
    let client: RedisClient | undefined;
    try {
      // One deadline for the connection and the command: a hung Redis may take a connection and never greet it.
      const answer = await within(
        this.#connected().then((connected) => command((client = connected))),
        this.#timeoutMs,
        () => new Unanswered(),
      );
      this.#hang?.answered();
      return answer;
    } catch (error) {
      if (error instanceof Unanswered) {
        // The connection holds commands nobody answers: the next command opens another.
        if (this.#client === client) this.#client = undefined;
        client?.close();
        this.#hang?.unanswered();
        throw this.#unanswered(error);
      }
      // A reply error is Redis refusing this one command (its first word, e.g. WRONGTYPE, says why; the rest may quote data).
      if (!isUnreachable(error)) throw new UpstreamUnavailableError(`${this.#what} refused a command (${replyCode(error)}).`, { cause: error, code: "state_unavailable" });
      throw new UpstreamUnavailableError(`${this.#what} is unreachable.`, { cause: error, code: "state_unavailable" });
    }
  }

  #unanswered(cause: Unanswered): UpstreamUnavailableError {
    return new UpstreamUnavailableError(`${this.#what} did not answer within ${this.#timeoutMs} ms.`, { cause, code: "state_unavailable" });
  }

  /** Whether a connection is open (a half-open one too, until a command goes unanswered on it). */
  get connected(): boolean {
    return this.#client?.connected === true;
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
      const client = new RedisClient(this.#url, { connectionTimeout: this.#timeoutMs, enableOfflineQueue: false, autoReconnect: false });
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
