import { AsyncLocalStorage } from "node:async_hooks";
// The browser entry on purpose: the Node entry's `encodeImage` reads any image string that names an
// existing file (`data:image/png;base64,/etc/passwd` would send that file to the model).
import { Ollama } from "ollama/browser";
import { boundedFetch, hasErrorFields, MAX_UPSTREAM_ERROR_BYTES, parseNdjsonBatches, readUpstreamText, retryAfterHeader, UpstreamError, type UpstreamCall } from "../../src/kit.ts";
import { fromOllamaError, OllamaResponseError } from "./errors.ts";
import {
  errorTextOf,
  parseChatResponse,
  parseEmbedResponse,
  parsePs,
  parseShow,
  parseTags,
  parseVersion,
  type OllamaChatRequest,
  type OllamaChatResponse,
  type OllamaEmbedRequest,
  type OllamaEmbedResponse,
  type OllamaPs,
  type OllamaShow,
  type OllamaTags,
} from "./wire.ts";


/** The Ollama HTTP API as the plugin uses it. Every failure comes out as one of the kit's errors. */
export interface OllamaClient {
  listModels(scope: UpstreamCall): Promise<OllamaTags>;
  showModel(model: string, scope: UpstreamCall): Promise<OllamaShow>;
  chat(body: OllamaChatRequest, scope: UpstreamCall): Promise<OllamaChatResponse>;
  /** The NDJSON lines of a streamed chat, up to and including the one with `done: true`. */
  /** The streamed answer's lines, one array per network read (an async step per read, not per line). */
  chatStream(body: OllamaChatRequest, scope: UpstreamCall): AsyncGenerator<OllamaChatResponse[]>;
  embed(body: OllamaEmbedRequest, scope: UpstreamCall): Promise<OllamaEmbedResponse>;
  version(scope: UpstreamCall): Promise<string>;
  /** Loads the model (with the Modelfile `options` given), or unloads it with a `keepAlive` of zero (`POST /api/generate` with no prompt). */
  load(model: string, keepAlive: number | string | undefined, options: Readonly<Record<string, unknown>> | undefined, scope: UpstreamCall): Promise<void>;
  /** The models loaded now (`GET /api/ps`). */
  running(scope: UpstreamCall): Promise<OllamaPs>;
}

/** The only place that knows Ollama's URLs and the `ollama` package. Built once per plugin instance. */
export function createOllamaClient(options: { baseUrl: string; fetch: typeof fetch }): OllamaClient {
  const { fetch: baseFetch } = options;
  const root = options.baseUrl.replace(/\/+$/, "");
  // ollama-js takes one `fetch` for the client's life and passes no signal on non-streamed calls;
  // the call's scope (signal, hop headers) reaches that shared fetch through async context.
  const calls = new AsyncLocalStorage<UpstreamCall>();
  // ollama-js reads each answer whole: bounded, as the gateway's own reads are (a stream goes through streamChat's parser, which bounds each line).
  const wholeFetch = boundedFetch(baseFetch);
  const scopedFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const scope = calls.getStore();
    if (!scope) return wholeFetch(input, init);
    const signal = init?.signal ? AbortSignal.any([init.signal, scope.signal]) : scope.signal;
    // ollama-js hands a plain object of headers: the hop headers join it as one more plain object
    // (a Headers copy and a set() per header cost more, on every call).
    const given = init?.headers;
    let headers: RequestInit["headers"];
    if (given === undefined || (typeof given === "object" && !(given instanceof Headers) && !Array.isArray(given))) {
      headers = { ...given, ...scope.upstreamHeaders };
    } else {
      headers = new Headers(given);
      for (const [name, value] of Object.entries(scope.upstreamHeaders)) headers.set(name, value);
    }
    // ollama-js's error keeps no header: a refusal's Retry-After is noted for the call's error (call, below).
    return wholeFetch(input, { ...init, headers, signal }).then((response) => (response.ok ? response : asJsonError(noteRetryAfter(response, scope))));
  };
  /**
   * An error answer as ollama-js reads one quietly: JSON. A body that is not (a proxy's HTML page, a
   * plain-text 502) made it print "Getting text from response" on stdout, a line that is not the
   * gateway's JSON log, for every call; its text becomes `{"error": …}` (at most 1,000 characters).
   */
  const asJsonError = async (response: Response): Promise<Response> => {
    const text = await readUpstreamText(response, MAX_UPSTREAM_ERROR_BYTES, true).catch(() => "");
    const init = { status: response.status, statusText: response.statusText, headers: { "content-type": "application/json" } };
    if (response.headers.get("content-type")?.includes("application/json")) {
      try {
        JSON.parse(text);
        return new Response(text, init);
      } catch {
        // Said JSON and is not: its text, as for any other.
      }
    }
    const said = text.trim().slice(0, 1000) || `HTTP ${response.status} ${response.statusText}`.trim();
    return new Response(JSON.stringify({ error: said }), init);
  };
  const retryAfters = new WeakMap<UpstreamCall, number>();
  const noteRetryAfter = (response: Response, scope: UpstreamCall): Response => {
    const seconds = retryAfterHeader(response.headers.get("retry-after"));
    if (seconds !== undefined) retryAfters.set(scope, seconds);
    return response;
  };
  // Bun's `typeof fetch` also declares `preconnect`, which ollama-js never calls.
  const ollama = new Ollama({ host: root, fetch: scopedFetch as typeof fetch });

  async function call<T>(scope: UpstreamCall, run: () => Promise<unknown>, parse: (value: unknown) => T): Promise<T> {
    try {
      return parse(await calls.run(scope, run));
    } catch (error) {
      throw fromOllamaError(error, scope, retryAfters.get(scope));
    }
  }

  // ollama-js's request types are narrower than what the converters build (tool parameters as any
  // JSON schema); the body is Ollama's documented shape either way.
  type ClientChatRequest = Parameters<typeof ollama.chat>[0] & { stream: false };

  return {
    listModels: (scope) => call(scope, () => ollama.list(), parseTags),
    showModel: (model, scope) => call(scope, () => ollama.show({ model }), parseShow),
    chat: (body, scope) => call(scope, () => ollama.chat({ ...body, stream: false } as ClientChatRequest), parseChatResponse),
    embed: (body, scope) => call(scope, () => ollama.embed(body), parseEmbedResponse),
    version: (scope) => call(scope, () => ollama.version(), (value) => parseVersion(value).version),
    // No prompt: Ollama loads the model (`done_reason: "load"`), or unloads it with a keep_alive of zero.
    load: (model, keepAlive, options, scope) =>
      call(
        scope,
        () => ollama.generate({ model, prompt: "", stream: false, ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }), ...(options === undefined ? {} : { options }) }),
        () => undefined,
      ),
    running: (scope) => call(scope, () => ollama.ps(), parsePs),
    chatStream: (body, scope) => streamChat(baseFetch, `${root}/api/chat`, body, scope),
  };
}

