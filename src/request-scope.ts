import { hasErrorFields, UpstreamTimeoutError } from "./errors.ts";

/** The abort reason when the client went away: nothing is sent after it. */
export class ClientGoneError extends Error {
  override name = "ClientGoneError";
  // Error fields, so every path reports it the same way: nginx's 499 "client closed request", never a 500.
  readonly status = 499;
  readonly type = "client_gone";
  readonly code = "client_gone";
  readonly param = null;
  constructor() {
    super("The client closed the connection.");
  }
}

/**
 * How often the clock looks at the scopes in flight. Time-outs fire within this much of their
 * deadline, and a client that leaves is noticed at the latest this long after the request began.
 */
const TICK_MS = 20;

/**
 * One timer for every request in flight, instead of a timer, a Promise.race and a `request.signal`
 * listener per request: in Bun, merely reading `request.signal` costs ~15 µs per request (the
 * benchmark measured 18 % of a proxy's throughput), so it is read only for requests still running
 * after one tick, which are the ones where noticing a departed client matters.
 */
class ScopeClock {
  readonly #scopes = new Set<RequestScope>();
  #timer: ReturnType<typeof setInterval> | undefined;

  add(scope: RequestScope): void {
    this.#scopes.add(scope);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref();
    }
  }

  delete(scope: RequestScope): void {
    this.#scopes.delete(scope);
  }

  /** Aborts every request in flight, for `reason`. */
  abortAll(reason: () => Error): number {
    let n = 0;
    for (const scope of this.#scopes) {
      if (scope.isAborted) continue;
      scope.abort(reason());
      n++;
    }
    return n;
  }

  #tick(): void {
    // Stopped on the first tick that finds nothing in flight, not when the last scope leaves: at low
    // concurrency that would start and clear an interval for every request.
    if (this.#scopes.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    for (const scope of this.#scopes) scope.tick(now);
  }
}

const clock = new ScopeClock();

/**
 * Ends every request still in flight for `reason` (the shutdown grace elapsed): each ends as its
 * surface ends a failure, an error answer or a stream's error event, and is reported for that
 * reason, not as a client that left. Returns how many were aborted.
 */
export function abortRequestsInFlight(reason: () => Error): number {
  if (!stopping.signal.aborted) stopping.abort(reason());
  return clock.abortAll(reason);
}

const stopping = new AbortController();

/**
 * Aborted, for the gateway's reason, when `abortRequestsInFlight` ends what is in flight: a request
 * waiting between a route's tries has no scope then (routing/router.ts), and listens to this too.
 */
export const gatewayStopping: AbortSignal = stopping.signal;

/**
 * The life of one request on the provider side: one AbortController that fires when the client
 * goes away or a core time-out fires. `signal.reason` says which.
 */
export class RequestScope {
  /** Made when first needed: a provider that never reads the signal costs no AbortController. */
  #controller: AbortController | undefined;
  readonly #request: Request;
  /** The call's own life, when it is not the client's connection (a background response). */
  readonly #life: AbortSignal | undefined;
  readonly #startedAt = performance.now();
  #linked = false;
  #deadlineAt = Infinity;
  #onDeadline: (() => void) | undefined;
  #onClientAbort: (() => void) | undefined;
  /** The rejection of the promise `deadline` returned, while it is pending. */
  #waiting: ((reason: Error) => void) | undefined;

  constructor(request: Request, life?: AbortSignal) {
    this.#request = request;
    this.#life = life;
    clock.add(this);
  }

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  /** The client's request the scope serves. */
  get request(): Request {
    return this.#request;
  }

  /** The call lives as long as its client's connection (not a background response, whose life is its own). */
  get isClients(): boolean {
    return this.#life === undefined;
  }

  /** The client left, the call was cancelled, or a core time-out fired. */
  get isAborted(): boolean {
    return this.#controller?.signal.aborted === true;
  }

  get isClientGone(): boolean {
    return this.#controller?.signal.reason instanceof ClientGoneError;
  }

  abort(reason: Error): void {
    const signal = this.signal;
    if (signal.aborted) return;
    this.#controller!.abort(reason);
    // What `deadline` waits for ends now, whether or not the provider heeds its signal.
    const reject = this.#waiting;
    this.#waiting = undefined;
    reject?.(reason);
  }

  /** Called by the clock. */
  tick(now: number): void {
    if (!this.#linked && now - this.#startedAt >= TICK_MS) {
      this.#linked = true;
      // A background call ends when its own signal says (a cancel), for the reason it gives; any
      // other when its client leaves.
      const life = this.#life;
      const watched = life ?? this.#request.signal;
      const onAbort = life ? () => this.abort(life.reason instanceof Error ? life.reason : new ClientGoneError()) : () => this.abort(new ClientGoneError());
      if (watched.aborted) onAbort();
      else watched.addEventListener("abort", (this.#onClientAbort = onAbort), { once: true });
    }
    if (now >= this.#deadlineAt) {
      this.#deadlineAt = Infinity;
      this.#onDeadline?.();
    }
  }

  /**
   * The error to report for a failure: when the scope was aborted by a core time-out, a plugin
   * typically throws a bare AbortError; the time-out is what the client must hear about.
   */
  explain(error: unknown): unknown {
    const signal = this.#controller?.signal;
    if (signal?.aborted && hasErrorFields(signal.reason) && !hasErrorFields(error)) return signal.reason;
    return error;
  }

  /**
   * Waits for `promise`, or fails with a 504 (and aborts the provider) after `ms`. Fails at once when
   * the scope is aborted (the client left, a background response was cancelled), for that reason.
   * `said`: the wait the error names, when this is the rest of a longer one (the held first answer's).
   * `upstream`: the instance the error names, when it does.
   */
  deadline<T>(promise: Promise<T>, ms: number, what: string, said = ms, upstream?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#controller?.signal.aborted) return reject(this.#controller.signal.reason);
      this.#deadlineAt = performance.now() + ms;
      this.#waiting = reject;
      this.#onDeadline = () => this.abort(new UpstreamTimeoutError(`The upstream${upstream === undefined ? "" : ` ${upstream}`} did not answer within ${said} ms (${what}).`));
      promise.then(
        (value) => {
          this.#deadlineAt = Infinity;
          this.#waiting = undefined;
          resolve(value);
        },
        (error: unknown) => {
          this.#deadlineAt = Infinity;
          this.#waiting = undefined;
          reject(this.explain(error));
        },
      );
    });
  }

  dispose(): void {
    clock.delete(this);
    if (this.#onClientAbort) (this.#life ?? this.#request.signal).removeEventListener("abort", this.#onClientAbort);
  }
}
