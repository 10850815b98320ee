import {
  classifyUpstreamFailure,
  hasErrorFields,
  InvalidRequestError,
  MAX_UPSTREAM_ERROR_BYTES,
  parseSseBatches,
  parseSseJson,
  readUpstreamText,
  UpstreamError,
  UpstreamTimeoutError,
  type UpstreamCall,
} from "../../src/kit.ts";
import { errorFromPayload, errorFromResponse, type ErrorContext } from "./map-error.ts";
import type { Upstream } from "./settings.ts";


/** The last payload of a stream that ended with `[DONE]` (fromUpstreamEvents). */
export const STREAM_DONE: unique symbol = Symbol("[DONE]");

export type UpstreamPath = "/models" | `/models/${string}` | "/chat/completions" | "/embeddings";

/**
 * The only code that knows URLs, headers and `fetch`. One per instance, built at start-up. The
 * request goes out with this instance's key, its configured headers and the core's upstream
 * headers; nothing of the client's request but the body.
 */
export class UpstreamClient {
  readonly #upstream: Upstream;
  readonly #fetch: typeof fetch;

  readonly #headersByKind = new Map<string, Readonly<Record<string, string>>>();

  constructor(upstream: Upstream, fetchImpl: typeof fetch) {
    this.#upstream = upstream;
    this.#fetch = fetchImpl;
  }

  /** The configured headers, `accept`, `content-type` and the key, lower-cased, made once per kind of call. */
  #baseHeaders(accept: string, hasBody: boolean): Readonly<Record<string, string>> {
    const kind = `${accept}|${hasBody}`;
    let headers = this.#headersByKind.get(kind);
    if (headers === undefined) {
      const made: Record<string, string> = {};
      for (const [name, value] of Object.entries(this.#upstream.headers)) made[name.toLowerCase()] = value;
      made.accept = accept;
      if (hasBody) made["content-type"] = "application/json";
      if (this.#upstream.apiKey !== undefined) made.authorization = `Bearer ${this.#upstream.apiKey}`;
      this.#headersByKind.set(kind, (headers = made));
    }
    return headers;
  }

  get name(): string {
    return this.#upstream.name;
  }

  /** For mapping errors of this instance (the key is only ever used to take it out of text). */
  errorContext(requestedModel?: string): ErrorContext {
    const key = this.#upstream.apiKey;
    return {
      instance: this.#upstream.name,
      requestedModel,
      hasKey: key !== undefined,
      // Shorter values would cut ordinary words out of messages; keys are never that short.
      redact: key === undefined || key.length < 4 ? (text) => text : (text) => text.split(key).join("***"),
    };
  }

  /** `GET {base_url}/models` (or `/models/{id}`), parsed. */
  async getJson(path: "/models" | `/models/${string}`, ctx: UpstreamCall): Promise<unknown> {
    return this.#readJson(path, "GET", undefined, ctx);
  }

  /** A JSON POST, answered with JSON. */
  async postJson(path: UpstreamPath, body: unknown, ctx: UpstreamCall): Promise<unknown> {
    return this.#readJson(path, "POST", body, ctx);
  }

  /**
   * A JSON POST answered with server-sent events. The promise settles when the answer's headers are
   * in: HTTP errors reject it, before any event (so the core can still answer with an HTTP error,
   * and a caller can send the request again). Then the events' JSON until `[DONE]`, one array per
   * network read (an async step per read, not per event).
   */
  async openStream(path: UpstreamPath, body: unknown, ctx: UpstreamCall): Promise<AsyncGenerator<unknown[]>> {
    const call = this.#open(ctx);
    let response: Response;
    try {
      response = await this.#send(path, "POST", body, "text/event-stream", call.signal, ctx);
    } finally {
      // timeout_ms bounds the wait for the answer to begin; STREAM_IDLE_TIMEOUT_MS (core) the rest.
      call.done();
    }
    if (!response.body) throw new UpstreamError(`The upstream ${this.name} answered a stream request with no body.`);
    if (response.headers.get("content-type")?.includes("json")) {
      // Some servers answer a stream request that fails with a JSON error instead of events.
      throw this.#notAStream(await readUpstreamText(response, MAX_UPSTREAM_ERROR_BYTES, true).catch(() => ""), ctx);
    }
    return this.#events(response.body, call.signal);
  }

  /** Lines until `[DONE]` as parsed events, `STREAM_DONE` last when `[DONE]` came. */
  async *#events(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<unknown[]> {
    try {
      for await (const messages of parseSseBatches(body)) {
        const payloads: unknown[] = [];
        let isDone = false;
        for (const message of messages) {
          if (message.data === "[DONE]") {
            isDone = true;
            break;
          }
          const payload = parseSseJson(message);
          // An error event's data may be the error object itself (llama.cpp's `error:` line): read as OpenAI's envelope.
          payloads.push(message.event === "error" && payload !== null && typeof payload === "object" && !("error" in payload) ? { error: payload } : payload);
        }
        // `[DONE]` said the stream ended as it should: the caller may close choices the upstream never finished.
        if (isDone) payloads.push(STREAM_DONE);
        // A read of comments only (a keep-alive) is an empty batch: the upstream is alive, for the stream's idle time-out.
        if (payloads.length > 0 || messages.length === 0) yield payloads;
        if (isDone) return;
      }
    } catch (error) {
      throw this.#transportError(error, signal, "reading");
    }
  }

  async #readJson(path: UpstreamPath, method: "GET" | "POST", body: unknown, ctx: UpstreamCall): Promise<unknown> {
    const call = this.#open(ctx);
    try {
      const response = await this.#send(path, method, body, "application/json", call.signal, ctx);
      let text: string;
      try {
        text = await readUpstreamText(response);
      } catch (error) {
        if (hasErrorFields(error)) throw error; // larger than the gateway reads
        throw this.#transportError(error, call.signal, "reading");
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new UpstreamError(`The upstream ${this.name} answered ${method} ${path} with something that is not JSON.`);
      }
    } finally {
      call.done();
    }
  }

