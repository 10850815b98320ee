import type { Server } from "bun";
import { within } from "../deadline.ts";

/**
 * The connection's idle clock over a request's life (Bun's per-request `server.timeout`, which Bun
 * checks every 4 s and keeps on the socket after the answer):
 * - while the body is read: `BODY_IDLE_TIMEOUT_S`, so bodies sent in part and left there cannot pile
 *   up in memory (nginx's `client_body_timeout`);
 * - while the gateway works (a provider may think for minutes before its first byte, a stream may
 *   pause, and Bun's clock does not count the answer's writes): off;
 * - once the answer is out: `KEEPALIVE_TIMEOUT_S`, the server-wide idle time-out, so a connection
 *   left open after its answer is closed (nginx's `keepalive_timeout`; without it one idle socket
 *   per answered request was held forever: a security probe exhausted the file descriptors).
 * A streamed answer's connection gets it when the stream ends (`streamEnded`), or is closed when its
 * client stops reading (`streamStalled`). Headers sent in part
 * are closed by Bun itself after ~10 s. Without a server (`app.handle`: tests, the WebSocket mode's
 * messages) there is no connection.
 */
export class ConnectionClock {
  readonly #bodySeconds: number;
  readonly #keepAliveSeconds: number;
  /** The clock is ours to set: a body limit or a keep-alive limit is on (else Bun's default, none, stands). */
  readonly #isSet: boolean;

  constructor(bodySeconds: number, keepAliveSeconds = 0) {
    this.#bodySeconds = bodySeconds;
    this.#keepAliveSeconds = keepAliveSeconds;
    this.#isSet = bodySeconds > 0 || keepAliveSeconds > 0;
  }

  /** Before the body is read. */
  start(request: Request, server: Server<unknown> | null | undefined): void {
    if (this.#isSet) server?.timeout(request, this.#bodySeconds);
  }

  /** Once it is whole (or for a request without one): the wait that follows is the gateway's. */
  stop(request: Request, server: Server<unknown> | null | undefined): void {
    if (this.#isSet) server?.timeout(request, 0);
  }

  /** The answer is out (a whole body, or the end of a stream): the connection may idle KEEPALIVE_TIMEOUT_S. */
  answered(request: Request, server: Server<unknown> | null | undefined): void {
    if (this.#keepAliveSeconds > 0) server?.timeout(request, this.#keepAliveSeconds);
  }

  /**
   * A streamed answer: its connection gets the keep-alive limit when the stream ends (streamEnded),
   * and can be closed if its client stops reading (streamStalled), whatever the limits say.
   */
  answeringStream(request: Request, server: Server<unknown> | null | undefined): void {
    if (server) streaming.set(request, { server, keepAliveSeconds: this.#keepAliveSeconds });
  }
}

/** Streams in progress: the server that holds each one's connection, and the keep-alive limit it gets when it ends. */
const streaming = new WeakMap<Request, { server: Server<unknown>; keepAliveSeconds: number }>();

/**
 * Called by a stream's writer when it ends, however it ends, before it closes (Bun takes no time-out
 * once an answer has ended). Again later if more of the answer follows (a background stream's
 * replay, after its recording ended): the clock starts from the last call.
 */
export function streamEnded(request: Request): void {
  const stream = streaming.get(request);
  if (stream !== undefined && stream.keepAliveSeconds > 0) stream.server.timeout(request, stream.keepAliveSeconds);
}

/**
 * Called by a stream's writer whose client took no byte for STREAM_IDLE_TIMEOUT_MS while its send
 * buffer was full: the connection is closed, with what it still holds. Bun offers no way to close
 * it at once (the direct stream's `close(error)` does, but prints the error on stderr each time);
 * its clock set to 1 s closes it at Bun's next check (every 4 s), the write still waiting, which
 * then lets go. A client that reads again first gets the stream's end, cut short.
 */
export function streamStalled(request: Request): void {
  streaming.get(request)?.server.timeout(request, 1);
}

/**
 * A stream of another writer (a background response's events, replayed): `streamEnded` once its last
 * bytes were taken by the socket (each write waits while the client's buffer is full, as the
 * pipeline's writer does: a clock started with bytes still queued would cut a slow reader's last
 * event), or when it fails or the client leaves. A client that takes no byte for `idleMs`
 * (STREAM_IDLE_TIMEOUT_MS) while its buffer is full has its connection closed (`streamStalled`), as
 * the pipeline's writer does: it held the connection for as long as it stayed connected. The run
 * itself is not the client's and goes on. Rare paths: one step, and a timer while a write waits, per read.
 */
export function endingConnection(stream: ReadableStream<Uint8Array>, request: Request, idleMs: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let left = false;
  /** Whether the client took the bytes waiting (`drained`, a write's or a flush's) within `idleMs`. */
  const inTime = (drained: Promise<unknown>): Promise<boolean> =>
    within(drained, idleMs, () => new Error("the client read nothing")).then(
      () => true,
      () => false,
    );
  return new ReadableStream<Uint8Array>({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      let waiting: Promise<unknown> | undefined;
      try {
        for (;;) {
          const read = await reader.read();
          if (read.done || left) break;
          const written = controller.write(read.value);
          if (typeof written === "number" && written === 0) break; // the client left
          if (typeof written !== "number" && !(await inTime(written))) waiting = written; // the client's buffer is full: wait
          const flushed = waiting === undefined ? controller.flush() : 0;
          if (typeof flushed !== "number" && !(await inTime(flushed))) waiting = flushed;
          if (waiting !== undefined) break;
        }
      } catch {
        // The replay failed: what was written stands; the connection ends as a stream does.
      }
      if (waiting !== undefined) {
        // Stalled: no end, no keep-alive clock (it would undo the close); the write lets go once the connection is closed.
        left = true;
        streamStalled(request);
        void reader.cancel().catch(() => undefined);
        return void (await waiting);
      }
      if (left) return void reader.cancel().catch(() => undefined);
      streamEnded(request);
      controller.close();
    },
    cancel: (reason) => {
      left = true;
      return reader.cancel(reason);
    },
  } satisfies Bun.DirectUnderlyingSource<Uint8Array>);
}
