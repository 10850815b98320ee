import {
  createChecker,
  InvalidRequestError,
  LoopDetectedError,
  ModelNotFoundError,
  OllaixError,
  RateLimitError,
  retryAfterHeader,
  Type,
  UpstreamAuthError,
  UpstreamError,
  UpstreamTimeoutError,
} from "../../src/kit.ts";


/** What the mappers need to know about the request that failed. */
export interface ErrorContext {
  instance: string;
  /** The id the client asked for (404 names it); undefined for discovery. */
  requestedModel?: string;
  /** Whether this instance sends a key: a 401 without one is a missing key, not a refused one. */
  hasKey: boolean;
  /** Removes the instance's key from upstream text before it reaches a message. */
  redact(text: string): string;
}

/**
 * OpenAI's envelope `{"error":{message,type,param,code}}`, and what other servers send instead:
 * llama.cpp a numeric `code`, LiteLLM the status as digits in `code`, LM Studio `{"error":"text"}`, older vLLM the fields at the top level
 * with `"object":"error"`, FastAPI-based servers `{"detail":"text"}`. Partial on purpose: only the
 * fields read here are checked, so new upstream fields do not break parsing.
 */
const ErrorObject = Type.Object(
  {
    message: Type.Optional(Type.String()),
    type: Type.Optional(Type.Union([Type.String(), Type.Null()])), // null from LiteLLM
    param: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    code: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Null()])),
  },
  { additionalProperties: true },
);
const Enveloped = Type.Object({ error: Type.Union([ErrorObject, Type.String()]) }, { additionalProperties: true });
const Detail = Type.Object({ detail: Type.String() }, { additionalProperties: true });
const TopLevel = Type.Object({ object: Type.Literal("error"), message: Type.String() }, { additionalProperties: true });
const isEnveloped = createChecker(Enveloped);
const isDetail = createChecker(Detail);
const isTopLevel = createChecker(TopLevel);

interface UpstreamFault {
  message?: string;
  type?: string;
  param?: string;
  code?: string;
  /** A numeric `code` some servers put where OpenAI has a string (llama.cpp, OpenRouter). */
  status?: number;
}

/** The error fields of an upstream body, or undefined when the body says nothing usable. */
export function readFault(body: unknown): UpstreamFault | undefined {
  let fields: Partial<Record<keyof typeof ErrorObject.properties, unknown>>;
  if (isEnveloped.check(body)) fields = typeof body.error === "string" ? { message: body.error } : body.error;
  else if (isTopLevel.check(body)) fields = body;
  else if (isDetail.check(body)) fields = { message: body.detail };
  else return undefined;
  const fault: UpstreamFault = {};
  if (typeof fields.message === "string" && fields.message !== "") fault.message = fields.message;
  if (typeof fields.type === "string") fault.type = fields.type;
  if (typeof fields.param === "string") fault.param = fields.param;
  // A status as a number (llama.cpp, OpenRouter) or as digits (LiteLLM's "429"), else OpenAI's string code.
  if (typeof fields.code === "number" && Number.isInteger(fields.code)) fault.status = fields.code;
  else if (typeof fields.code === "string" && /^[1-5]\d\d$/.test(fields.code)) fault.status = Number(fields.code);
  else if (typeof fields.code === "string") fault.code = fields.code;
  return fault;
}

/**
 * An error answer (a status ≥ 400, or a redirect, which is not followed) as the kit error the
 * contract's table gives for it.
 */
export function errorFromResponse(
  answer: { status: number; headers: Headers; body: string },
  ctx: ErrorContext,
  nowMs: number,
): Error {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    parsed = undefined; // an HTML error page or nothing: the status alone decides
  }
  const fault = readFault(parsed) ?? {};
  const retryAfter = retryAfterSeconds(answer.headers, nowMs);
  return toKitError(kindOfStatus(answer.status), fault, ctx, { status: answer.status, retryAfter });
}

