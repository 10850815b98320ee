import { hasErrorFields, InvalidRequestError, NotFoundError, OllaixError } from "./errors.ts";
import type { ErrorBody } from "./schemas/error.ts";

export const JSON_HEADERS = { "content-type": "application/json" } as const;

/** Framework errors that are the client's fault, by Elysia's error `code`. */
function fromFrameworkCode(code: unknown, error: unknown): OllaixError | undefined {
  switch (code) {
    case "NOT_FOUND":
      return new NotFoundError("Unknown request URL. Please check the URL and method.");
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
}

/**
 * The one place that turns any failure into the OpenAI error envelope. Errors carrying the kit's
 * fields map as they say; anything else is a generic 500 whose details never reach the client.
 */
export function mapError(error: unknown, redact: (text: string) => string, frameworkCode?: unknown): MappedError {
  // Elysia wraps whatever a parse hook throws (our body reader's 400/413) in a ParseError.
  const cause = frameworkCode === "PARSE" ? (error as { cause?: unknown } | undefined)?.cause : undefined;
  const known = hasErrorFields(cause) ? cause : hasErrorFields(error) && frameworkCode !== "PARSE" ? error : fromFrameworkCode(frameworkCode, error);
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
  if (typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0) {
    headers["retry-after"] = String(Math.ceil(retryAfter));
  } else if (known.status === 429) {
    headers["retry-after"] = "1";
  }
  return {
    status: known.status,
    body: {
      error: {
        message: redact(String(known.message || "Request failed.")),
        type: known.type,
        param: typeof known.param === "string" ? known.param : null,
        code: typeof known.code === "string" ? known.code : null,
      },
    },
    headers,
    internal: known.status >= 500 && known.status !== 502 && known.status !== 503 && known.status !== 504 && known.status !== 508,
  };
}
