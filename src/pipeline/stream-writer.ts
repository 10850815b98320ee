import { UpstreamTimeoutError } from "../errors.ts";
import { mapError, type MappedError } from "../error-response.ts";
import type { Logger } from "../logger.ts";
import type { ChunkResult } from "../plugin.ts";
import { ClientGoneError, type RequestScope } from "../request-scope.ts";
import { streamEnded, streamStalled } from "../http/connection-clock.ts";
import type { StreamEncoder } from "./encoder.ts";
import type { TokenUsage } from "./outcome.ts";

export type ChunkBatch = ChunkResult | readonly ChunkResult[];

/** How a stream ended, for accounting and the request's outcome. */
export interface StreamEnd {
  /** "ok": the provider finished; "error": a failure after the start; "client_gone": the client left. */
  kind: "ok" | "error" | "client_gone";
  error?: MappedError;
  /** Milliseconds spent waiting for the provider's chunks after the first. */
  upstreamMs: number;
}

export interface StreamWriterOptions {
  encoder: StreamEncoder;
  scope: RequestScope;
  idleTimeoutMs: number;
  logger: Logger;
  redact: (text: string) => string;
  /** Extra response headers (`x-request-id`, …). */
  headers: Record<string, string>;
  /** Sees every chunk before it is encoded (usage, finish reasons); one it throws for ends the stream with that error. */
  onChunk(chunk: ChunkResult): void;
  /** The stream's token counts so far, handed to the encoder's `end` (a final event may carry usage). */
  tokens?: () => TokenUsage;
  /** Called once, when the stream is over however it ended. */
  onEnd(end: StreamEnd): void;
}

/**
 * The one stream writer: a provider's chunk iterator → an encoder → Bun's direct stream. The first
 * chunk was already awaited by the caller (failures before it are plain HTTP errors). It writes one
 * burst of ready chunks at once and flushes once per burst, waits on backpressure, ends an idle
 * upstream with the surface's error event, and aborts the provider when the client leaves, or
 * stops reading: no byte taken for the idle time-out while its send buffer is full.
 */
