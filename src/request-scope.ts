import { hasErrorFields, UpstreamTimeoutError } from "./errors.ts";

/** The abort reason when the client went away: nothing is sent after it. */
export class ClientGoneError extends Error {
  override name = "ClientGoneError";
  constructor() {
    super("The client closed the connection.");
  }
}

/**
 * The life of one request on the provider side: one AbortController that fires when the client
 * goes away or a core time-out fires. `signal.reason` says which.
 */
export class RequestScope {
  readonly #controller = new AbortController();
  readonly #request: Request;
  readonly #onClientAbort = () => this.abort(new ClientGoneError());

  constructor(request: Request) {
    this.#request = request;
    if (request.signal.aborted) this.abort(new ClientGoneError());
    else request.signal.addEventListener("abort", this.#onClientAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get isClientGone(): boolean {
    return this.#controller.signal.reason instanceof ClientGoneError;
  }

  abort(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /**
   * The error to report for a failure: when the scope was aborted by a core time-out, a plugin
   * typically throws a bare AbortError; the time-out is what the client must hear about.
   */
  explain(error: unknown): unknown {
    const reason = this.#controller.signal.reason;
    if (this.#controller.signal.aborted && hasErrorFields(reason) && !hasErrorFields(error)) return reason;
    return error;
  }

  /** Waits for `promise`, or fails with a 504 (and aborts the provider) after `ms`. */
  async deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new UpstreamTimeoutError(`The upstream did not answer within ${ms} ms (${what}).`);
        this.abort(error);
        reject(error);
      }, ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (error) {
      throw this.explain(error);
    } finally {
      clearTimeout(timer);
    }
  }

  dispose(): void {
    this.#request.signal.removeEventListener("abort", this.#onClientAbort);
  }
}
