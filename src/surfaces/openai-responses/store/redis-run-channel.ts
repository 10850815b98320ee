import { RedisClient } from "bun";
import { UpstreamUnavailableError } from "../../../errors.ts";
import type { RunChannel, StopKind } from "../run-channel.ts";
import type { StoredResponse } from "./response-store.ts";
import { RedisConnection } from "./redis-connection.ts";

/** A run's frames: a Redis list (index = `sequence_number`), and a channel of the same name that says when it grew. */
const EVENTS_PREFIX = "ollaix:responses:events:";
/** Stops for whichever replica runs the response: `cancel:<id>` or `delete:<id>`. */
const STOPS = "ollaix:responses:stops";
/** Pushed after a run's last frame (a frame is never empty). */
const END = "";
/** A run's frames stay this long after its last one, as a finished run's do on its own replica (background.ts). */
const EVENTS_TTL_S = "300";
/** A follower reads again this often when no notice came (one lost with a dropped subscriber connection). */
const POLL_MS = 1_000;
const TERMINAL = /^event: response\.(completed|incomplete|failed)\n/;

const utf8 = new TextEncoder();

/** The frames not yet sent of one run, and whether a write of them is under way. */
interface Outbox {
  frames: string[];
  isWriting: boolean;
  written: Promise<void>;
}

/**
 * The run channel over Redis (`REDIS_URL`). A running replica pushes each batch of frames with one
 * `RPUSH` (frames that come while one is under way wait and go together, so a fast stream costs a
 * round trip per batch, not per event), renews the list's expiry, and publishes a notice; a
 * follower on another replica subscribes to the notices, reads what is new with `LRANGE`, and reads
 * again every second whatever happens, so a lost notice only delays it. Stops go through one channel
 * every replica with background runs listens to. Connections open only once a background response
 * needs them: one for commands, one for subscriptions.
 */
export class RedisRunChannel implements RunChannel {
  readonly #url: string;
  readonly #redis: RedisConnection;
  readonly #onError: (message: string) => void;
  readonly #outboxes = new Map<string, Outbox>();
  #subscriber: Promise<RedisClient> | undefined;
  #stopHandler: ((id: string, kind: StopKind) => void) | undefined;
  /** The subscriber connection the stops are subscribed on. */
  #stopsOn: RedisClient | undefined;
  #closed = false;
  /** How often a follower whose run sends nothing asks the store whether it still runs. */
  readonly #checkMs: number;

  constructor(url: string, onError: (message: string) => void = () => {}, options: { checkMs?: number } = {}) {
    this.#url = url;
    this.#redis = new RedisConnection(url, "Shared state (Redis)");
    this.#onError = onError;
    this.#checkMs = options.checkMs ?? 20_000;
  }

  append(id: string, frames: readonly string[]): void {
    if (this.#closed || frames.length === 0) return;
    let box = this.#outboxes.get(id);
    if (!box) this.#outboxes.set(id, (box = { frames: [], isWriting: false, written: Promise.resolve() }));
    for (const frame of frames) box.frames.push(frame);
    if (!box.isWriting) box.written = this.#write(id, box);
  }

  end(id: string): void {
    this.append(id, [END]);
  }

  discard(id: string): void {
    const box = this.#outboxes.get(id);
    if (box) box.frames = [];
    this.#outboxes.delete(id);
    void this.#redis.call((c) => c.send("DEL", [EVENTS_PREFIX + id])).catch((error) => this.#failed("could not drop a response's events", id, error));
  }

  async #write(id: string, box: Outbox): Promise<void> {
    box.isWriting = true;
    const key = EVENTS_PREFIX + id;
    while (box.frames.length > 0 && this.#outboxes.get(id) === box) {
      const frames = box.frames;
      box.frames = [];
      try {
        // One connection, so Redis runs the three in this order: the notice comes after the frames.
        await this.#redis.call((c) => Promise.all([c.send("RPUSH", [key, ...frames]), c.send("EXPIRE", [key, EVENTS_TTL_S]), c.publish(key, "1")]));
      } catch (error) {
        this.#failed("could not share a background response's events", id, error);
      }
      if (frames.at(-1) === END) this.#outboxes.delete(id);
    }
    box.isWriting = false;
  }

