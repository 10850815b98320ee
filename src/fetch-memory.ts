import { ServerBusyError } from "./errors.ts";

/**
 * The bytes fetched from URLs (images, files) that the requests in flight hold, all of them together
 * (`URL_FETCH_MEMORY_MB`). A request's own budgets (32 MiB of images, 32 MiB of files) bound one
 * request, not how many fetch at once, and each fetched byte is held several times over until its
 * request ends (the chunks read, their base64, the data URL, the upstream's JSON body): a 161-byte
 * request naming a 31 MiB PDF made the gateway hold ~190 MB, twenty at once 1.65 GB (a security probe).
 * Bytes are taken as they are read and given back when their request ends (not when the fetch does:
 * the copies live as long as the call to the provider).
 */
export class FetchMemory {
  readonly totalBytes: number;
  #left: number;

  constructor(totalBytes: number) {
    this.totalBytes = totalBytes;
    this.#left = totalBytes;
  }

  /** What is not held now. */
  get leftBytes(): number {
    return this.#left;
  }

  /** One request's share: made when it first fetches, released once when it ends. */
  hold(): FetchHold {
    return new FetchHold(this);
  }

  /** For FetchHold: takes `bytes` if they fit. */
  take(bytes: number): boolean {
    if (bytes > this.#left) return false;
    this.#left -= bytes;
    return true;
  }

  /** For FetchHold: gives back what a request held. */
  give(bytes: number): void {
    this.#left += bytes;
  }
}

/** What one request holds of the FetchMemory. */
export class FetchHold {
  readonly #memory: FetchMemory;
  #held = 0;
  #released = false;

  constructor(memory: FetchMemory) {
    this.#memory = memory;
  }

  /** Whether `bytes` more would fit now (an answer's declared length, before it is read). */
  fits(bytes: number): boolean {
    return !this.#released && bytes <= this.#memory.leftBytes;
  }

  /**
   * Takes `bytes` just read; false when they do not fit (the fetch then stops with `busy()`). Nothing
   * is taken once released: a fetch still running after its request ended would hold it for good.
   */
  take(bytes: number): boolean {
    if (this.#released || !this.#memory.take(bytes)) return false;
    this.#held += bytes;
    return true;
  }

  /** The request is over: what it took is free for others (once). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#memory.give(this.#held);
    this.#held = 0;
  }

  /**
   * The refusal when the memory is spent: 503 (529 on Anthropic's surface), which clients retry, with
   * Retry-After. Waiting here instead would keep the request, its body and its connection for a share
   * that frees only as other requests end, which is minutes for a long answer.
   */
  busy(): ServerBusyError {
    const mib = Math.round(this.#memory.totalBytes / (1024 * 1024));
    return new ServerBusyError(
      `The gateway holds its limit of images and files fetched by URL for other requests (${mib} MiB in all, URL_FETCH_MEMORY_MB); try again shortly, or send the content inline.`,
      { retryAfter: 1 },
    );
  }
}
