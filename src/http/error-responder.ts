import { mapError } from "../error-response.ts";
import type { Logger } from "../logger.ts";
import type { TraceStamp } from "../observe/trace-stamp.ts";
import type { OutcomeBus } from "../pipeline/outcome.ts";
import { answerHeadersOf, wasReported } from "../pipeline/pipeline.ts";
import { keyOf } from "../keys/request-key.ts";
import { pathOf, startOf } from "../request-meta.ts";
import { isModelCall, surfaceOfRequest } from "../surfaces/envelopes.ts";

export interface ErrorResponderDeps {
  logger: Logger;
  redact: (text: string) => string;
  outcomes: OutcomeBus;
  stampTrace?: (request: Request) => TraceStamp;
  /** A model id's bounded metric label (Pipeline.labelOf), for a refusal whose body named one. */
  labelOf?: (model: string) => string;
}

/** What a refused request's body said of itself, when it was read: its model (clipped for the log) and whether it streams. */
function bodyFacts(body: unknown): { requestedModel?: string; stream: boolean } {
  if (typeof body !== "object" || body === null) return { stream: false };
  const { model, stream } = body as { model?: unknown; stream?: unknown };
  return { requestedModel: typeof model === "string" && model !== "" ? model.slice(0, 256) : undefined, stream: stream === true };
}

/**
 * Any failure as the answer of the surface the path belongs to (its envelope and status), for
 * Elysia's routes (the global onError) and the hot routes Bun serves directly alike. Refusals the
 * pipeline did not see (401, 400, 413…) are reported as outcomes here; nothing is ever a stack trace.
 */
export function createErrorResponder(deps: ErrorResponderDeps) {
  const { logger, outcomes } = deps;
  /** `body`: the request's parsed body when it was read (a refusal after that names its key, model and stream). */
  return function errorResponse(error: unknown, request: Request, requestId: string, frameworkCode?: unknown, body?: unknown): Response {
    const mapped = mapError(error, deps.redact, frameworkCode, request);
    const path = pathOf(request.url);
    const { surface, envelope } = surfaceOfRequest(path, request);
    // An admitted request that failed later still carries its key's x-ratelimit-* headers.
    const admitted = answerHeadersOf(error);
    if (admitted) mapped.headers = { ...admitted, ...mapped.headers };
    const answer = envelope(mapped, requestId);
    // Refusals of model calls before the pipeline ran (401, 400, 413…) are outcomes too; the pipeline
    // reported its own. Other routes of a surface (a stored response's GET, a cancel) are no model call.
    if (surface && outcomes.hasObservers && !wasReported(error) && isModelCall(request.method, path)) {
      const startedAt = startOf(request) ?? performance.now();
      const { requestedModel, stream } = bodyFacts(body);
      outcomes.emit({
        requestId, surface, method: request.method, path, status: answer.status, stream,
        startedAt, durationMs: performance.now() - startedAt, upstreamMs: 0,
        model: requestedModel !== undefined && deps.labelOf ? deps.labelOf(requestedModel) : "",
        requestedModel,
        key: keyOf(request)?.name,
        error: mapped.body.error.code ?? mapped.body.error.type,
        trace: deps.stampTrace?.(request),
      });
    }
    // The client left mid-request: the provider was aborted on purpose and nobody reads this.
    if (request.signal.aborted) logger.debug("client went away", { request_id: requestId });
    else if (mapped.internal) logger.error("request failed", { request_id: requestId, path, error });
    else if (logger.isEnabled("debug")) logger.debug("request refused", { request_id: requestId, status: mapped.status, message: mapped.body.error.message });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}