/**
 * An error carried in a body: the event of an upstream stream (`data: {"error":{...}}`), or a
 * 200 answer that holds an error instead of a completion (OpenRouter does this). Undefined when
 * the body is not an error.
 */
export function errorFromPayload(payload: unknown, ctx: ErrorContext): Error | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const error = (payload as { error?: unknown }).error;
  if (error === undefined || error === null) return undefined;
  const fault = readFault(payload) ?? {};
  const status = fault.status !== undefined && fault.status >= 400 && fault.status <= 599 ? fault.status : undefined;
  return toKitError(status === undefined ? kindOfFault(fault) : kindOfStatus(status), fault, ctx, { status });
}

type Kind = "invalid_request" | "auth" | "model_not_found" | "rate_limit" | "quota" | "timeout" | "loop" | "overloaded" | "server" | "redirect" | "refused";

function kindOfStatus(status: number): Kind {
  if (status === 400 || status === 422 || status === 413) return "invalid_request";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "model_not_found";
  if (status === 408) return "timeout";
  // Payment required: the account's credit is spent (DeepSeek's "Insufficient Balance", OpenRouter's credits), OpenAI's insufficient_quota.
  if (status === 402) return "quota";
  if (status === 429) return "rate_limit";
  if (status === 508) return "loop";
  // Unavailable or overloaded (Anthropic's 529): Anthropic's surface answers its 529 overloaded_error.
  if (status === 503 || status === 529) return "overloaded";
  if (status >= 500) return "server";
  if (status >= 300 && status < 400) return "redirect";
  return "refused";
}

/** For errors that arrive without an HTTP status (inside a stream): by OpenAI's type and code. */
function kindOfFault(fault: UpstreamFault): Kind {
  if (fault.code === "loop_detected") return "loop";
  if (fault.code === "model_not_found") return "model_not_found";
  if (fault.type === "rate_limit_error" || fault.code === "rate_limit_exceeded" || fault.code === "insufficient_quota") {
    return "rate_limit";
  }
  if (fault.type === "authentication_error" || fault.code === "invalid_api_key") return "auth";
  if (fault.type === "invalid_request_error" || isContextLengthFault(fault)) return "invalid_request";
  return "server";
}

/**
 * OpenAI says `code: "context_length_exceeded"`; vLLM and llama.cpp only say it in words, e.g.
 * vLLM "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens
 * (…)", llama.cpp `type: "exceed_context_size_error"` "the request exceeds the available context
 * size, try increasing it".
 */
function isContextLengthFault(fault: UpstreamFault): boolean {
  if (fault.code === "context_length_exceeded" || fault.type === "exceed_context_size_error") return true;
  return /maximum context length|context (?:length|size|window)|too many tokens/i.test(fault.message ?? "");
}