/**
 * Streamed chat over plain fetch + the core's NDJSON parser rather than ollama-js, whose stream
 * reader skips malformed lines with a console warning (they must fail, STYLE.md §6), turns an
 * `{"error"}` line into a bare Error, and keeps every stream in a list until `done` arrives, so
 * streams the client abandons would pile up in this long-lived client.
 */
async function* streamChat(
  baseFetch: typeof fetch,
  url: string,
  body: OllamaChatRequest,
  scope: UpstreamCall,
): AsyncGenerator<OllamaChatResponse[]> {
  let stream: ReadableStream<Uint8Array>;
  try {
    const response = await baseFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/x-ndjson", ...scope.upstreamHeaders },
      body: JSON.stringify({ ...body, stream: true }),
      signal: scope.signal,
    });
    if (!response.ok) throw await responseErrorOf(response);
    if (!response.body) throw new UpstreamError("Ollama answered the streamed chat without a body.");
    stream = response.body;
  } catch (error) {
    throw fromOllamaError(error, scope);
  }
  try {
    for await (const lines of parseNdjsonBatches(stream)) {
      const batch: OllamaChatResponse[] = [];
      let isDone = false;
      try {
        for (const line of lines) {
          const chunk = parseChatResponse(line);
          batch.push(chunk);
          if ((isDone = chunk.done === true)) break;
        }
      } catch (error) {
        // The lines before an `{"error"}` line in the same read are still the client's.
        if (batch.length > 0) yield batch;
        throw error;
      }
      yield batch;
      if (isDone) return;
    }
  } catch (error) {
    if (scope.signal.aborted || hasErrorFields(error)) throw fromOllamaError(error, scope);
    const why = error instanceof Error ? error.message : String(error);
    throw new UpstreamError(`The Ollama stream broke off: ${why}`, { cause: error });
  }
  throw new UpstreamError("The Ollama stream ended before its final message (`done: true`).");
}

/** A non-2xx answer as ollama-js reads one: the JSON body's `error`, else the text, else the status. */
async function responseErrorOf(response: Response): Promise<OllamaResponseError> {
  const text = await response.text().catch(() => "");
  let message = text.trim();
  try {
    message = errorTextOf(JSON.parse(text)) ?? message;
  } catch {
    // Not JSON: the text is the message.
  }
  return new OllamaResponseError(message || `HTTP ${response.status} ${response.statusText}`.trim(), response.status, retryAfterHeader(response.headers.get("retry-after")));
}
