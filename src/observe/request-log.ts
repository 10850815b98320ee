import { shownModel } from "../pipeline/outcome.ts";
import type { Logger } from "../logger.ts";
import type { OutcomeObserver, RequestOutcome } from "../pipeline/outcome.ts";
import { isUpstreamFailure } from "./classify.ts";

const ms = (value: number): number => Math.round(value * 10) / 10;

/**
 * The request log: one `"msg":"request"` line at info per finished request (answered, refused,
 * failed or abandoned), with the contract's fields; a provider's failure adds a warn line naming the
 * provider and the code. Lines go through the logger, which redacts every known secret.
 */
export function requestLog(logger: Logger): OutcomeObserver {
  const info = logger.isEnabled("info");
  return function logRequest(o: RequestOutcome): void {
    if (info) logger.info("request", fieldsOf(o));
    if (o.failedTries !== undefined) {
      for (const f of o.failedTries) logger.warn("upstream failed", { request_id: o.requestId, provider: f.provider, target: f.target, status: f.status, code: f.code, tried_again: true });
    }
    if (isUpstreamFailure(o)) {
      logger.warn("upstream failed", { request_id: o.requestId, provider: o.provider, target: o.target, status: o.status, code: o.error });
    }
  };
}

/** The line's fields, in the contract's order; absent values are left out. */
export function fieldsOf(o: RequestOutcome): Record<string, unknown> {
  return {
    request_id: o.requestId,
    response_id: o.responseId,
    background: o.background,
    surface: o.surface,
    method: o.method,
    path: o.path,
    status: o.status,
    duration_ms: ms(o.durationMs),
    ttft_ms: o.ttftMs === undefined ? undefined : ms(o.ttftMs),
    model: shownModel(o),
    target: o.target,
    key: o.key,
    stream: o.stream,
    input_tokens: o.usage?.input,
    output_tokens: o.usage?.output,
    // The provider reported no usage (or not all of it), or the call was given up before its answer.
    tokens_estimated: o.usage?.estimated,
    error: o.error,
    trace_id: o.trace?.traceId,
  };
}
