import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { AuthenticationError, LoopDetectedError } from "./errors.ts";
import { hopsOf, MAX_HOPS, requestIdOf } from "./request-meta.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * Request id, loop guard and API keys, for every route. Keys are compared as SHA-256 digests with
 * timingSafeEqual over every configured key, so neither content nor length leaks through timing.
 */
export function guards(apiKeys: readonly string[]) {
  const digests = apiKeys.map(sha256);
  const isKnown = (key: string): boolean => {
    const presented = sha256(key);
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(presented, digest) || ok;
    return ok;
  };
  const isAllowed = (header: string | null): boolean => header !== null && header.startsWith("Bearer ") && isKnown(header.slice(7).trim());
  // Anthropic's SDKs and Claude Code send the key as `x-api-key` (ANTHROPIC_API_KEY) or as a
  // bearer token (ANTHROPIC_AUTH_TOKEN): on the Messages surface either will do.
  const isAnthropicKeyAllowed = (request: Request): boolean => {
    const key = request.headers.get("x-api-key");
    return key !== null && isKnown(key.trim());
  };
  return new Elysia({ name: "ollaix:guards", seed: apiKeys.length }).onRequest(
    function guardRequest({ request, set }) {
      set.headers["x-request-id"] = requestIdOf(request);
      // Only /v1/* is guarded: /health, /docs and / stay open.
      const url = request.url;
      const pathStart = url.indexOf("/", url.indexOf("//") + 2);
      if (!url.startsWith("/v1/", pathStart)) return;
      if (hopsOf(request) >= MAX_HOPS) {
        throw new LoopDetectedError(
          `Request loop detected: this request has passed through ${MAX_HOPS} or more gateways (x-ollaix-hops).`,
        );
      }
      if (digests.length === 0 || request.method === "OPTIONS" || isAllowed(request.headers.get("authorization"))) return;
      const isMessages = url.startsWith("/v1/messages", pathStart);
      if (isMessages && isAnthropicKeyAllowed(request)) return;
      const presented = request.headers.get("authorization") ?? (isMessages ? request.headers.get("x-api-key") : null);
      throw new AuthenticationError(
        presented
          ? "Incorrect API key provided."
          : isMessages
            ? "You didn't provide an API key. Send it in an x-api-key header or as Authorization: Bearer YOUR_KEY."
            : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      );
    },
  );
}
