import type { Server } from "bun";
import { ConnectionClock } from "./connection-clock.ts";
import type { Config } from "../config.ts";
import { type ContentTypeRule, hasBody, readJsonBody } from "../body.ts";
import type { KeyStore } from "../keys/key-store.ts";
import { guardRequest } from "../guards.ts";
import { requestIdOf } from "../request-meta.ts";
import { JSON_TYPE, JsonText } from "./json-text.ts";

/** What the surfaces' POST handlers read from their context (the same functions Elysia calls). */
interface HandlerContext {
  body: unknown;
  request: Request;
  set: { headers: Record<string, string>; status?: number };
}
type Handler = (context: HandlerContext) => unknown;

export interface FastRouteDeps {
  config: Readonly<Config>;
  keys: KeyStore;
  errorResponse: (error: unknown, request: Request, requestId: string, frameworkCode?: unknown, body?: unknown) => Response;
  exposeHeaders: readonly string[];
}

/**
 * The hot routes (every JSON POST of the model surfaces: `/v1/chat/completions`, `/v1/responses`,
 * `/v1/messages`, `/api/chat`…) served by Bun directly (`Bun.serve({ routes })`) instead of through
 * Elysia's per-request pipeline of hooks, which cost a third of a bare Bun server's throughput in
 * the benchmark. Each one runs exactly what Elysia would run, from the same functions: the guard
 * (request id, loop guard, keys), the JSON body reader (content type, size limit), the route's own
 * handler, the CORS headers, and the one error responder. Elysia keeps the same routes registered:
 * `/docs/json` documents them and `app.handle` (tests) reaches them; other methods on these paths
 * (OPTIONS preflight, a wrong method) fall through to Elysia.
 */
export function fastRoutes(
  routes: readonly { method: string; path: string; handler: unknown }[],
  deps: FastRouteDeps,
): Record<string, { POST: (request: Request, server?: Server<unknown>) => Promise<Response> }> {
  const limit = deps.config.maxBodyBytes;
  const clock = new ConnectionClock(deps.config.bodyIdleTimeoutS, deps.config.keepAliveTimeoutS);
  const origins = deps.config.corsAllowedOrigins;
  // The CORS headers @elysiajs/cors adds to an answer, as app.ts configures it.
  const cors: Record<string, string> = {
    "access-control-expose-headers": deps.exposeHeaders.join(", "),
    "access-control-allow-headers": "authorization, *",
    "access-control-allow-methods": "POST",
    vary: origins === "*" ? "*" : "Origin",
  };
  const allowOrigin = (request: Request): string | undefined => {
    const origin = request.headers.get("origin");
    if (origins === "*") return origin ?? "*";
    return origin !== null && origins.includes(origin) ? origin : undefined;
  };

  /**
   * The route's own headers, plus CORS's when the request came from a browser page (it sends
   * `Origin`; SDKs and curl do not, and a response without CORS headers is what CORS expects for
   * them), as one object: one conversion to native headers per answer, and the fewer the cheaper.
   */
  const headersFor = (request: Request, own: Record<string, string>, contentType?: string): Record<string, string> => {
    const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
    if (request.headers.has("origin")) {
      for (const name in cors) headers[name] = cors[name]!;
      const origin = allowOrigin(request);
      if (origin !== undefined) headers["access-control-allow-origin"] = origin;
    }
    for (const name in own) headers[name] = own[name]!;
    return headers;
  };
  /** A Response built elsewhere (a stream, an error envelope): CORS and the route's headers added. */
  const withHeaders = (request: Request, response: Response, own: Record<string, string>): Response => {
    const target = response.headers;
    const add = headersFor(request, own);
    for (const name in add) target.set(name, add[name]!);
    return response;
  };

  const serve = (handler: Handler, rule: ContentTypeRule, anthropic: boolean, optional = false) =>
    async function fastRoute(request: Request, server?: Server<unknown>): Promise<Response> {
      const requestId = requestIdOf(request);
      // Anthropic's SDKs read the id from `request-id`, also on a refusal before the route's own code.
      const set: HandlerContext["set"] = { headers: anthropic ? { "x-request-id": requestId, "request-id": requestId } : { "x-request-id": requestId } };
      let body: unknown;
      try {
        guardRequest(request, deps.keys);
        if (optional && !hasBody(request)) {
          body = {};
          clock.stop(request, server);
        } else {
          clock.start(request, server);
          body = await readJsonBody(request, limit, rule);
          clock.stop(request, server);
        }
        const result = await handler({ body, request, set });
        if (result instanceof Response) {
          // A stream's connection idles from its end; any other answer's from now (http/connection-clock.ts).
          if (isStream(result)) clock.answeringStream(request, server);
          else clock.answered(request, server);
          return withHeaders(request, result, set.headers);
        }
        const text = result instanceof JsonText ? result.text : JSON.stringify(result);
        clock.answered(request, server);
        return new Response(text, { status: set.status ?? 200, headers: headersFor(request, set.headers, JSON_TYPE) });
      } catch (error) {
        clock.answered(request, server);
        // The route's headers so far go with its error too (the request's ids; rate-limit headers a route set).
        return withHeaders(request, deps.errorResponse(error, request, requestId, undefined, body), set.headers);
      }
    };

  const out: Record<string, { POST: (request: Request, server?: Server<unknown>) => Promise<Response> }> = {};
  for (const route of routes) {
    if (route.method !== "POST" || !(route.path.startsWith("/v1/") || route.path.startsWith("/api/"))) continue;
    if (answersWithoutBody(route.handler)) continue; // Elysia answers it before any body is read
    if (route.path.includes(":") || route.path.includes("*")) continue; // Bun's routes take literal paths here
    // Ollama's API reads a body as JSON whatever its content type, as Ollama does (body.ts).
    out[route.path] = { POST: serve(route.handler as Handler, route.path.startsWith("/api/") ? "any" : "json", route.path.startsWith("/v1/messages"), takesNoBody(route.handler)) };
  }
  return out;
}

/** A streamed answer (SSE, Ollama's NDJSON): its end, not its start, is when its connection may idle. */
export const isStream = (response: Response): boolean => {
  const type = response.headers.get("content-type");
  return type !== null && (type.startsWith("text/event-stream") || type.startsWith("application/x-ndjson"));
};

const NO_BODY = Symbol.for("ollaix.readsNoBody");

/**
 * Marks a handler that answers without reading the request's body (a wrong method's 405): this
 * table reads and checks a POST's body first, so such a route is left to Elysia, which reads none
 * for a handler that does not name it.
 */
export function readsNoBody<F extends (...args: never[]) => unknown>(handler: F): F {
  (handler as unknown as Record<symbol, boolean>)[NO_BODY] = true;
  return handler;
}

const OPTIONAL_BODY = Symbol.for("ollaix.optionalBody");

/** Marks a handler whose JSON body is optional (OpenAI's create conversation): a request without one reads as `{}`. */
export function optionalBody<F extends (...args: never[]) => unknown>(handler: F): F {
  (handler as unknown as Record<symbol, boolean>)[OPTIONAL_BODY] = true;
  return handler;
}

const takesNoBody = (handler: unknown): boolean => typeof handler === "function" && (handler as unknown as Record<symbol, unknown>)[OPTIONAL_BODY] === true;

export const answersWithoutBody = (handler: unknown): boolean => typeof handler === "function" && (handler as unknown as Record<symbol, unknown>)[NO_BODY] === true;
