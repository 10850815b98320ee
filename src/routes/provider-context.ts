import type { Logger } from "../logger.ts";
import type { ClientOptions, RequestContext } from "../plugin.ts";
import { RequestScope } from "../request-scope.ts";
import { hopsOf } from "../request-meta.ts";
import type { Config } from "../config.ts";
import { loadMessageImages, type InlineImage } from "../image-fetch.ts";
import type { Message } from "../schemas/chat.ts";
import type { FetchHold, FetchMemory } from "../fetch-memory.ts";
import { traceparentOf, type TraceStamp } from "../observe/trace-stamp.ts";

/** The images loaded for a request, by the conversation they were loaded from. */
export type LoadedImages = WeakMap<readonly Message[], Promise<Map<string, InlineImage>>>;

/** The per-request context a provider gets: the abortable scope, ids, hop header, logger. */
export function providerContext(
  /** `fetchMemory`: what the gateway's fetches by URL may hold, all requests together. */
  deps: { config: Readonly<Config>; logger: Logger; fetchMemory?: FetchMemory },
  request: Request,
  requestId: string,
  requestedModel: string,
  upstreamId: string,
  providerName: string,
  /** When tracing is on: upstream requests carry this request's span as their `traceparent`. */
  trace?: TraceStamp,
  /** The call's own life instead of the client's connection (a background response's). */
  life?: AbortSignal,
  /** The client's own options the chat request cannot carry (RequestContext.clientOptions). */
  clientOptions?: ClientOptions,
  /**
   * Where the request keeps its share of `fetchMemory` (made on its first fetch, released when it
   * ends), and the images its attempts loaded.
   */
  holder?: { fetched?: FetchHold; images?: LoadedImages },
): { scope: RequestScope; ctx: RequestContext } {
  const scope = new RequestScope(request, life);
  let logger: Logger | undefined;
  const ctx: RequestContext = {
    // Read on demand: the scope makes its AbortController only for providers that use it.
    get signal() {
      return scope.signal;
    },
    model: upstreamId,
    requestedModel,
    requestId,
    upstreamHeaders: trace
      ? { "x-ollaix-hops": String(hopsOf(request) + 1), "x-request-id": requestId, traceparent: traceparentOf(trace), ...(trace.traceState ? { tracestate: trace.traceState } : {}) }
      : { "x-ollaix-hops": String(hopsOf(request) + 1), "x-request-id": requestId },
    // Built on first use: most requests never log.
    get logger() {
      return (logger ??= deps.logger.child({ request_id: requestId, provider: providerName }));
    },
    loadImages: (messages) => {
      // A retry or the next deployment of the same conversation takes what an attempt loaded: fetched
      // and charged to the gateway's fetch memory once a request, not once an attempt (a probe: a
      // route's retries filled URL_FETCH_MEMORY_MB with one image and answered 503 for themselves).
      const known = holder?.images?.get(messages);
      if (known !== undefined) return known;
      const loading = loadMessageImages(messages, {
        allowPrivate: deps.config.imageFetchAllowPrivate,
        signal: scope.signal,
        held: holder && deps.fetchMemory ? (holder.fetched ??= deps.fetchMemory.hold()) : undefined,
      });
      if (holder !== undefined) {
        const images = (holder.images ??= new WeakMap());
        images.set(messages, loading);
        // A load that failed (the attempt's time-out, an unreachable host) is tried again by the next attempt.
        loading.catch(() => images.get(messages) === loading && images.delete(messages));
      }
      return loading;
    },
    clientOptions,
    responseModel: undefined,
  };
  return { scope, ctx };
}
