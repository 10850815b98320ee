import { JSON_HEADERS, type MappedError } from "../../error-response.ts";
import type { Envelope } from "../envelopes.ts";

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "timeout_error"
  | "api_error"
  | "overloaded_error";

/** Anthropic's `ErrorResponse`: `request_id` is the answer's id (its `request-id` header's), null where none is known. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string; details?: { error_code: string; unsupported?: string[] } };
  request_id: string | null;
}

/** The refusal of a message thread (`thread`), which this gateway does not keep: Anthropic's SDKs then send the whole history. */
export const THREAD_UNSUPPORTED = "thread_unsupported_request";

/**
 * The contract's Anthropic rows: statuses and types as Anthropic's API uses them. A key's refusals
 * map by status: 403 `model_not_allowed` is `permission_error`; 429 for rpm, tpm and the daily
 * budget (OpenAI's `insufficient_quota`) are all `rate_limit_error` — Anthropic has no quota type
 * of its own and its clients back off on a 429 with `retry-after`. Every 503 — an upstream that is
 * unreachable, or the limits' shared state (`state_unavailable`) while Redis is away in `closed`
 * mode — is a service that is temporarily unable to answer: Anthropic's API says exactly that with
 * 529 `overloaded_error` (its 500 `api_error` means an unexpected internal failure), and its SDKs
 * and Claude Code retry a 529 with backoff. A time-out (504) is `timeout_error`, as Anthropic's
 * errors page and SDK have it (the contract's table said `api_error`); other upstream failures keep
 * the gateway's status (502) as `api_error`.
 */
export function toAnthropicStatus(mapped: MappedError): { status: number; type: AnthropicErrorType } {
  const status = mapped.status;
  // An upstream that said it is overloaded (its 503 or 529), though the OpenAI surfaces answer it 502 as any 5xx.
  if (mapped.overloaded === true) return { status: 529, type: "overloaded_error" };
  switch (status) {
    case 400:
    case 422:
      return { status: 400, type: "invalid_request_error" };
    case 401:
      return { status, type: "authentication_error" };
    case 403:
      return { status, type: "permission_error" };
    case 404:
      return { status, type: "not_found_error" };
    case 413:
      return { status, type: "request_too_large" };
    case 429:
      return { status, type: "rate_limit_error" };
    case 503:
    case 529:
      return { status: 529, type: "overloaded_error" };
    case 504:
      return { status, type: "timeout_error" };
    default:
      return status >= 500 ? { status, type: "api_error" } : { status, type: "invalid_request_error" };
  }
}

export function toAnthropicErrorBody(mapped: MappedError, requestId: string | undefined): { status: number; body: AnthropicErrorBody } {
  const { status, type } = toAnthropicStatus(mapped);
  const error: AnthropicErrorBody["error"] = { type, message: mapped.body.error.message };
  // Anthropic names such a refusal in `details`, where its SDKs look for it.
  if (mapped.body.error.code === THREAD_UNSUPPORTED) error.details = { error_code: THREAD_UNSUPPORTED, unsupported: ["thread"] };
  return { status, body: { type: "error", error, request_id: requestId ?? null } };
}

/** `{"type":"error","error":{"type","message"},"request_id"}` with the mapped headers (`retry-after`). */
export const anthropicEnvelope: Envelope = (mapped, requestId) => {
  const { status, body } = toAnthropicErrorBody(mapped, requestId);
  return { status, body: JSON.stringify(body), headers: { ...JSON_HEADERS, ...mapped.headers } };
};
