import { RedisClient } from "bun";
import { REDIS_TIMEOUT_DEFAULT_MS } from "../../../config.ts";
import { within } from "../../../deadline.ts";
import { UpstreamUnavailableError } from "../../../errors.ts";
import type { RedisHang } from "../../../redis-hang.ts";
import { isRunning } from "../response-lease.ts";
import type { RunChannel, StopKind } from "../run-channel.ts";
import type { StoredResponse } from "./response-store.ts";
import { RedisConnection } from "./redis-connection.ts";

/**
 * A run's frames: a sorted set scored by `sequence_number` (a frame holds its own number, so no two
 * are equal), and a channel of the same name that says when it grew or went.
 */
const EVENTS_PREFIX = "ollaix:responses:events:";
/** Stops for whichever replica runs the response: `cancel:<id>` or `delete:<id>`. */
const STOPS = "ollaix:responses:stops";
/** Scored after a run's last frame (a frame is never empty). */
const END = "";
/**
 * A run's frames stay this long after its last one, as a finished run's do on its own replica
 * (background.ts), and at least a minute longer than a stream may be silent (STREAM_IDLE_TIMEOUT_MS).
 */
const EVENTS_TTL_S = 300;
/** A follower reads again this often when no notice came (one lost with a dropped subscriber connection). */
const POLL_MS = 1_000;
/** How often a follower without notices tries to subscribe to them again. */
const RESUBSCRIBE_MS = 1_000;
/** How long a follower waits for a running response's first frames (its replica may still be opening its connection). */
const FIRST_FRAMES_MS = 1_000;
/**
 * How often the subscriber connection is asked PING. One the network left half-open stays open and
 * hears nothing, for many minutes: a cancel from another replica would wait for the lease renewal.
 */
const SUBSCRIBER_CHECK_MS = 5_000;
const TERMINAL = /^event: response\.(completed|incomplete|failed)\n/;

const utf8 = new TextEncoder();

/** The scored frames not yet sent of one run, and the write under way. */
interface Outbox {
  scored: string[];
  isWriting: boolean;
  written: Promise<void>;
}

/**
 * OpenAI's `error` stream event (ResponseErrorEvent), ending a follower's stream. It takes the
 * number of the next event, which the follower did not get: the message says where to resume.
 */
const errorEvent = (code: string, message: string, sequence: number): string =>
  `event: error\ndata: ${JSON.stringify({ type: "error", code, message, param: null, sequence_number: sequence })}\n\n`;

const LOST = "Some of this response's events were lost on their way through shared state (Redis): retrieve the response without 'stream' for its final state.";

/** `response.failed` for a run whose replica died, with the response as the store reads it (its lease lapsed). */
const failedEvent = (entry: StoredResponse, sequence: number): string =>
  `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response: entry.response, sequence_number: sequence })}\n\n`;

/**
 * The run channel over Redis (`REDIS_URL`). A running replica adds each batch of frames with one
 * `ZADD` scored by sequence number (frames that come while a write is under way wait and go
 * together, so a fast stream costs a round trip per batch, not per event), renews the set's expiry,
 * and publishes a notice; a follower on another replica subscribes to the notices, reads what is
 * new by score, and reads again every second whatever happens, so a lost notice only delays it.
 * Events lost on the way (a failed write, a Redis that lost its data) end a follower that misses
 * them with the `error` event (`events_lost`), never a silent gap or a stream cut short. Stops go
 * through one channel every replica with background runs listens to. Connections open only once a
 * background response needs them: one for commands, one for subscriptions.
 */
