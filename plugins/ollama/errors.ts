import {
  hasErrorFields,
  InvalidRequestError,
  ModelNotFoundError,
  RateLimitError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamUnavailableError,
} from "../../src/kit.ts";

/**
 * A non-2xx answer from Ollama that client.ts read itself. It carries the same fields as ollama-js's
 * `ResponseError` (which the package does not export), so both map through one path.
 */
export class OllamaResponseError extends Error {
  override name = "ResponseError";
  constructor(
    readonly error: string,
    readonly status_code: number,
  ) {
    super(error);
  }
}

export interface ErrorScope {
  signal: AbortSignal;
  /** The id the client asked for; names the model in a 404. Absent for discovery and health. */
  requestedModel?: string;
}

/** Error codes of a connection that never reached Ollama (Bun uses the Node names). */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ConnectionRefused",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "FailedToOpenSocket",
]);

/** Ollama's words for a prompt or input that does not fit, e.g. "input length exceeds the context length". */
const CONTEXT_LENGTH = /context (?:length|window)/i;

/**
 * Any failure of a call to Ollama as one of the kit's errors (CONTRACT.md's error table). An aborted
 * call reports why the core aborted it (its time-out, or the client leaving), not the abort itself.
 */
export function fromOllamaError(error: unknown, scope: ErrorScope): Error {
  if (scope.signal.aborted) {
    const reason: unknown = scope.signal.reason;
    if (hasErrorFields(reason) || reason instanceof Error) return reason;
  }
  if (hasErrorFields(error)) return error;
  const status = (error as { status_code?: unknown } | null)?.status_code;
  if (typeof status === "number") return fromStatus(status, messageOf(error), scope);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) {
    return new UpstreamUnavailableError(`Ollama is not reachable (${code}). Is it running at OLLAMA_BASE_URL?`, { cause: error });
  }
  if (error instanceof SyntaxError) return new UpstreamError("Ollama sent a body that is not JSON.", { cause: error });
  return new UpstreamError(`The request to Ollama failed: ${messageOf(error)}`, { cause: error });
}

function fromStatus(status: number, message: string, scope: ErrorScope): Error {
  // Ollama: `model "llama3" not found, try pulling it first` (404). A 404 without the word is a
  // wrong route (OLLAMA_BASE_URL with a path), which is the gateway's problem, not the client's.
  if (status === 404 && /\bmodel\b/i.test(message) && scope.requestedModel !== undefined) {
    return new ModelNotFoundError(scope.requestedModel);
  }
  if (status === 401 || status === 403) return new UpstreamAuthError(`Ollama refused the gateway's request (HTTP ${status}).`);
  if (status === 429) return new RateLimitError(message || "Ollama is rate limiting requests.");
  if (status >= 400 && status < 500 && status !== 404) {
    return new InvalidRequestError(message || `Ollama rejected the request (HTTP ${status}).`, {
      code: CONTEXT_LENGTH.test(message) ? "context_length_exceeded" : null,
    });
  }
  return new UpstreamError(`Ollama answered HTTP ${status}${message ? `: ${message}` : "."}`);
}

function messageOf(error: unknown): string {
  const e = error as { error?: unknown; message?: unknown } | null;
  if (typeof e?.error === "string") return e.error;
  if (typeof e?.message === "string") return e.message;
  return String(error);
}
