import { UpstreamTimeoutError } from "./errors.ts";
import { mapError } from "./error-response.ts";
import type { Logger } from "./logger.ts";
import type { ChunkResult } from "./plugin.ts";
import { ClientGoneError, type RequestScope } from "./request-scope.ts";
import type { Usage } from "./schemas/common.ts";
import { SSE_DONE, SSE_HEADERS, sseError } from "./sse.ts";

export interface ChatStreamOptions {
  id: string;
  created: number;
  model: string;
  /** Number of choices asked for (`n`). */
  choices: number;
  includeUsage: boolean;
  idleTimeoutMs: number;
  scope: RequestScope;
  logger: Logger;
  redact: (text: string) => string;
  headers: Record<string, string>;
}

const ZERO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * Turns a provider's chunk iterator into the OpenAI SSE stream. The first chunk was already awaited
 * by the caller (so failures before it are plain HTTP errors). Per chunk the core adds `id`,
 * `object`, `created`, `model` (a pre-built JSON prefix), `finish_reason: null` and the first
 * delta's role; it holds the usage for the final usage chunk, which it sends only on request.
 */
export function chatStreamResponse(
  first: IteratorResult<ChunkResult | readonly ChunkResult[]>,
  iterator: AsyncIterator<ChunkResult | readonly ChunkResult[]>,
  o: ChatStreamOptions,
): Response {
  const prefix =
    `data: {"id":${JSON.stringify(o.id)},"object":"chat.completion.chunk","created":${o.created},` +
    `"model":${JSON.stringify(o.model)},`;
  const roleSent: boolean[] = new Array(o.choices).fill(false);
  const finished: boolean[] = new Array(o.choices).fill(false);
  let usage: Usage | undefined;
  let closed = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const frame = (chunk: ChunkResult): string | undefined => {
    if (chunk.usage) usage = chunk.usage;
    const choices = chunk.choices;
    if (choices.length === 0) return undefined; // a usage-only chunk: held for the end
    for (const choice of choices) {
      const i = choice.index;
      if (choice.finish_reason === undefined) choice.finish_reason = null;
      else if (choice.finish_reason !== null) finished[i] = true;
      if (!roleSent[i]) {
        roleSent[i] = true;
        if (choice.delta.role === undefined) choice.delta = { role: "assistant", ...choice.delta };
      }
    }
    // OpenAI sends `usage: null` on every chunk when usage was asked for, and no field otherwise.
    chunk.usage = o.includeUsage ? null : undefined;
    if ("id" in chunk) {
      // A chunk parsed from an OpenAI-shaped upstream already has these fields: overwriting them
      // keeps the object's shape (deleting them would make serialising it slower).
      const full = chunk as ChunkResult & { id: unknown; object: unknown; created: unknown; model: unknown };
      full.id = o.id;
      full.object = "chat.completion.chunk";
      full.created = o.created;
      full.model = o.model;
      return `data: ${JSON.stringify(full)}\n\n`;
    }
    return prefix + JSON.stringify(chunk).slice(1) + "\n\n";
  };

  /** One chunk, or a batch of them (one upstream read), as one piece of text to write. */
  const frameAll = (value: ChunkResult | readonly ChunkResult[]): string | undefined => {
    if (!Array.isArray(value)) return frame(value as ChunkResult);
    let out: string | undefined;
    for (const chunk of value as readonly ChunkResult[]) {
      const text = frame(chunk);
      if (text !== undefined) out = out === undefined ? text : out + text;
    }
    return out;
  };

  const closingFrames = (): string => {
    let out = "";
    for (let i = 0; i < o.choices; i++) {
      if (finished[i]) continue;
      // A provider that ended without saying why ended normally.
      const delta = roleSent[i] ? {} : { role: "assistant" as const, content: "" };
      out += frame({ choices: [{ index: i, delta, finish_reason: "stop" }] });
    }
    if (o.includeUsage) {
      out += `${prefix}"choices":[],"usage":${JSON.stringify(usage ?? ZERO_USAGE)}}\n\n`;
    }
    return out + SSE_DONE;
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
      void iterator.return?.()?.catch?.(() => undefined);
    },
    { once: true },
  );

  const body = new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      if (isPulled) return controller.close();
      isPulled = true;
      // One flush per burst, not per chunk: chunks that are ready now (an upstream read holds
      // many) go out in one write to the socket; the flush runs once the burst is written, on
      // the next turn of the event loop, so a paced stream still reaches the client chunk by chunk.
      let flushQueued = false;
      const flushNow = () => {
        flushQueued = false;
        if (!closed) controller.flush();
      };
      const write = (text: string): void | Promise<void> => {
        if (closed) return;
        const written = controller.write(text);
        if (typeof written !== "number") return written.then(afterWrite); // backpressure: wait
        afterWrite(written);
      };
      const afterWrite = (n: number) => {
        if (n === 0) {
          closed = true; // the client went away: stop the provider too
          o.scope.abort(new ClientGoneError());
        }
        else if (!flushQueued) {
          flushQueued = true;
          setImmediate(flushNow);
        }
      };
      const fail = async (error: unknown) => {
        if (closed || o.scope.isClientGone) return;
        const mapped = mapError(o.scope.explain(error), o.redact);
        if (mapped.internal) o.logger.error("stream failed", { error });
        else o.logger.warn("stream failed", { status: mapped.status, message: mapped.body.error.message });
        await write(sseError(mapped.body));
      };
      idleTimer = setTimeout(() => {
        const error = new UpstreamTimeoutError(`The upstream stream was idle for ${o.idleTimeoutMs} ms.`);
        o.scope.abort(error);
        // A provider that ignores the signal must not hang the client: answer and close now.
        void fail(error).then(() => {
          closed = true;
          controller.close();
        });
      }, o.idleTimeoutMs);
      let result = first;
      try {
        while (!result.done) {
          const text = frameAll(result.value);
          if (text !== undefined) {
            const pending = write(text);
            if (pending) await pending;
          }
          if (closed) return;
          idleTimer.refresh();
          result = await iterator.next();
          if (closed) return;
        }
        await write(closingFrames());
      } catch (error) {
        await fail(error);
      } finally {
        clearTimeout(idleTimer);
        o.scope.dispose();
        if (!result.done) void iterator.return?.()?.catch?.(() => undefined);
        if (!closed) {
          closed = true;
          controller.close();
        }
      }
    },
    cancel() {
      closed = true;
      o.scope.abort(new ClientGoneError());
    },
  } satisfies Bun.DirectUnderlyingSource<Uint8Array>);

  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...o.headers } });
}