function toKitError(kind: Kind, fault: UpstreamFault, ctx: ErrorContext, http: { status?: number; retryAfter?: number }): Error {
  const said = fault.message === undefined ? undefined : ctx.redact(fault.message);
  const status = http.status === undefined ? "" : ` (HTTP ${http.status})`;
  switch (kind) {
    case "invalid_request":
      return new InvalidRequestError(said ?? `The upstream ${ctx.instance} rejected the request${status}.`, {
        param: fault.param ?? null,
        code: isContextLengthFault(fault) ? "context_length_exceeded" : (fault.code ?? null),
      });
    case "auth":
      // Never the upstream's text: some servers quote the key they were given.
      return new UpstreamAuthError(
        ctx.hasKey
          ? `The gateway's key for ${ctx.instance} was refused by the upstream${status}.`
          : `The upstream ${ctx.instance} asks for a key${status}; the gateway has none configured for it (api_key_env).`,
      );
    case "model_not_found":
      if (ctx.requestedModel !== undefined) return new ModelNotFoundError(ctx.requestedModel);
      return new UpstreamError(
        `The upstream ${ctx.instance} answered 404: check that its base_url includes the version path (e.g. /v1).`,
      );
    case "rate_limit": {
      const error = new RateLimitError(said ?? `The upstream ${ctx.instance} is rate limiting the gateway.`, {
        retryAfter: http.retryAfter,
      });
      // Set after construction: RateLimitError's own `code` field initialiser runs after the base
      // constructor and would overwrite a `code` passed as an option.
      error.code = fault.code ?? "rate_limit_exceeded";
      return error;
    }
    case "quota": {
      const error = new RateLimitError(said ?? `The upstream ${ctx.instance} says the gateway's account has no credit left${status}.`, { retryAfter: http.retryAfter });
      error.code = "insufficient_quota";
      return error;
    }
    case "timeout":
      return new UpstreamTimeoutError(`The upstream ${ctx.instance} timed out${status}.`);
    case "loop":
      return new LoopDetectedError(said ?? `Request loop detected behind the upstream ${ctx.instance}.`);
    case "overloaded": {
      // A 502 upstream_error as any 5xx (the contract's table); marked, so that Anthropic's surface answers its 529 overloaded_error.
      const error = new UpstreamError(
        said === undefined ? `The upstream ${ctx.instance} is overloaded${status}.` : `The upstream ${ctx.instance} is overloaded${status}: ${said}`,
      );
      return withRetryAfter(Object.assign(error, { overloaded: true }), http.retryAfter);
    }
    case "server":
      return withRetryAfter(
        new UpstreamError(said === undefined ? `The upstream ${ctx.instance} failed${status}.` : `The upstream ${ctx.instance} failed${status}: ${said}`),
        http.retryAfter,
      );
    case "redirect":
      // Redirects are not followed: the key would go along to wherever they point.
      return new UpstreamError(
        `The upstream ${ctx.instance} answered with a redirect${status}; its base_url must be the address it serves on.`,
      );
    case "refused":
      return new UpstreamError(
        said === undefined
          ? `The upstream ${ctx.instance} refused the request${status}.`
          : `The upstream ${ctx.instance} refused the request${status}: ${said}`,
      );
    default: {
      const unknownKind: never = kind;
      throw new Error(`unmapped error kind ${String(unknownKind)}`);
    }
  }
}

/**
 * An overloaded or failing upstream's `Retry-After` (a 503's, a 529's) kept on its error: a route
 * waits at least that long before it tries the deployment again, and the client is told it too.
 */
function withRetryAfter<E extends UpstreamError>(error: E, retryAfter: number | undefined): E {
  if (retryAfter !== undefined) error.retryAfter = retryAfter;
  return error;
}

/**
 * Seconds to wait, from the first header that says: `retry-after-ms` (OpenAI), `Retry-After`
 * (seconds or an HTTP date), then `x-ratelimit-reset-requests`/`-tokens` (OpenAI, Groq: Go
 * durations such as `6m0s`), preferring the limit whose `x-ratelimit-remaining-*` is 0.
 */
export function retryAfterSeconds(headers: Headers, nowMs: number): number | undefined {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms && /^\d+(?:\.\d+)?$/.test(ms)) return Number(ms) / 1000;
  const retryAfter = retryAfterHeader(headers.get("retry-after"), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const requests = parseDuration(headers.get("x-ratelimit-reset-requests"));
  const tokens = parseDuration(headers.get("x-ratelimit-reset-tokens"));
  if (requests !== undefined && headers.get("x-ratelimit-remaining-requests")?.trim() === "0") return requests;
  if (tokens !== undefined && headers.get("x-ratelimit-remaining-tokens")?.trim() === "0") return tokens;
  if (requests === undefined) return tokens;
  return tokens === undefined ? requests : Math.max(requests, tokens);
}

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, ns: 1e-9 };

/** A Go duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) in seconds, or undefined. */
export function parseDuration(text: string | null | undefined): number | undefined {
  const value = text?.trim();
  if (!value || !/^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/.test(value)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  }
  return seconds;
}