export class RedisRunChannel implements RunChannel {
  readonly #url: string;
  readonly #redis: RedisConnection;
  readonly #onError: (message: string) => void;
  readonly #outboxes = new Map<string, Outbox>();
  /** The followers reading here, each ended (with the `error` event) by `endFollowers`. */
  readonly #followers = new Set<() => void>();
  /** The followers' wake-ups, called when the subscriber connection drops: they read, and subscribe again, at once. */
  readonly #onLost = new Set<() => void>();
  #subscriber: Promise<RedisClient> | undefined;
  /** The subscriber connection's client from its opening on (`#subscriber` resolves only once the stops are subscribed). */
  #subscriberClient: RedisClient | undefined;
  #stopHandler: ((id: string, kind: StopKind) => void) | undefined;
  /** The first try to hear the stops, settled (`onStop`). */
  #listening: Promise<void> = Promise.resolve();
  /** The subscriber connection the stops are subscribed on. */
  #stopsOn: RedisClient | undefined;
  /** One log line an outage, for the stops and for the writes. */
  #stopsWarned = false;
  #writesWarned = false;
  #retry: Timer | undefined;
  /** When opening the subscriber connection last failed, and why: followers try once a second between them, not each on its own. */
  #openFailedAt = -Infinity;
  #openError: unknown;
  /** `endFollowers` was called: a follower that starts after it ends at once. */
  #isStopping = false;
  #closed = false;
  /** How often a follower whose run sends nothing asks the store whether it still runs. */
  readonly #checkMs: number;
  /** The events' expiry, seconds. */
  readonly #ttl: string;
  /**
   * How long the subscriber connection may take to connect, and a SUBSCRIBE or PING on it to be
   * answered (REDIS_TIMEOUT_MS), before it is taken for stalled (half-open, or a proxy that holds
   * pub/sub) and closed: `connect` alone has a time-out, and a background create waiting to hear
   * stops would wait forever.
   */
  readonly #timeoutMs: number;
  readonly #subscriberCheckMs: number;
  /** The subscriber connection's PINGs, while it is open. */
  #watch: Timer | undefined;

  constructor(
    url: string,
    onError: (message: string) => void = () => {},
    options: { checkMs?: number; streamIdleTimeoutMs?: number; timeoutMs?: number; subscriberCheckMs?: number; hang?: RedisHang } = {},
  ) {
    this.#url = url;
    this.#redis = new RedisConnection(url, "Shared state (Redis)", options.timeoutMs, options.hang);
    this.#onError = onError;
    this.#checkMs = options.checkMs ?? 5_000;
    this.#ttl = String(Math.max(EVENTS_TTL_S, Math.ceil((options.streamIdleTimeoutMs ?? 0) / 1000) + 60));
    this.#timeoutMs = options.timeoutMs ?? REDIS_TIMEOUT_DEFAULT_MS;
    this.#subscriberCheckMs = options.subscriberCheckMs ?? SUBSCRIBER_CHECK_MS;
  }

