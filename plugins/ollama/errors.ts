import { classifyUpstreamFailure, type UpstreamCall } from "../../src/kit.ts";

/**
 * A non-2xx answer from Ollama that client.ts read itself. It carries the same fields as ollama-js's
 * `ResponseError` (which the package does not export), so both map through one path.
 */
export class OllamaResponseError extends Error {
  override name = "ResponseError";
  constructor(
    readonly error: string,
    readonly status_code: number,
    /** Seconds, from the answer's `Retry-After` (a 429 or 503 of Ollama's, or of a proxy in front of it). */
    readonly retryAfter?: number,
  ) {
    super(error);
  }
}



/** Ollama's words for a prompt or input that does not fit, e.g. "input length exceeds the context length". */
const CONTEXT_LENGTH = /context (?:length|window)/i;

/**
 * Any failure of a call to Ollama as one of the kit's errors (the kit's one classifier). Ollama's
 * non-2xx answers carry `{error}` and `status_code` (ollama-js's ResponseError, or ours from client.ts).
 */
export function fromOllamaError(error: unknown, scope: Pick<UpstreamCall, "signal" | "requestedModel">, retryAfter?: number): Error {
  const status = (error as { status_code?: unknown } | null)?.status_code;
  const ctx = {
    signal: scope.signal,
    provider: "Ollama",
    requestedModel: scope.requestedModel,
    unreachableHint: "Is it running at OLLAMA_BASE_URL?",
  };
  if (typeof status !== "number") return classifyUpstreamFailure(error, ctx);
  const message = messageOf(error);
  // Ollama: `model "llama3" not found, try pulling it first` (404). A 404 without the word is a
  // wrong route (OLLAMA_BASE_URL with a path), which is the gateway's problem, not the client's.
  const wait = retryAfter ?? (error as { retryAfter?: number }).retryAfter;
  return classifyUpstreamFailure(error, ctx, { status, message, contextTooLong: CONTEXT_LENGTH.test(message), retryAfter: wait });
}

function messageOf(error: unknown): string {
  const e = error as { error?: unknown; message?: unknown } | null;
  if (typeof e?.error === "string") return e.error;
  if (typeof e?.message === "string") return e.message;
  return String(error);
}
