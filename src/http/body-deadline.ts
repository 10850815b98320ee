import type { Server } from "bun";

/**
 * `BODY_IDLE_TIMEOUT_S`: a request body that stalls (no byte for that long) has its connection
 * closed, so bodies sent in part and left there cannot pile up in memory (nginx's
 * `client_body_timeout`). Bun's server-wide `idleTimeout` stays off, since a provider may think for
 * minutes before its first byte and a stream may pause: Bun's per-request `server.timeout` turns the
 * idle clock on while the body is read and off again once it is whole. Headers sent in part are
 * closed by Bun itself after ~10 s. Without a server (`app.handle`: tests, the WebSocket mode's
 * messages) there is no connection to close.
 */
export class BodyDeadline {
  readonly #seconds: number;
  constructor(seconds: number) {
    this.#seconds = seconds;
  }

  /** Before the body is read. */
  start(request: Request, server: Server<unknown> | null | undefined): void {
    if (this.#seconds > 0) server?.timeout(request, this.#seconds);
  }

  /** Once it is whole: the wait that follows is the gateway's. */
  stop(request: Request, server: Server<unknown> | null | undefined): void {
    if (this.#seconds > 0) server?.timeout(request, 0);
  }
}
