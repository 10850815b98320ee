import { Elysia } from "elysia";
import { AuthenticationError, InvalidRequestError, LoopDetectedError } from "./errors.ts";
import type { KeyStore } from "./keys/key-store.ts";
import { bindKey } from "./keys/request-key.ts";
import { hopsOf, isBearer, MAX_HOPS, pathStartOf, requestIdOf, stampStart } from "./request-meta.ts";

/** The key a request presents (`Authorization: Bearer <key>`, the scheme in any case as RFC 9110 has it), or undefined. */
const presentedKey = (header: string | null): string | undefined => (header !== null && isBearer(header) ? header.slice(7).trim() : undefined);

/**
 * Request id, loop guard and keys: what every request goes through first, on Elysia's routes (the
 * `guards` hook) and on the hot routes Bun serves directly (src/http/fast-routes.ts) alike. Throws
 * the 508 or 401 to answer. The key store identifies the presented key
 * (constant-time digest comparison, see KeyStore); its record is bound to the request for the gate
 * and the model list.
 */
export function guardRequest(request: Request, keys: KeyStore): void {
  stampStart(request);
  // Only the model surfaces, /v1/* and Ollama's /api/*, are guarded: /health, /docs and / stay open.
  const url = request.url;
  const pathStart = pathStartOf(url);
  if (pathStart < 0 || (!url.startsWith("/v1/", pathStart) && !url.startsWith("/api/", pathStart))) return;
  if (hopsOf(request) >= MAX_HOPS) {
    throw new LoopDetectedError(
      `Request loop detected: this request has passed through ${MAX_HOPS} or more gateways (x-ollaix-hops).`,
    );
  }
  if (!keys.isEnabled || request.method === "OPTIONS") return;
  // Anthropic's SDKs and Claude Code send the key as `x-api-key` (ANTHROPIC_API_KEY) or as a
  // bearer token (ANTHROPIC_AUTH_TOKEN): on the Messages surface, and on the model list they read
  // (with their `anthropic-version`), either will do.
  const isAnthropic =
    url.startsWith("/v1/messages", pathStart) || (url.startsWith("/v1/models", pathStart) && request.headers.has("anthropic-version"));
  const authorization = request.headers.get("authorization");
  const apiKeyHeader = isAnthropic ? request.headers.get("x-api-key") : null;
  const bearer = presentedKey(authorization);
  // Both sent (the Anthropic SDK with apiKey and authToken set): the x-api-key first, as Anthropic reads it; else the bearer.
  const apiKey = apiKeyHeader?.trim() || undefined;
  const key = apiKey === undefined ? keys.identify(bearer) : (keys.identify(apiKey) ?? (bearer === undefined ? undefined : keys.identify(bearer)));
  if (!key) {
    throw new AuthenticationError(
      authorization || apiKeyHeader
        ? "Incorrect API key provided."
        : isAnthropic
          ? "You didn't provide an API key. Send it in an x-api-key header or as Authorization: Bearer YOUR_KEY."
          : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  bindKey(request, key);
  return;
}

/**
 * The request id on every answer Elysia gives, registered first (before CORS, whose preflight
 * answers at once, and before the guard, whose refusals carry it too).
 */
export function requestIds() {
  return new Elysia({ name: "ollaix:request-id" }).onRequest(function stampRequestId({ request, set }) {
    const id = requestIdOf(request);
    set.headers["x-request-id"] = id;
    assertRoutable(request.url);
    // Anthropic's SDKs read the id from `request-id` (their `APIError.requestID`): on any answer to one
    // of their requests (the model list, an unknown path under /v1/messages, a refusal before a route).
    if (request.headers.has("anthropic-version")) set.headers["request-id"] = id;
  });
}

/**
 * A request without a usable Host (none, empty, `a/b`) has a bare path for its URL, and Elysia finds
 * a path from its 8th character on (`standardHostname: false`, made for `http://…`): in
 * `/xxxxxxx/v1/models` it routes `/v1/models`, while the guard reads the path the client sent and
 * does not guard it (a review found that bypass). Such a request, whose path Elysia would read
 * otherwise than it was sent, is a 400 (RFC 9112: a request without a valid Host is). Bare paths
 * Elysia reads whole (`/health`, `/v1/models`) are served as sent.
 */
function assertRoutable(url: string): void {
  if (url.charCodeAt(0) === 47 /* "/" */ && url.indexOf("/", 7) !== -1) {
    throw new InvalidRequestError("The request has no usable Host header: send the host it is addressed to.", { param: null });
  }
}

/** `guardRequest` for every route Elysia serves. */
export function guards(keys: KeyStore) {
  return new Elysia({ name: "ollaix:guards", seed: keys.records.length }).onRequest(function guardRoute({ request }) {
    guardRequest(request, keys);
  });
}
