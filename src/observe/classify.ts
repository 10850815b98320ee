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
 * the shared state (Redis) failing after the answer, the gateway's memory for fetched files spent.
 */
const GATEWAY_ENDINGS = new Set(["client_gone", "response_cancelled", "server_shutting_down", "lease_lost", "state_unavailable", "server_busy"]);

/**
 * A 429 of a key's own limits (no provider was called): its refusal names the limit, or is the daily
 * budget's `insufficient_quota`. Not a connection's full queue (the WebSocket mode's
 * `websocket_queue_full`, `too_many_pending_steers`), which is no limit of the key.
 */
export const isLocalRateLimit = (o: RequestOutcome): boolean => o.status === 429 && o.provider === undefined && (o.limit !== undefined || o.error === "insufficient_quota");

/**
 * The error codes a label may carry: the gateway's own (errors.ts and the surfaces'), the codes and
 * types of OpenAI's and Anthropic's error bodies that upstreams pass on, and the end of a stream
 * that failed without one. A fixed list, not a pattern: an upstream writes its own codes, and one
 * that looked right (`quota_req_5`, a new one a request) minted a new series each time.
 */
const KNOWN_ERRORS: ReadonlySet<string> = new Set([
  // The gateway's own.
  "client_gone", "response_cancelled", "server_shutting_down", "lease_lost", "state_unavailable", "stream_failed", "server_busy",
  "upstream_error", "upstream_timeout", "upstream_unavailable", "upstream_auth_failed", "internal_error",
  "invalid_api_key", "model_not_allowed", "model_not_found", "not_found", "loop_detected", "payload_too_large",
  "unsupported_content_encoding", "rate_limit_exceeded", "insufficient_quota", "previous_response_not_found",
  "conversation_full", "conversation_locked", "websocket_queue_full", "origin_not_allowed", "wrong_api_format",
  "content_filter", "context_length_exceeded", "unsupported_parameter", "invalid_value", "invalid_type", "string_above_max_length",
  "thread_unsupported_request",
  // OpenAI's codes and types that upstreams send.
  "invalid_request_error", "server_error", "api_error", "authentication_error", "permission_error", "not_found_error",
  "missing_required_parameter", "unknown_parameter", "unsupported_value", "string_below_min_length", "array_above_max_length",
  "array_below_min_length", "integer_above_max_value", "integer_below_min_value", "decimal_above_max_value", "decimal_below_min_value",
  "invalid_prompt", "content_policy_violation", "invalid_image", "invalid_image_url", "image_too_large", "model_overloaded",
  "engine_overloaded", "billing_hard_limit_reached", "tokens_exceeded", "timeout",
  // Anthropic's error types.
  "rate_limit_error", "overloaded_error", "request_too_large", "billing_error", "timeout_error",
]);

/**
 * An error code as a metric label or span attribute: a known one as it is, any other `other`. The
 * request's log line keeps the code as it came (a log line is no series).
 */
export const errorLabel = (code: string): string => (KNOWN_ERRORS.has(code) ? code : "other");
