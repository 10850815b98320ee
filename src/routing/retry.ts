import { hasErrorFields } from "../errors.ts";

const RETRYABLE_CODES = new Set(["upstream_unavailable", "upstream_timeout", "upstream_auth_failed", "upstream_error"]);
const MAX_WAIT_MS = 10_000;
const BASE_MS = 200;

/**
 * Retryable before the first byte: 429, 5xx (not the gateway's own loop guard or busy refusal), an unreachable,
 * slow or key-refusing upstream (another target has another key). Never a 4xx about the request.
 */
export function isRetryable(error: unknown): boolean {
  if (!hasErrorFields(error)) return false;
  // The gateway's own limit, not the deployment's: another target would fetch the same bytes, and none is cooled down for it.
  if (error.code === "server_busy") return false;
  if (error.code !== null && RETRYABLE_CODES.has(error.code)) return true;
  return error.status === 429 || (error.status >= 500 && error.status !== 508 && error.status !== 501);
}

/** Failures marked as one deployment's by the gateway's own checks (markUnfit). */
const unfit = new WeakSet<object>();

/**
 * Marks a refusal of the gateway's own checks of one deployment (its context window, how many
 * choices or which features its provider takes): another deployment of a route may serve the request.
 */
export function markUnfit<E>(error: E): E {
  if (typeof error === "object" && error !== null) unfit.add(error);
  return error;
}

/** Codes of an upstream's refusal that say the deployment cannot serve this request, where another may. */
const UNFIT_CODES = new Set(["model_not_found", "context_length_exceeded"]);

/**
 * A failure of the deployment, not of the request: a model it does not have (a typo in a route's
 * target, an Ollama node that has not pulled it), a context window too small for the input (the
 * upstream's 400 or the gateway's own check), a choice count or feature its provider lacks. A route
 * moves on to its next deployment without retrying this one.
 */
export function isUnfit(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (unfit.has(error)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && UNFIT_CODES.has(code);
}

/**
 * Whether `error` says the request does not fit this deployment (the gateway's own checks, or the
 * upstream's `context_length_exceeded`), not that the deployment is unwell: nothing to cool it down
 * for, and no provider failure to count (a long prompt must not take a small model out of rotation
 * for the short ones).
 */
export const isRequestSized = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (unfit.has(error) || (error as { code?: unknown }).code === "context_length_exceeded");

/**
 * The wait before retry `attempt` (0 = the first retry) of the same deployment: jittered
 * exponential back-off (50–100 % of 200 ms × 2ⁿ), at least the upstream's `Retry-After`, at most 10 s.
 */
export function backoffMs(attempt: number, error: unknown, random: () => number): number {
  const exp = BASE_MS * 2 ** attempt;
  const jittered = exp / 2 + (random() * exp) / 2;
  const hinted = (error as { retryAfter?: unknown })?.retryAfter;
  const retryAfterMs = typeof hinted === "number" && Number.isFinite(hinted) && hinted > 0 ? hinted * 1000 : 0;
  return Math.min(MAX_WAIT_MS, Math.max(jittered, retryAfterMs));
}
