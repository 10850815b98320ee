/**
 * Every failure Ollaix reports is one of these. The HTTP layer maps errors by their fields
 * (`status`, `type`, `code`, `param`), never by `instanceof`, so a plugin built against another copy
 * of the kit maps the same way. One class per row of the contract's error table.
 */
export interface ErrorFields {
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  /** Seconds; sent as `Retry-After` (429 and 503). */
  retryAfter?: number;
}

export class OllaixError extends Error implements ErrorFields {
  status = 500;
  type = "api_error";
  code: string | null;
  param: string | null;
  retryAfter?: number;
  /**
   * Subclasses set their default `code`/`param` here, not as instance fields: a field initialiser
   * runs after this constructor and would overwrite the value a caller passed in `options`.
   */
  static defaultCode: string | null = null;
  static defaultParam: string | null = null;

  constructor(message: string, options?: { cause?: unknown; param?: string | null; code?: string | null }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code !== undefined ? options.code : (new.target as typeof OllaixError).defaultCode;
    this.param = options?.param !== undefined ? options.param : (new.target as typeof OllaixError).defaultParam;
  }
}

/** 400: the request itself is wrong (also an upstream's 400/422 about the request). */
export class InvalidRequestError extends OllaixError {
  override status = 400;
  override type = "invalid_request_error";
}

export class AuthenticationError extends OllaixError {
  override status = 401;
  override type = "authentication_error";
  static override defaultCode: string | null = "invalid_api_key";
}

/** 403: the key may not use this model or route. */
export class PermissionError extends OllaixError {
  override status = 403;
  override type = "permission_error";
  static override defaultCode: string | null = "model_not_allowed";
}

export class ModelNotFoundError extends OllaixError {
  override status = 404;
  override type = "invalid_request_error";
  static override defaultCode: string | null = "model_not_found";
  static override defaultParam: string | null = "model";
  constructor(model: string, options?: { cause?: unknown }) {
    super(`The model '${model}' does not exist or you do not have access to it.`, options);
  }
}

export class NotFoundError extends OllaixError {
  override status = 404;
  override type = "invalid_request_error";
  static override defaultCode: string | null = "not_found";
}

export class PayloadTooLargeError extends OllaixError {
  override status = 413;
  override type = "invalid_request_error";
  static override defaultCode: string | null = "payload_too_large";
}

/** 415: a body in a content coding the gateway does not decode (RFC 9110 §15.5.16). */
export class UnsupportedMediaTypeError extends OllaixError {
  override status = 415;
  override type = "invalid_request_error";
  static override defaultCode: string | null = "unsupported_content_encoding";
}

export class RateLimitError extends OllaixError {
  override status = 429;
  override type = "rate_limit_error";
  static override defaultCode: string | null = "rate_limit_exceeded";
  constructor(message: string, options?: { cause?: unknown; retryAfter?: number; code?: string | null }) {
    super(message, options);
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

/** 429: the key's daily token budget is spent (OpenAI's type and code for a spent quota). */
export class QuotaError extends OllaixError {
  override status = 429;
  override type = "insufficient_quota";
  static override defaultCode: string | null = "insufficient_quota";
  constructor(message: string, options?: { retryAfter?: number }) {
    super(message);
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

/** 503: the shared state (Redis) is unreachable and REDIS_FAILURE_MODE=closed. */
export class StateUnavailableError extends OllaixError {
  override status = 503;
  static override defaultCode: string | null = "state_unavailable";
}

/**
 * 503: the gateway itself is at a limit of its own for the moment (the memory for images and files
 * fetched by URL, all requests together), not the upstream: another try shortly may pass.
 */
export class ServerBusyError extends OllaixError {
  override status = 503;
  static override defaultCode: string | null = "server_busy";
  constructor(message: string, options?: { retryAfter?: number }) {
    super(message);
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

/** 502: the upstream answered 5xx or something that is not its documented format. */
export class UpstreamError extends OllaixError {
  override status = 502;
  static override defaultCode: string | null = "upstream_error";
}

/** 502: the upstream refused the gateway's own provider key. The message must not contain the key. */
export class UpstreamAuthError extends OllaixError {
  override status = 502;
  static override defaultCode: string | null = "upstream_auth_failed";
}

export class UpstreamUnavailableError extends OllaixError {
  override status = 503;
  static override defaultCode: string | null = "upstream_unavailable";
}

export class UpstreamTimeoutError extends OllaixError {
  override status = 504;
  static override defaultCode: string | null = "upstream_timeout";
}

export class LoopDetectedError extends OllaixError {
  override status = 508;
  static override defaultCode: string | null = "loop_detected";
}

/** True for anything that carries the error fields, whichever copy of this module made it. */
export function hasErrorFields(value: unknown): value is Error & ErrorFields {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<ErrorFields>;
  return (
    typeof v.status === "number" &&
    v.status >= 400 &&
    v.status <= 599 &&
    typeof v.type === "string"
  );
}
