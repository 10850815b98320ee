import type { RequestOutcome } from "../pipeline/outcome.ts";

/**
 * A provider call that failed on the provider's side (5xx from it or the gateway's 502/503/504 for
 * it, its 429): what `ollaix_upstream_errors_total` counts and what is logged at warn. A client
 * that left is not the provider's failure; a 4xx the provider returned for the request itself is
 * the client's.
 */
export const isUpstreamFailure = (o: RequestOutcome): boolean =>
  o.error !== undefined && o.provider !== undefined && (o.status >= 500 || o.status === 429) && o.error !== "client_gone";

/** A 429 from the gateway's own limits (no provider was called). */
export const isLocalRateLimit = (o: RequestOutcome): boolean => o.status === 429 && o.provider === undefined;