  #notAStream(text: string, ctx: UpstreamCall): Error {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = undefined;
    }
    return (
      errorFromPayload(payload, this.errorContext(ctx.requestedModel)) ??
      new UpstreamError(`The upstream ${this.name} answered a stream request with JSON instead of events.`)
    );
  }

  /** Sends one request; a non-2xx answer is read and thrown as the mapped kit error. */
  async #send(
    path: UpstreamPath,
    method: "GET" | "POST",
    body: unknown,
    accept: string,
    signal: AbortSignal,
    ctx: UpstreamCall,
  ): Promise<Response> {
    // A plain object over the headers made once per instance (names lower-cased there, so nothing
    // configured can double one of ours): no Headers object and no set() calls per request.
    // `x-ollaix-hops`, `x-request-id` (and `traceparent`) come last, so nothing configured overrides them.
    const headers = { ...this.#baseHeaders(accept, body !== undefined), ...ctx.upstreamHeaders };
    // Serialised before the call: a body that cannot be is the request's fault, never the upstream's failure.
    const sent = body === undefined ? undefined : requestText(body);

    let response: Response;
    try {
      response = await this.#fetch(`${this.#upstream.baseUrl}${path}`, {
        method,
        headers,
        body: sent,
        signal,
        redirect: "manual", // following one would carry the key to wherever it points
      });
    } catch (error) {
      throw this.#transportError(error, signal, "connecting");
    }
    if (response.ok) return response;
    let text = "";
    try {
      text = await readUpstreamText(response, MAX_UPSTREAM_ERROR_BYTES, true);
    } catch (error) {
      throw this.#transportError(error, signal, "reading");
    }
    const answer = { status: response.status, headers: response.headers, body: text };
    throw errorFromResponse(answer, this.errorContext(ctx.requestedModel), Date.now());
  }

  /** The signal for one call: the context's, plus `timeout_ms` when the upstream has one. */
  #open(ctx: UpstreamCall): { signal: AbortSignal; done(): void } {
    const ms = this.#upstream.timeoutMs;
    if (ms === undefined) return { signal: ctx.signal, done: () => undefined };
    const timer = new AbortController();
    const handle = setTimeout(
      () => timer.abort(new UpstreamTimeoutError(`The upstream ${this.name} did not answer within ${ms} ms (its timeout_ms).`)),
      ms,
    );
    return { signal: AbortSignal.any([ctx.signal, timer.signal]), done: () => clearTimeout(handle) };
  }

  /** A failure below HTTP as the kit error (the kit's one classifier). */
  #transportError(error: unknown, signal: AbortSignal, stage: "connecting" | "reading"): unknown {
    // The client went away: the abort itself is what the core expects (it says nothing to anyone).
    if (signal.aborted && !hasErrorFields(signal.reason) && !(signal.reason instanceof DOMException)) return error;
    return classifyUpstreamFailure(error, { signal, provider: `the upstream ${this.name}`, stage });
  }
}

/** A request body as JSON; one nested too deep to serialise (the stack runs out) is a 400, not the upstream's failure. */
function requestText(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    if (error instanceof RangeError) throw new InvalidRequestError("The request nests too deeply to be sent upstream.", { param: null });
    throw error;
  }
}
