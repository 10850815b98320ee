import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { AuthenticationError, LoopDetectedError } from "./errors.ts";
import { hopsOf, MAX_HOPS, requestIdOf, stampStart } from "./request-meta.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * Request id, loop guard and API keys, for every route. Keys are compared as SHA-256 digests with
 * timingSafeEqual over every configured key, so neither content nor length leaks through timing.
 */
export function guards(apiKeys: readonly string[]) {
  const digests = apiKeys.map(sha256);
  const isAllowed = (header: string | null): boolean => {
    if (header === null || !header.startsWith("Bearer ")) return false;
    const presented = sha256(header.slice(7).trim());
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(presented, digest) || ok;
    return ok;
  };
  return new Elysia({ name: "ollaix:guards", seed: apiKeys.length }).onRequest(
    function guardRequest({ request, set }) {
      stampStart(request);
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
      if (digests.length > 0 && request.method !== "OPTIONS" && !isAllowed(request.headers.get("authorization"))) {
        throw new AuthenticationError(
          request.headers.get("authorization")
            ? "Incorrect API key provided."
            : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        );
      }
    },
  );
}