  async follow(id: string, after: number, stored: () => Promise<StoredResponse | undefined>): Promise<ReadableStream<Uint8Array> | undefined> {
    const key = EVENTS_PREFIX + id;
    if (Number(await this.#redis.call((c) => c.send("LLEN", [key]))) === 0) return undefined;
    let wake: (() => void) | undefined;
    let isNoticed = false;
    const notice = () => {
      isNoticed = true;
      wake?.();
    };
    let subscriber: RedisClient;
    try {
      subscriber = await this.#subscribed();
      await subscriber.subscribe(key, notice);
    } catch (error) {
      throw new UpstreamUnavailableError("Shared state (Redis) is unreachable.", { cause: error, code: "state_unavailable" });
    }
    let isOver = false;
    const leave = () => {
      if (isOver) return;
      isOver = true;
      wake?.();
      if (subscriber.connected) subscriber.unsubscribe(key, notice).catch(() => undefined);
    };
    let next = Math.max(0, after + 1);
    let lastFrame = "";
    let checkedAt = Date.now();
    /** How many checks in a row found the run no longer running with nothing new. */
    let stale = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          while (!isOver) {
            isNoticed = false;
            const frames = (await this.#redis.call((c) => c.send("LRANGE", [key, String(next), "-1"]))) as string[];
            const end = frames.indexOf(END);
            const sent = end === -1 ? frames : frames.slice(0, end);
            if (sent.length > 0) {
              next += sent.length;
              lastFrame = sent.at(-1)!;
              stale = 0;
              controller.enqueue(utf8.encode(sent.join("")));
            }
            if (end !== -1) break;
            if (sent.length > 0) return;
            if (Date.now() - checkedAt >= this.#checkMs) {
              checkedAt = Date.now();
              const entry = await stored();
              const status = entry?.response.status;
              if (status === "queued" || status === "in_progress") stale = 0;
              else if (++stale >= 2) {
                // Its replica stored an end (or it is gone) and sends nothing more: it stopped before
                // its stream's last event. Followers end as its stream would have, with the response.
                if (entry && status === "failed" && !TERMINAL.test(lastFrame)) controller.enqueue(utf8.encode(failedEvent(entry, next)));
                break;
              }
            }
            if (!isNoticed) {
              let timer: Timer | undefined;
              await new Promise<void>((resolve) => {
                wake = resolve;
                timer = setTimeout(resolve, Math.min(POLL_MS, this.#checkMs));
              });
              clearTimeout(timer);
            }
            wake = undefined;
          }
          leave();
          controller.close();
        } catch (error) {
          const hasLeft = isOver;
          leave();
          this.#failed("could not follow a background response's events", id, error);
          if (hasLeft) return;
          // As the surface's own stream ends after a failure past its start (OpenAI's `error` event).
          const message = "Shared state (Redis) is unreachable: the stream cannot be followed further.";
          controller.enqueue(utf8.encode(`event: error\ndata: ${JSON.stringify({ type: "error", code: "state_unavailable", message, param: null, sequence_number: next })}\n\n`));
          controller.close();
        }
      },
      cancel: leave,
    });
  }

  async stop(id: string, kind: StopKind): Promise<void> {
    await this.#redis.call((c) => c.publish(STOPS, `${kind}:${id}`));
  }

  onStop(handler: (id: string, kind: StopKind) => void): void {
    if (this.#stopHandler) return;
    this.#stopHandler = handler;
    this.#subscribed()
      .then((client) => this.#listenForStops(client))
      .catch((error) => this.#failed("could not listen for stops", "", error));
  }

  /** Subscribes `client` to the stops, once. */
  async #listenForStops(client: RedisClient): Promise<void> {
    const handler = this.#stopHandler;
    if (!handler || this.#stopsOn === client) return;
    this.#stopsOn = client;
    await client.subscribe(STOPS, (message) => stopOf(message, handler));
  }

  async close(waitMs = 1_000): Promise<void> {
    const writing = [...this.#outboxes.values()].map((box) => box.written);
    if (writing.length > 0) await Promise.race([Promise.all(writing), Bun.sleep(waitMs)]);
    this.#closed = true;
    this.#outboxes.clear();
    this.#redis.close();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    subscriber?.then((client) => client.close()).catch(() => undefined);
  }

  /**
   * The subscriber connection, listening for stops once a handler is set. A dropped one is replaced
   * (followers poll meanwhile), and the stop channel subscribed again a second later.
   */
  #subscribed(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new Error("the run channel is closed"));
    this.#subscriber ??= (async () => {
      const client = new RedisClient(this.#url, { connectionTimeout: 2_000, enableOfflineQueue: false, autoReconnect: false });
      client.onclose = () => {
        if (this.#closed) return;
        this.#subscriber = undefined;
        if (this.#stopHandler) {
          setTimeout(() => {
            this.#subscribed()
              .then((next) => this.#listenForStops(next))
              .catch((error) => this.#failed("could not listen for stops", "", error));
          }, 1_000).unref();
        }
      };
      try {
        await client.connect();
        await this.#listenForStops(client);
        return client;
      } catch (error) {
        this.#subscriber = undefined;
        client.close();
        throw error;
      }
    })();
    return this.#subscriber;
  }

  #failed(what: string, id: string, error: unknown): void {
    this.#onError(`${what}${id ? ` (${id})` : ""}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function stopOf(message: string, handler: (id: string, kind: StopKind) => void): void {
  const colon = message.indexOf(":");
  const kind = message.slice(0, colon);
  if (kind === "cancel" || kind === "delete") handler(message.slice(colon + 1), kind);
}

/** `response.failed` for a run whose replica died, with the response as the store reads it (its lease lapsed). */
const failedEvent = (entry: StoredResponse, sequence: number): string =>
  `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response: entry.response, sequence_number: sequence })}\n\n`;
