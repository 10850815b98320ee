import {
  classifyUpstreamFailure,
  createChecker,
  networkCodeOf,
  hasErrorFields,
  InvalidRequestError,
  ModelNotFoundError,
  RateLimitError,
  UpstreamAuthError,
  UpstreamError,
  Type,
  type Static,
} from "../../src/kit.ts";

/** Google's error envelope, `{"error": google.rpc.Status}`; the parts of `details` read here. */
const GoogleErrorBody = Type.Object({
  code: Type.Optional(Type.Integer()),
  message: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  details: Type.Optional(Type.Array(Type.Object({ "@type": Type.Optional(Type.String()), reason: Type.Optional(Type.String()), retryDelay: Type.Optional(Type.Unknown()) }))),
});
export type GoogleErrorBody = Static<typeof GoogleErrorBody>;
const isEnvelope = createChecker(Type.Object({ error: GoogleErrorBody }));

export interface ErrorContext {
  signal: AbortSignal;
  /** The model id as the client sent it, for the 404; absent for listing and health. */
  requestedModel?: string;
}

/**
 * Any failure of a Gemini call as the kit error the contract's table asks for. The SDK throws
 * `ApiError` (`status`, and the response body JSON-encoded in `message`) for HTTP errors and for
 * error events inside a stream; `fetch` throws a TypeError with a `code` when Gemini is
 * unreachable; an abort is the core's (its time-out reason) or the client's (nobody listens).
 */
export function fromGeminiError(error: unknown, ctx: ErrorContext): Error {
  const failure = { signal: ctx.signal, provider: "Gemini", requestedModel: ctx.requestedModel };
  if (ctx.signal.aborted || hasErrorFields(error) || networkCodeOf(error) !== undefined) return classifyUpstreamFailure(error, failure);
  if (isApiError(error)) return fromStatus(error.status, parseGoogleError(error.message), ctx.requestedModel, error);
  // The SDK's own failures while reading an answer ("exception parsing stream chunk", "Incomplete JSON segment").
  return new UpstreamError("Gemini sent an answer the gateway could not read.", { cause: error });
}

function fromStatus(status: number, body: GoogleErrorBody | undefined, requestedModel: string | undefined, cause: unknown): Error {
  const message = body?.message?.trim() || `HTTP ${status}`;
  if (isKeyRefusal(status, body)) {
    // Never echo Gemini's text here: its debug details can repeat the key.
    const why = reasonOf(body) ?? body?.status ?? `HTTP ${status}`;
    return new UpstreamAuthError(`Gemini refused the gateway's Gemini API key (${why}); check GEMINI_API_KEY.`, { cause });
  }
  if (status === 404) {
    return requestedModel === undefined ? new UpstreamError(`Gemini answered HTTP 404: ${message}`, { cause }) : new ModelNotFoundError(requestedModel, { cause });
  }
  if (status === 429) return new RateLimitError(`Gemini rate limit: ${message}`, { cause, retryAfter: retryAfterOf(body) });
  if (status === 400 || status === 422) {
    return new InvalidRequestError(message, { cause, code: isContextTooLong(message) ? "context_length_exceeded" : null });
  }
  const error = new UpstreamError(`Gemini answered HTTP ${status}: ${message}`, { cause });
  // Its RetryInfo, when it says one: a route's next try of Gemini waits that long.
  const wait = retryAfterOf(body);
  if (wait !== undefined) error.retryAfter = wait;
  // 503 UNAVAILABLE ("The model is overloaded"): a 502 as any 5xx on the OpenAI surfaces, marked so that Anthropic's answers its 529 overloaded_error.
  return status === 503 || status === 529 ? Object.assign(error, { overloaded: true }) : error;
}

/** 401 and 403 always; 400 when Google says the key itself is bad (`API_KEY_INVALID`, …). */
function isKeyRefusal(status: number, body: GoogleErrorBody | undefined): boolean {
  if (status === 401 || status === 403) return true;
  if (status !== 400) return false;
  return reasonOf(body)?.startsWith("API_KEY_") === true || /\bAPI key (?:not valid|expired|not found)/i.test(body?.message ?? "");
}

const reasonOf = (body: GoogleErrorBody | undefined): string | undefined =>
  body?.details?.find((d) => d["@type"]?.endsWith("google.rpc.ErrorInfo") && typeof d.reason === "string")?.reason;

/** `google.rpc.RetryInfo.retryDelay`, a JSON Duration: `"37s"`, `"0.5s"` (or `{seconds, nanos}`). */
export function retryAfterOf(body: GoogleErrorBody | undefined): number | undefined {
  const delay = body?.details?.find((d) => d["@type"]?.endsWith("google.rpc.RetryInfo"))?.retryDelay;
  if (typeof delay === "string") {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
    return match ? Number(match[1]) : undefined;
  }
  if (typeof delay === "object" && delay !== null) {
    // Duration in its protobuf object form: `{ seconds: "2", nanos: 500000000 }` (seconds an int64 string).
    const { seconds, nanos } = delay as { seconds?: unknown; nanos?: unknown };
    const total = Number(seconds ?? 0) + Number(nanos ?? 0) / 1e9;
    return Number.isFinite(total) && total >= 0 ? total : undefined;
  }
  return undefined;
}

// "The input token count (1290012) exceeds the maximum number of tokens allowed (1048576)."
const isContextTooLong = (message: string) => /input token count.*exceeds the maximum number of tokens/i.test(message);

/**
 * The SDK's ApiError message is `JSON.stringify(body)`; inside a stream it is prefixed with
 * `got status: <STATUS>. `. A body that was not JSON is wrapped as `{error:{message:<text>}}`, and
 * that text may itself be Google's JSON envelope (sometimes inside an array).
 */
export function parseGoogleError(text: string): GoogleErrorBody | undefined {
  const body = envelopeOf(tryJson(text.replace(/^got status: [^.]*\.\s*/, "")));
  if (body?.message) {
    const inner = envelopeOf(tryJson(body.message));
    if (inner) return { ...inner, code: inner.code ?? body.code };
  }
  return body;
}

function envelopeOf(value: unknown): GoogleErrorBody | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return isEnvelope.check(first) ? first.error : undefined;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isApiError(error: unknown): error is Error & { status: number } {
  return error instanceof Error && error.name === "ApiError" && typeof (error as { status?: unknown }).status === "number";
}
