import { OllaixError } from "../../errors.ts";
import { CANCELLED_CODE } from "./response-frame.ts";
import { LAPSED_MESSAGE, LEASE_MS, RENEW_MS } from "./response-lease.ts";
import type { ResponseObject } from "./response-schema.ts";
import type { RunChannel, StopKind } from "./run-channel.ts";
import type { StoredResponse } from "./store/response-store.ts";

/** The abort reason of a background response's call when the response is cancelled: logged and counted as a 499 (nginx's "client closed request"). */
export class ResponseCancelledError extends OllaixError {
  override status = 499;
  override type = "invalid_request_error";
  static override defaultCode: string | null = CANCELLED_CODE;
  constructor() {
    super("The response was cancelled.");
  }
}

/** The abort reason of a call still running when its gateway stops (after the shutdown grace): a background response, or any request in flight. */
export class GatewayStoppedError extends OllaixError {
  override status = 503;
  override type = "server_error";
  static override defaultCode: string | null = "server_shutting_down";
  constructor(message = "The gateway stopped before the response finished.") {
    super(message);
  }
}

/**
 * The abort reason of a background response whose replica could not renew its lease in time (the
 * store away or hung): other replicas read it `failed` once the lease lapses (response-lease.ts), so
 * it stops before then and ends `failed` with the same words, rather than coming back to life.
 */
export class LeaseLostError extends OllaixError {
  override status = 503;
  override type = "server_error";
  static override defaultCode: string | null = "lease_lost";
  constructor() {
    super(LAPSED_MESSAGE);
  }
}

/** How long a finished background stream's events stay here for `GET …?stream=true`, and how many. */
const REPLAY_MS = 5 * 60_000;
const MAX_FINISHED = 256;

const utf8 = new TextEncoder();

/**
 * One background response running in this process: the call's own abort controller (its life no
 * longer the client's connection), and for a streamed one the events so far, which any number of
 * clients follow (the creating request, and `GET …?stream=true&starting_after=N` after it left).
 */
export class BackgroundRun {
  readonly #controller = new AbortController();
  /** A streamed run's events, one SSE frame each: an event's index is its `sequence_number`. */
  readonly events: string[] | undefined;
  #ended = false;
  #wake: (() => void)[] = [];
  #settle!: (response: ResponseObject) => void;
  /** The response as it was finally stored (completed, incomplete, failed or cancelled). */
  readonly final: Promise<ResponseObject>;
  /** Settles with the cancel's (or the shutdown's) reason when the run is stopped. */
  readonly stopped: Promise<Error>;
  /** Deleted while running: its end is not stored. */
  isDeleted = false;
  /** Its store entry as last written while it runs: what a read gets if the memory store's bounds dropped it meanwhile. */
  stored: StoredResponse | undefined;

  constructor(
    readonly id: string,
    readonly owner: string | undefined,
    streamed: boolean,
    /** Where a streamed run's events also go, for followers on other replicas (with Redis). */
    readonly channel?: RunChannel,
  ) {
    this.events = streamed ? [] : undefined;
    this.final = new Promise((resolve) => (this.#settle = resolve));
    const signal = this.#controller.signal;
    this.stopped = new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason as Error), { once: true }));
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get isFinished(): boolean {
    return this.#ended;
  }

  /** Stops the call (the provider is aborted); its end is stored as `cancelled` unless it had ended. */
  cancel(reason: Error = new ResponseCancelledError()): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** The run never started (its create failed): nothing is shared or stored, and whoever waits on it is let go. */
  abandon(response: ResponseObject): void {
    this.#ended = true;
    this.#settle(response);
    this.#wakeAll();
  }

  /** The run is over and its response stored: followers here and elsewhere end after its last event. */
  settle(response: ResponseObject): void {
    if (this.events !== undefined && !this.isDeleted) this.channel?.end(this.id, this.events.length);
    this.#ended = true;
    this.#settle(response);
    this.#wakeAll();
  }