  append(id: string, first: number, frames: readonly string[]): void {
    if (this.#closed || frames.length === 0) return;
    let box = this.#outboxes.get(id);
    if (!box) this.#outboxes.set(id, (box = { scored: [], isWriting: false, written: Promise.resolve() }));
    for (let i = 0; i < frames.length; i++) box.scored.push(String(first + i), frames[i]!);
    if (!box.isWriting) box.written = this.#write(id, box);
  }

  end(id: string, at: number): void {
    this.append(id, at, [END]);
  }

  discard(id: string): void {
    const box = this.#outboxes.get(id);
    if (box) box.scored = [];
    this.#outboxes.delete(id);
    const key = EVENTS_PREFIX + id;
    // The notice wakes followers, which find the set gone and end.
    void this.#redis
      .call((c) => Promise.all([c.send("DEL", [key]), c.publish(key, "1")]))
      .catch((error) => this.#failed("could not drop a response's events", id, error));
  }

  async #write(id: string, box: Outbox): Promise<void> {
    box.isWriting = true;
    const key = EVENTS_PREFIX + id;
    while (box.scored.length > 0 && this.#outboxes.get(id) === box) {
      const scored = box.scored;
      box.scored = [];
      try {
        // One connection, so Redis runs the three in this order: the notice comes after the frames.
        await this.#redis.call((c) => Promise.all([c.send("ZADD", [key, ...scored]), c.send("EXPIRE", [key, this.#ttl]), c.publish(key, "1")]));
        this.#writesWarned = false;
      } catch (error) {
        // Their numbers stay taken: a follower that reaches the gap says so.
        if (!this.#writesWarned) this.#failed("could not share a background response's events", id, error);
        this.#writesWarned = true;
      }
      if (scored.at(-1) === END) this.#outboxes.delete(id);
    }
    box.isWriting = false;
  }

  async follow(id: string, after: number, stored: () => Promise<StoredResponse | undefined>): Promise<ReadableStream<Uint8Array> | undefined> {
    const key = EVENTS_PREFIX + id;
    const count = () => this.#redis.call(async (c) => Number(await c.send("ZCARD", [key])));
    if ((await count()) === 0) {
      // A streamed run's first frames may be on their way (its replica opening its connection); a
      // run that was not streamed never has any.
      if (!isRunning((await stored())?.response.status)) return undefined;
      let found = 0;
      for (let waited = 0; waited < FIRST_FRAMES_MS && found === 0 && !this.#isStopping; waited += 50) {
        await Bun.sleep(50);
        found = await count();
      }
      if (found === 0 && !this.#isStopping) return undefined;
    }
    let wake: (() => void) | undefined;
    let isNoticed = false;
    const notice = () => {
      isNoticed = true;
      wake?.();
    };
    let isOver = false;
    // The connection that holds this follower's subscription to the notices. Without one (the
    // subscriber connection dropped, or its SUBSCRIBE went unanswered) the follower reads every
    // 100 ms, and subscribes again on a new connection: woken at once when the connection drops,
    // at most once a second for itself, and once a second for the channel while openings fail.
    let noticesOn: RedisClient | undefined;
    let isSubscribing = false;
    let subscribedAt = performance.now();
    const subscribeNotices = async (): Promise<boolean> => {
      isSubscribing = true;
      subscribedAt = performance.now();
      try {
        const client = await this.#subscribed();
        if (isOver) return false;
        await answeredSoon(client.subscribe(key, notice), client, this.#timeoutMs);
        if (isOver) {
          if (client.connected) client.unsubscribe(key, notice).catch(() => undefined);
          return false;
        }
        noticesOn = client;
        return true;
      } catch {
        return false; // read on without notices; tried again a second on
      } finally {
        isSubscribing = false;
      }
    };
    await subscribeNotices();
    let isHalted = false;
    const halt = () => {
      isHalted = true;
      wake?.();
    };
    const lost = () => wake?.();
    const leave = () => {
      if (isOver) return;
      isOver = true;
      this.#followers.delete(halt);
      this.#onLost.delete(lost);
      wake?.();
      if (noticesOn?.connected) noticesOn.unsubscribe(key, notice).catch(() => undefined);
    };
    this.#followers.add(halt);
    this.#onLost.add(lost);
    if (this.#isStopping) halt();
    let next = Math.max(0, after + 1);
    let lastFrame = "";
    let checkedAt = performance.now(); // elapsed time only: a clock stepped back does not stop the checks
    /** How many checks in a row found the run no longer running with nothing new. */
    let stale = 0;
    const halted = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      const message = `The gateway is stopping: follow this response again through another replica, with starting_after=${next - 1}.`;
      controller.enqueue(utf8.encode(errorEvent("server_shutting_down", message, next)));
    };
    /** The run's stream stopped short of its last event: how followers end. */
    const cutShort = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
      if (TERMINAL.test(lastFrame)) return;
      const entry = await stored();
      // Deleted while it ran: said, as an end (a silent one reads as a connection cut short).
      if (!entry) return void controller.enqueue(utf8.encode(errorEvent("not_found", `Response with id '${id}' not found: it was deleted while it ran.`, next)));
      // Its last event sent (only the end lost), before where this follower began: nothing is missing.
      const [last] = (await this.#redis.call((c) => c.send("ZRANGE", [key, "-1", "-1"]))) as string[];
      if (last !== undefined && TERMINAL.test(last)) return;
      // A failed run (its replica died with it: its lease lapsed), or one cancelled meanwhile, ends as
      // its stream would have (a cancelled stream's last event is `response.failed` too); any other
      // end means events went missing.
      const status = entry.response.status;
      if (status === "failed" || status === "cancelled") controller.enqueue(utf8.encode(failedEvent(entry, next)));
      else controller.enqueue(utf8.encode(errorEvent("events_lost", LOST, next)));
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          while (!isOver) {
            if (isHalted) {
              halted(controller);
              break;
            }
            isNoticed = false;
            // The end's score and whether the set is there, read before what is new: an end seen
            // then has all its frames in the range read after it.
            const [endAt, exists, pairs] = await this.#redis.call(
              (c) =>
                Promise.all([
                  c.send("ZSCORE", [key, END]),
                  c.send("EXISTS", [key]),
                  c.send("ZRANGEBYSCORE", [key, String(next), "+inf", "WITHSCORES"]),
                ]) as Promise<[number | string | null, number, [string, number][]]>,
            );
            if (isOver) return;
            let text = "";
            let isEnd = false;
            let isGap = false;
            for (const [frame, score] of pairs) {
              if (Number(score) !== next) {
                isGap = true;
                break;
              }
              if (frame === END) {
                isEnd = true;
                break;
              }
              text += frame;
              lastFrame = frame;
              next++;
            }
            if (text.length > 0) {
              stale = 0;
              controller.enqueue(utf8.encode(text));
            }
            if (isGap) {
              // A gap in a deleted response's set (its replica wrote on before it heard of the
              // delete) is no loss: the response is gone, and so is the stream.
              if (await stored()) controller.enqueue(utf8.encode(errorEvent("events_lost", LOST, next)));
              else await cutShort(controller);
              break;
            }
            // The end reached, or already passed when this follower began.
            if (isEnd || (endAt !== null && next > Number(endAt))) break;
            if (Number(exists) === 0) {
              // Gone: deleted (its response too), or lost while the run went on.
              await cutShort(controller);
              break;
            }
            if (text.length > 0) return;
            if (performance.now() - checkedAt >= this.#checkMs) {
              checkedAt = performance.now();
              // A store that fails this once is asked again at the next check.
              const entry = await stored().then((found) => found ?? null, () => undefined);
              const status = entry === undefined ? "queued" : entry === null ? "gone" : entry.response.status;
              // Read as failed while it still holds its lease: the lease lapsed, its replica died a
              // minute ago or more, and no end can still come (GET already says failed: at once here too).
              const lapsed = entry != null && entry.lease !== undefined && !isRunning(status);
              if (isRunning(status)) stale = 0;
              else if (lapsed || ++stale >= 2) {
                // Stored as ended (or gone), and no end came: its replica stopped before sending it.
                await cutShort(controller);
                break;
              }
            }
            if (!isNoticed && !isHalted) {
              let timer: Timer | undefined;
              await new Promise<void>((resolve) => {
                wake = resolve;
                // Notices come only while the connection holds the subscription (a dropped one loses it).
                const isNotified = noticesOn?.connected === true;
                if (!isNotified && !isSubscribing && !this.#isStopping && performance.now() - subscribedAt >= RESUBSCRIBE_MS && this.#mayOpen()) {
                  // Once subscribed, one more read: a frame written before the SUBSCRIBE took sent no notice here.
                  void subscribeNotices().then((isSubscribed) => isSubscribed && notice());
                }
                timer = setTimeout(resolve, isNotified ? Math.min(POLL_MS, this.#checkMs) : Math.min(100, this.#checkMs));
              });
              clearTimeout(timer);
            }
            wake = undefined;
          }
          if (isOver) return;
          leave();
          controller.close();
        } catch (error) {
          if (isOver) return; // the client left: nothing to tell, nothing went wrong
          leave();
          if (isHalted) halted(controller);
          else {
            this.#failed("could not follow a background response's events", id, error);
            const message = "Shared state (Redis) is unreachable: the stream cannot be followed further.";
            controller.enqueue(utf8.encode(errorEvent("state_unavailable", message, next)));
          }
          controller.close();
        }
      },
      cancel: leave,
    });
  }

  async stop(id: string, kind: StopKind): Promise<void> {
    await this.#redis.call((c) => c.publish(STOPS, `${kind}:${id}`));
  }

  onStop(handler: (id: string, kind: StopKind) => void): Promise<void> {
    if (this.#stopHandler) return this.#listening;
    this.#stopHandler = handler;
    this.#listening = this.#listen();
    return this.#listening;
  }

  endFollowers(): void {
    this.#isStopping = true;
    for (const halt of this.#followers) halt();
  }

  async close(waitMs = 1_000): Promise<void> {
    this.endFollowers();
    const writing = [...this.#outboxes.values()].map((box) => box.written);
    if (writing.length > 0) await Promise.race([Promise.all(writing), Bun.sleep(waitMs)]);
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#watch);
    this.#outboxes.clear();
    this.#redis.close();
    this.#subscriber = undefined;
    this.#subscriberClient?.close(); // also one whose subscribe is still unanswered
    this.#subscriberClient = undefined;
  }

  /** Listens for stops on the subscriber connection (opened if need be); a failure is logged once an outage, and tried again. */
  #listen(): Promise<void> {
    return this.#subscribed(false)
      .then((client) => this.#listenForStops(client))
      .then(() => {
        this.#stopsWarned = false;
      })
      .catch((error) => {
        if (this.#closed) return; // closed mid-subscribe: nothing went wrong
        this.#listenLater();
        if (this.#stopsWarned) return;
        this.#stopsWarned = true;
        this.#failed("could not listen for stops (a cancel or delete on another replica reaches this one at its next lease renewal)", "", error);
      });
  }

  /** Listens for stops again in a second (one retry pending at a time), if this replica listens for them. */
  #listenLater(): void {
    if (!this.#stopHandler || this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#listen();
    }, 1_000).unref();
  }

  /** Subscribes `client` to the stops, once. */
  async #listenForStops(client: RedisClient): Promise<void> {
    const handler = this.#stopHandler;
    if (!handler || this.#stopsOn === client) return;
    this.#stopsOn = client;
    try {
      await answeredSoon(client.subscribe(STOPS, (message) => stopOf(message, handler)), client, this.#timeoutMs);
    } catch (error) {
      if (this.#stopsOn === client) this.#stopsOn = undefined;
      throw error;
    }
  }

  /**
   * The subscriber connection. A dropped one is replaced when next needed (its followers are woken:
   * they subscribe again at once, and read every 100 ms until they are), and the stops subscribed
   * again. After a failed opening, the next is a second on (`isGated`; the stops' own retry keeps
   * that pace itself): followers each try once a second, and a refused connection fails at once.
   */
  #subscribed(isGated = true): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new Error("the run channel is closed"));
    if (this.#subscriber) return this.#subscriber;
    if (isGated && !this.#mayOpen()) return Promise.reject(this.#openError);
    // Read by the connection's close handler, which runs after this assignment.
    let opening!: Promise<RedisClient>;
    opening = (async () => {
      const startedAt = performance.now();
      const client = new RedisClient(this.#url, { connectionTimeout: this.#timeoutMs, enableOfflineQueue: false, autoReconnect: false });
      this.#subscriberClient = client;
      client.onclose = () => {
        if (this.#subscriber === opening) clearInterval(this.#watch);
        if (this.#closed || this.#subscriber !== opening) return;
        this.#subscriber = undefined;
        // Closed within a second of its opening (a proxy that ends pub/sub connections, say): paced as a failed opening.
        if (performance.now() - startedAt < RESUBSCRIBE_MS) {
          this.#openFailedAt = performance.now();
          this.#openError = new Error("the subscriber connection closed within a second of its opening");
        }
        this.#listenLater();
        for (const wakeUp of this.#onLost) wakeUp();
      };
      try {
        await client.connect();
        await this.#listenForStops(client);
        if (this.#subscriber === opening) this.#watchSubscriber(client);
        return client;
      } catch (error) {
        if (this.#subscriber === opening) this.#subscriber = undefined;
        this.#openFailedAt = performance.now();
        this.#openError = error;
        client.close();
        this.#listenLater();
        throw error;
      }
    })();
    this.#subscriber = opening;
    return opening;
  }

  /**
   * Asks the subscriber connection PING every `subscriberCheckMs` (one at a time; a connection in
   * subscribe mode takes PING: RESP3, which Bun's client speaks, and RESP2 both allow it). Left
   * unanswered for REDIS_TIMEOUT_MS, the connection is closed: its close handler subscribes the stops
   * again on a new one and wakes the followers to do the same. An error answer is an answer.
   */
  #watchSubscriber(client: RedisClient): void {
    clearInterval(this.#watch);
    let isAsking = false;
    this.#watch = setInterval(() => {
      if (isAsking || !client.connected) return;
      isAsking = true;
      within(client.send("PING", []), this.#timeoutMs, () => new Unanswered())
        .catch((error: unknown) => {
          if (error instanceof Unanswered && !this.#closed) client.close();
        })
        .finally(() => (isAsking = false));
    }, this.#subscriberCheckMs);
    this.#watch.unref();
  }

  /** Whether a follower may subscribe now: the connection is there (or opening), or the last failed opening is a second old. */
  #mayOpen(): boolean {
    return this.#subscriber !== undefined || performance.now() - this.#openFailedAt >= RESUBSCRIBE_MS;
  }

  #failed(what: string, id: string, error: unknown): void {
    this.#onError(`${what}${id ? ` (${id})` : ""}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

class Unanswered extends Error {}

/** `subscribing`, or a rejection once it went `ms` unanswered, `client` closed then (a stalled connection would hold every later subscribe too). */
function answeredSoon<T>(subscribing: Promise<T>, client: RedisClient, ms: number): Promise<T> {
  let timer: Timer | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`Redis did not answer SUBSCRIBE within ${ms} ms`)); // first: closing rejects the subscribe too
      client.close();
    }, ms);
    timer.unref();
  });
  return Promise.race([subscribing, late]).finally(() => clearTimeout(timer));
}

function stopOf(message: string, handler: (id: string, kind: StopKind) => void): void {
  const colon = message.indexOf(":");
  const kind = message.slice(0, colon);
  if (kind === "cancel" || kind === "delete") handler(message.slice(colon + 1), kind);
}