export function streamResponse(
  first: IteratorResult<ChunkBatch>,
  iterator: AsyncIterator<ChunkBatch>,
  o: StreamWriterOptions,
): Response {
  const { encoder } = o;
  let closed = false;
  let ended = false;
  let upstreamMs = 0;
  /** When the read waiting on the provider began (undefined: not waiting). */
  let waitingSince: number | undefined;
  /** Writes waiting for the client to take bytes (its send buffer is full). */
  let clientWaits = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const finish = (end: Omit<StreamEnd, "upstreamMs">) => {
    if (ended) return;
    ended = true;
    // A stream that ends while it waits on the provider (its failure, an idle time-out, a cancel, a
    // client gone) waited that long on the provider: not the gateway's overhead.
    const waited = waitingSince === undefined ? 0 : performance.now() - waitingSince;
    o.onEnd({ ...end, upstreamMs: upstreamMs + waited });
  };

  /**
   * A chunk `onChunk` refused (the plugin's bug, plugin-output.ts): the batch's chunks before it are
   * the client's, as an upstream's text before its error event is; the error follows them.
   */
  let refused: { error: unknown } | undefined;
  const encode = (value: ChunkBatch): string => {
    if (!Array.isArray(value)) {
      o.onChunk(value as ChunkResult);
      return encoder.chunk(value as ChunkResult);
    }
    let out = "";
    for (const chunk of value as readonly ChunkResult[]) {
      try {
        o.onChunk(chunk);
      } catch (error) {
        refused = { error };
        return out;
      }
      out += encoder.chunk(chunk);
    }
    return out;
  };
  /** Throws what `onChunk` refused in the batch just written. */
  const assertNoneRefused = () => {
    if (refused !== undefined) throw refused.error;
  };

  // A client that leaves before the body is ever pulled: nothing else would end the provider's
  // stream or release the scope.
  let isPulled = false;
  o.scope.signal.addEventListener(
    "abort",
    () => {
      if (isPulled) return;
      isPulled = true;
      closed = true;
      o.scope.dispose();
      finish({ kind: "client_gone" });
      void iterator.return?.()?.catch?.(() => undefined);
    },
    { once: true },
  );

  const body = new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      if (isPulled) {
        if (o.scope.isClients) streamEnded(o.scope.request);
        return controller.close();
      }
      isPulled = true;
      // One flush per burst, not per chunk: what is ready now goes out in one write; the flush runs
      // on the next turn of the event loop, so a paced stream still reaches the client chunk by chunk.
      /**
       * Every way the stream closes: its connection may idle from now, for KEEPALIVE_TIMEOUT_S
       * (http/connection-clock.ts), set before the close, as Bun takes no time-out once an answer has ended.
       */
      const closeStream = () => {
        // A background response's recording is not what its client reads: its replay says when it ends.
        if (o.scope.isClients) streamEnded(o.scope.request);
        controller.close();
      };
      let flushQueued = false;
      const flushNow = () => {
        flushQueued = false;
        if (!closed) controller.flush();
      };
      const afterWrite = (n: number) => {
        if (n === 0) {
          closed = true; // the client went away: stop the provider too
          o.scope.abort(new ClientGoneError());
        } else if (!flushQueued) {
          flushQueued = true;
          setImmediate(flushNow);
        }
      };
      // Backpressure: the write waits for the client, the idle time-out at most without progress (the
      // idle timer, restarted when the wait begins and whenever bytes go out, says when: no timer per
      // write). Progress is what the socket reports: the kernel says it has room once a share of its
      // send buffer has drained (about a megabyte on Linux's defaults), not byte by byte.
      const drained = (n: number) => {
        if (--clientWaits > 0 && !closed) idleTimer?.refresh();
        afterWrite(n);
      };
      const write = (text: string): void | Promise<void> => {
        if (closed || text.length === 0) return;
        const written = controller.write(text);
        if (typeof written === "number") return afterWrite(written);
        if (clientWaits++ === 0) idleTimer?.refresh();
        return written.then(drained);
      };
      /**
       * The client took no byte for the idle time-out while its send buffer was full: it is taken for
       * gone (499 client_gone, as one that leaves), since it would otherwise hold the stream, its
       * upstream call (one of the fetch's few at once) and its connection for as long as it stays
       * connected without reading. A security probe held 256 streams so and hung that upstream.
       */
      const clientStalled = () => {
        closed = true;
        o.logger.info("client stopped reading", { idle_ms: o.idleTimeoutMs });
        o.scope.abort(new ClientGoneError()); // the listener below ends it; the provider's call is aborted
        streamStalled(o.scope.request);
      };
      let failed = false;
      const fail = async (error: unknown) => {
        if (closed || o.scope.isClientGone) return finish({ kind: "client_gone" });
        // Once: the idle timer and the provider's own failure (its abort) may both get here.
        if (failed) return;
        failed = true;
        const mapped = mapError(o.scope.explain(error), o.redact);
        if (mapped.internal) o.logger.error("stream failed", { error });
        // A cancel (499) is what someone asked for, not a failure.
        else if (mapped.status === 499) o.logger.info("stream stopped", { status: mapped.status, code: mapped.body.error.code });
        else o.logger.warn("stream failed", { status: mapped.status, code: mapped.body.error.code, message: mapped.body.error.message });
        finish({ kind: "error", error: mapped });
        await write(encoder.error(mapped));
      };
      // The scope aborted: a provider that ignores its signal must not hold the request. A client that
      // left ends it now; for a reason of the gateway's (an idle time-out, a background response's
      // cancel) the error event goes out and the stream closes now.
      o.scope.signal.addEventListener(
        "abort",
        () => {
          if (o.scope.isClientGone) return finish({ kind: "client_gone" });
          if (closed) return;
          void fail(o.scope.signal.reason).then(() => {
            if (closed) return;
            closed = true;
            closeStream();
          });
        },
        { once: true },
      );
      idleTimer = setTimeout(() => {
        // A background response's reader is its recording, the gateway's own: not a client to cut off.
        if (clientWaits > 0 && o.scope.isClients) return clientStalled();
        // Idle means the upstream is silent: time spent waiting on a client (backpressure) is not.
        if (waitingSince === undefined) return idleTimer?.refresh();
        const error = new UpstreamTimeoutError(`The upstream stream was idle for ${o.idleTimeoutMs} ms.`);
        o.scope.abort(error); // the listener above answers and closes, unless the scope was already aborted
        void fail(error).then(() => {
          if (closed) return;
          closed = true;
          closeStream();
        });
      }, o.idleTimeoutMs);
      let result = first;
      try {
        const opening = result.done ? encoder.start() : encoder.start() + encode(result.value);
        const pending = write(opening);
        if (pending) await pending;
        assertNoneRefused();
        while (!closed && !result.done) {
          idleTimer.refresh();
          const waitStart = performance.now();
          waitingSince = waitStart;
          result = await iterator.next();
          waitingSince = undefined;
          upstreamMs += performance.now() - waitStart;
          if (closed) break;
          if (result.done) break;
          const pending = write(encode(result.value));
          if (pending) await pending;
          assertNoneRefused();
        }
        if (closed) finish({ kind: o.scope.isClientGone ? "client_gone" : "error" });
        else if (o.scope.signal.aborted) await fail(o.scope.signal.reason); // a provider that ends quietly when aborted (a time-out, a cancel) did not finish
        else {
          // A surface that must do something before its last event may fail there: its error event then, an error outcome.
          const tail = encoder.end(o.tokens?.());
          const text = typeof tail === "string" ? tail : await tail;
          finish({ kind: "ok" });
          await write(text);
        }
      } catch (error) {
        await fail(error);
      } finally {
        clearTimeout(idleTimer);
        o.scope.dispose();
        if (!result.done) {
          try {
            void iterator.return?.()?.catch?.(() => undefined);
          } catch {
            // A plugin's return() that throws at once: its stream is over either way (it took the gateway down).
          }
        }
        if (o.scope.isClientGone) finish({ kind: "client_gone" });
        if (!closed) {
          closed = true;
          closeStream();
        }
      }
    },
    cancel() {
      closed = true;
      o.scope.abort(new ClientGoneError());
    },
  } satisfies Bun.DirectUnderlyingSource<Uint8Array>);

  return new Response(body, { status: 200, headers: { ...encoder.headers, ...o.headers } });
}
