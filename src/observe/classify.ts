import type { RequestOutcome } from "../pipeline/outcome.ts";

/**
 * A provider call that failed on the provider's side (5xx from it or the gateway's 502/503/504 for
 * it, its 429): what `ollaix_upstream_errors_total` counts and what is logged at warn. An end the
 * gateway or the client chose is not the provider's failure (GATEWAY_ENDINGS); a 4xx the provider
 * returned for the request itself is the client's.
 */
export const isUpstreamFailure = (o: RequestOutcome): boolean =>
  o.error !== undefined && o.provider !== undefined && (o.status >= 500 || o.status === 429) && !GATEWAY_ENDINGS.has(o.error);

/**
 * Ends of a provider call that the gateway or its client chose, not the provider: a client that
 * left, a background response cancelled, the gateway stopping (after its grace) or losing its lease,
 * the shared state (Redis) failing after the answer.
 */
const GATEWAY_ENDINGS = new Set(["client_gone", "response_cancelled", "server_shutting_down", "lease_lost", "state_unavailable"]);

/** A 429 from the gateway's own limits (no provider was called). */
export const isLocalRateLimit = (o: RequestOutcome): boolean => o.status === 429 && o.provider === undefined;

/** What an error code looks like (OpenAI's, Anthropic's, the gateway's own: lower snake case). */
const ERROR_LABEL = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * An error code as a metric label or span attribute: as it is when it looks like one, else `other`.
 * An upstream writes its own codes: a label must not carry whatever it sends (a key it echoes, or a
 * new value each time, a new series each time).
 */
export const errorLabel = (code: string): string => (ERROR_LABEL.test(code) ? code : "other");