  /**
   * Reads a streamed run's SSE body to its end, frame by frame (the encoder writes whole frames; a
   * read may hold several, or part of one).
   */
  async record(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let carry = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      carry += typeof value === "string" ? value : decoder.decode(value, { stream: true });
      const frames = carry.split("\n\n");
      carry = frames.pop()!;
      if (frames.length === 0) continue;
      const start = this.events!.length;
      for (const frame of frames) this.events!.push(frame + "\n\n");
      if (!this.isDeleted) this.channel?.append(this.id, start, this.events!.slice(start));
      this.#wakeAll();
    }
  }

  /**
   * Deleted while running: its end is not stored, nothing more is shared, and its shared events go
   * (`discard`: once the response itself is gone from the store, so that followers elsewhere read
   * the stream's end as a delete, not as lost events).
   */
  markDeleted(discard = true): void {
    this.isDeleted = true;
    if (discard && this.events !== undefined) this.channel?.discard(this.id);
  }

  /** The run's events after `sequence_number` `after` (-1 for all), then those to come until it ends. Leaving does not stop the run. */
  follow(after: number): ReadableStream<Uint8Array> {
    const events = this.events!;
    let next = Math.max(0, after + 1);
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (next >= events.length && !this.#ended) await new Promise<void>((resolve) => this.#wake.push(resolve));
        if (next < events.length) {
          controller.enqueue(utf8.encode(events.slice(next).join("")));
          next = events.length;
        } else controller.close();
      },
    });
  }

  #wakeAll(): void {
    const waiting = this.#wake;
    this.#wake = [];
    for (const wake of waiting) wake();
  }
}

/**
 * The background responses of this process, running or (streamed ones, for a while) finished. Another
 * replica's runs are not here: the store shows their state; with a run channel (Redis), their events
 * are followed through it, and a cancel or a delete here is sent to the replica running them.
 */
export class BackgroundRuns {
  readonly #runs = new Map<string, BackgroundRun>();
  readonly #finished: string[] = [];
  #listening: Promise<void> = Promise.resolve();

  constructor(
    /** A running response's lease in the store, and how often the replica running it renews it (response-lease.ts). */
    readonly lease: { leaseMs: number; renewMs: number } = { leaseMs: LEASE_MS, renewMs: RENEW_MS },
    /** What replicas sharing a Redis tell each other of their runs; none for one replica alone. */
    readonly channel?: RunChannel,
  ) {}

  open(id: string, owner: string | undefined, streamed: boolean): BackgroundRun {
    // From the first run on, this replica hears the stops other replicas send for its runs.
    if (this.channel) this.#listening = this.channel.onStop(this.#stopped);
    const run = new BackgroundRun(id, owner, streamed, streamed ? this.channel : undefined);
    this.#runs.set(id, run);
    return run;
  }

  /**
   * Settles once this replica hears the stops other replicas send (or its first try failed): a run's
   * start waits for it, so that no client holds the id of a run a stop could not reach at once.
   */
  get listening(): Promise<void> {
    return this.#listening;
  }

  /** A stop sent by another replica (the key was checked there): for this replica's run, if it still runs. */
  readonly #stopped = (id: string, kind: StopKind): void => {
    const run = this.#runs.get(id);
    if (run === undefined || run.isFinished) return;
    if (kind === "delete") run.markDeleted();
    run.cancel();
  };

  /** The caller's run by id (another key's is not found). */
  get(id: string, owner: string | undefined): BackgroundRun | undefined {
    const run = this.#runs.get(id);
    return run !== undefined && run.owner === owner ? run : undefined;
  }

  /** A run ended: a streamed one's events stay a while for clients that come back, another's go now. */
  ended(run: BackgroundRun): void {
    if (run.events === undefined) {
      this.#runs.delete(run.id);
      return;
    }
    this.#finished.push(run.id);
    if (this.#finished.length > MAX_FINISHED) this.#runs.delete(this.#finished.shift()!);
    // The timer holds the id alone: a run dropped past MAX_FINISHED (its events, its entry) goes at once, not after REPLAY_MS.
    setTimeout(this.#forgetId, REPLAY_MS, run.id).unref();
  }

  readonly #forgetId = (id: string): void => this.forget(id);

  /** Drops a run (deleted, or never started). */
  forget(id: string): void {
    this.#runs.delete(id);
    const at = this.#finished.indexOf(id);
    if (at >= 0) this.#finished.splice(at, 1);
  }

  /**
   * At shutdown: the running responses get `graceMs` to end (as requests in flight do), then are
   * stopped and end `failed`; resolves once every one is stored (or after 2 s more).
   */
  async stop(graceMs: number): Promise<void> {
    const running = [...this.#runs.values()].filter((run) => !run.isFinished);
    if (running.length === 0) return;
    const ended = Promise.all(running.map((run) => run.final));
    const isLate = await Promise.race([ended.then(() => false), Bun.sleep(graceMs).then(() => true)]);
    if (!isLate) return;
    for (const run of running) run.cancel(new GatewayStoppedError());
    await Promise.race([ended, Bun.sleep(2000)]);
  }
}
