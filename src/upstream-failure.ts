import {
  hasErrorFields,
  InvalidRequestError,
  ModelNotFoundError,
  RateLimitError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors.ts";

/** What the classifier needs to know about the failed call. */
export interface FailureContext {
  /** The call's signal: an aborted call reports why the core aborted it, not the abort itself. */
  signal?: AbortSignal;
  /** The provider's name as users know it (`Ollama`, `Gemini`, `the upstream openai`). */
  provider: string;
  /** The model id as the client sent it; names the model in a 404. Absent for discovery and health. */
  requestedModel?: string;
  /**
   * Where the call was: a network failure while `connecting` means the upstream is unreachable
   * (503); while `reading` an answer it had started, that it broke off (502). Default: connecting.
   */
  stage?: "connecting" | "reading";
  /** Added to an "unreachable" message, e.g. "Is it running at OLLAMA_BASE_URL?". */
  unreachableHint?: string;
}

/** An HTTP failure the plugin read from the upstream: status, its message, and its hints. */
export interface HttpFailure {
  status: number;
  message?: string;
  /** Seconds, from the upstream's `Retry-After` or its own body. */
  retryAfter?: number;
  /** The upstream's own error code, kept on 429s (`insufficient_quota`). */
  code?: string;
  /** True when a 404 is about the model (not a wrong route). Default: the message names a model. */
  modelMissing?: boolean;
  /** True when the upstream said the prompt does not fit its context. */
  contextTooLong?: boolean;
}

/**
 * System error codes of a connection that never reached the upstream, or that it dropped. Bun uses
 * the Node names (ECONNREFUSED…) and a few of its own (ConnectionRefused, FailedToOpenSocket).
 */
const NETWORK_CODE = /^(?:E[A-Z][A-Z_]*|Connection\w+|FailedToOpenSocket|UND_ERR_\w+)$/;
/** Codes that mean no connection was made at all: the upstream is unreachable (503). */
const UNREACHABLE_CODE = /^(?:ECONNREFUSED|ConnectionRefused|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN|FailedToOpenSocket|UND_ERR_CONNECT)$/;
const TIMEOUT_CODE = /^(?:ETIMEDOUT|UND_ERR_(?:CONNECT|HEADERS|BODY)_TIMEOUT|TimeoutError)$/;

/** The system code of a fetch failure, on the error or its cause. */
export function networkCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const own = (error as { code?: unknown }).code;
  const code = typeof own === "string" ? own : ((error as { cause?: { code?: unknown } }).cause?.code as unknown);
  return typeof code === "string" && NETWORK_CODE.test(code) ? code : undefined;
}

/**
 * Any failure of a call to an upstream as one of the kit's errors (the contract's error table), the
 * one classifier every plugin's client uses: aborts report their reason (the core's time-out, the
 * client leaving), errors already classified pass through, an HTTP failure maps by status, a
 * network code is `upstream_unavailable` (or `upstream_timeout`), a body that is not JSON and
 * anything else is `upstream_error`.
 */
export function classifyUpstreamFailure(error: unknown, ctx: FailureContext, http?: HttpFailure): Error {
  const signal = ctx.signal;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (hasErrorFields(reason)) return reason;
    if (reason instanceof DOMException && reason.name === "TimeoutError") {
      return new UpstreamTimeoutError(`${capital(ctx.provider)} did not answer in time.`, { cause: reason });
    }
    if (reason instanceof Error) return reason;
  }
  if (hasErrorFields(error)) return error;
  if (http) return fromHttpStatus(http, ctx, error);
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return new UpstreamTimeoutError(`${capital(ctx.provider)} did not answer in time.`, { cause: error });
  }
  const code = networkCodeOf(error);
  if (code !== undefined) {
    if (TIMEOUT_CODE.test(code)) return new UpstreamTimeoutError(`${capital(ctx.provider)} did not answer in time (${code}).`, { cause: error });
    if (ctx.stage !== "reading" && UNREACHABLE_CODE.test(code)) return unreachable(ctx, ` (${code})`, error);
    // A connection that was made and then dropped (ECONNRESET, EPIPE, ConnectionClosed…).
    return new UpstreamError(`${capital(ctx.provider)} broke off its answer (${code}).`, { cause: error });
  }
  // fetch rejects with a TypeError when it could not connect at all, sometimes without a code.
  if (error instanceof TypeError && ctx.stage !== "reading" && !(error as { code?: unknown }).code) return unreachable(ctx, "", error);
  if (error instanceof SyntaxError) return new UpstreamError(`${capital(ctx.provider)} sent a body that is not JSON.`, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new UpstreamError(`The request to ${ctx.provider} failed: ${detail}`, { cause: error });
}

/** Seconds from a `Retry-After` header (RFC 9110 §10.2.3: seconds, or an HTTP date), or undefined. */
export function retryAfterHeader(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

/** An upstream's HTTP error status as the kit error the contract's table asks for. */
export function fromHttpStatus(http: HttpFailure, ctx: FailureContext, cause?: unknown): Error {
  const { status } = http;
  const message = http.message?.trim() ?? "";
  const options = cause === undefined ? {} : { cause };
  if (status === 401 || status === 403) {
    // Never echo the upstream's text here: it may repeat the key.
    return new UpstreamAuthError(`${capital(ctx.provider)} refused the gateway's credentials (HTTP ${status}).`, options);
  }
  if (status === 404) {
    const aboutModel = http.modelMissing ?? /\bmodel\b/i.test(message);
    if (aboutModel && ctx.requestedModel !== undefined) return new ModelNotFoundError(ctx.requestedModel, options);
    return new UpstreamError(`${capital(ctx.provider)} answered HTTP 404${message ? `: ${message}` : "."}`, options);
  }
  if (status === 429) {
    return new RateLimitError(message || `${capital(ctx.provider)} is rate limiting requests.`, {
      ...options,
      retryAfter: http.retryAfter,
      ...(http.code ? { code: http.code } : {}),
    });
  }
  if (status === 400 || status === 409 || status === 413 || status === 422) {
    return new InvalidRequestError(message || `${capital(ctx.provider)} rejected the request (HTTP ${status}).`, {
      ...options,
      code: http.contextTooLong ? "context_length_exceeded" : null,
    });
  }
  if (status === 408) return new UpstreamTimeoutError(`${capital(ctx.provider)} timed out (HTTP 408).`, options);
  // Any other status (5xx, or a 3xx that was not followed) is the upstream's fault: 502, with its
  // Retry-After (a 503's) for a route's next try of it and for the client.
  const error = new UpstreamError(`${capital(ctx.provider)} answered HTTP ${status}${message ? `: ${message}` : "."}`, options);
  if (http.retryAfter !== undefined) error.retryAfter = http.retryAfter;
  // Busy or overloaded (Ollama's 503 "server busy", Anthropic's 529): marked, so that Anthropic's
  // surface answers its 529 overloaded_error, which its clients retry; a 502 on the OpenAI surfaces.
  return status === 503 || status === 529 ? Object.assign(error, { overloaded: true }) : error;
}

function unreachable(ctx: FailureContext, detail: string, cause: unknown): Error {
  const hint = ctx.unreachableHint ? ` ${ctx.unreachableHint}` : "";
  return new UpstreamUnavailableError(`${capital(ctx.provider)} is unreachable${detail}.${hint}`, { cause });
}

const capital = (text: string) => (text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text);
