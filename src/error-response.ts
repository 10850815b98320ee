import { hasErrorFields, InvalidRequestError, NotFoundError, OllaixError } from "./errors.ts";
import type { ErrorBody } from "./schemas/error.ts";
import { pathStartOf } from "./request-meta.ts";

export const JSON_HEADERS = { "content-type": "application/json" } as const;

/** The method and path of a request, for OpenAI's wording of an unknown route. */
export interface RequestLine {
  method: string;
  url: string;
}

/** OpenAI: `Invalid URL (GET /v1/chat/completions)`, for unknown paths and wrong methods alike. */
function invalidUrl(request: RequestLine | undefined): NotFoundError {
  if (!request) return new NotFoundError("Invalid URL.");
  const { url } = request;
  const pathStart = pathStartOf(url);
  const queryStart = url.indexOf("?", pathStart);
  const path = pathStart < 0 ? "/" : url.slice(pathStart, queryStart < 0 ? undefined : queryStart);
  return new NotFoundError(`Invalid URL (${request.method} ${path})`);
}

/** Framework errors that are the client's fault, by Elysia's error `code`. */
function fromFrameworkCode(code: unknown, error: unknown, request: RequestLine | undefined): OllaixError | undefined {
  switch (code) {
    case "NOT_FOUND":
      return invalidUrl(request);
    case "PARSE":
      return new InvalidRequestError("We could not parse the JSON body of your request.");
    case "VALIDATION":
      return new InvalidRequestError(error instanceof Error ? error.message : "Invalid request.");
    default:
      return undefined;
  }
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the failure is ours (a 500): its details belong in the log, not the response. */
  internal: boolean;
  /** The upstream said it is overloaded (its 503 or 529): Anthropic's surface answers 529 `overloaded_error`. */
  overloaded?: boolean;
}

/**
 * The one place that turns any failure into the OpenAI error envelope. Errors carrying the kit's
 * fields map as they say; anything else is a generic 500 whose details never reach the client.
 */
export function mapError(
  error: unknown,
  redact: (text: string) => string,
  frameworkCode?: unknown,
  request?: RequestLine,
): MappedError {
  // Elysia wraps whatever a parse hook throws (our body reader's 400/413) in a ParseError.
  const cause = frameworkCode === "PARSE" ? (error as { cause?: unknown } | undefined)?.cause : undefined;
  const known = hasErrorFields(cause) ? cause : hasErrorFields(error) && frameworkCode !== "PARSE" ? error : fromFrameworkCode(frameworkCode, error, request);
  if (!known) {
    return {
      status: 500,
      body: { error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: "internal_error" } },
      headers: {},
      internal: true,
    };
  }
  const headers: Record<string, string> = {};
  // Refusals by the gateway's own limits carry the `x-ratelimit-*` headers of the key.
  const extra = (known as { responseHeaders?: unknown }).responseHeaders;
  if (typeof extra === "object" && extra !== null) Object.assign(headers, extra);
  const retryAfter = (known as { retryAfter?: unknown }).retryAfter;
  // A spent quota (the key's budget, or the upstream account's: OpenAI's `insufficient_quota`) does
  // not come back in a second: no Retry-After is made up, and OpenAI's SDKs are told not to retry.
  const isQuota = known.code === "insufficient_quota";
  if (isQuota) headers["x-should-retry"] = "false";
  if (typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0) {
    headers["retry-after"] = String(Math.ceil(retryAfter));
  } else if (known.status === 429 && !isQuota) {
    headers["retry-after"] = "1";
  }
  // RFC 9110: a 401 names the scheme the client should use.
  if (known.status === 401) headers["www-authenticate"] = "Bearer";
  return {
    status: known.status,
    body: {
      error: {
        message: redact(String(known.message || "Request failed.")),
        // OpenAI pairs this code with a type of the same name, whoever refused (an upstream's 429 is a rate limit error otherwise).
        // Type, param and code are redacted as the message is: an upstream writes them too.
        type: isQuota ? "insufficient_quota" : redact(String(known.type)),
        param: typeof known.param === "string" ? redact(known.param) : null,
        code: typeof known.code === "string" ? redact(known.code) : null,
      },
    },
    headers,
    internal: known.status >= 500 && known.status !== 502 && known.status !== 503 && known.status !== 504 && known.status !== 508,
    ...((known as { overloaded?: unknown }).overloaded === true ? { overloaded: true } : {}),
  };
}
