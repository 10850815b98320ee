import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import { docs } from "./docs.ts";
import { mapError } from "./error-response.ts";
import { guards } from "./guards.ts";
import type { Logger } from "./logger.ts";
import type { ModelRegistry } from "./registry.ts";
import { OutcomeBus } from "./pipeline/outcome.ts";
import { Pipeline, wasReported } from "./pipeline/pipeline.ts";
import type { Gate } from "./pipeline/gate.ts";
import type { RouteDeps } from "./routes/deps.ts";
import { surfaceOfPath } from "./surfaces/envelopes.ts";
import { chatRoutes } from "./surfaces/openai-chat/route.ts";
import { responsesRoutes } from "./surfaces/openai-responses/route.ts";
import { embeddingRoutes } from "./routes/embeddings.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";

const pathOf = (url: string): string => {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
};

export const VERSION = "0.1.0";

export interface AppOptions {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  /** Where every request's outcome is reported (metrics, logs, limits, console). */
  outcomes?: OutcomeBus;
  /** Keys and limits; none by default. */
  gate?: Gate;
}

/** The HTTP application: cross-cutting pieces first (they cover every route), then the routes. */
export function createApp(options: AppOptions) {
  const outcomes = options.outcomes ?? new OutcomeBus();
  outcomes.onObserverError((error) => options.logger.error("outcome observer failed", { error }));
  const pipeline = new Pipeline({ ...options, outcomes });
  const deps: RouteDeps = { ...options, pipeline };
  const { logger, config } = options;
  return new Elysia({ name: "ollaix" })
    .use(
      cors({
        origin: config.corsAllowedOrigins === "*" ? true : [...config.corsAllowedOrigins],
        exposeHeaders: ["x-request-id", "retry-after"],
        allowedHeaders: "authorization, *",
        credentials: false,
        maxAge: 600,
      }),
    )
    .use(guards(config.apiKeys))
    .onError({ as: "global" }, function toErrorEnvelope({ error, code, set, request }) {
      const mapped = mapError(error, options.redact, code);
      const requestId = set.headers["x-request-id"] as string;
      const path = pathOf(request.url);
      const { surface, envelope } = surfaceOfPath(path);
      // Refusals before the pipeline ran (401, 400, 413…) are outcomes too; the pipeline reported its own.
      if (surface && outcomes.hasObservers && !wasReported(error)) {
        outcomes.emit({
          requestId, surface, method: request.method, path, status: mapped.status, stream: false,
          startedAt: performance.now(), durationMs: 0, upstreamMs: 0, model: "",
          error: mapped.body.error.code ?? mapped.body.error.type,
        });
      }
      // The client left mid-request: the provider was aborted on purpose and nobody reads this.
      if (request.signal.aborted) logger.debug("client went away", { request_id: requestId });
      else if (mapped.internal) logger.error("request failed", { request_id: requestId, path: request.url, error });
      else if (logger.isEnabled("debug")) logger.debug("request refused", { request_id: requestId, status: mapped.status, message: mapped.body.error.message });
      const answer = envelope(mapped);
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    })
    .use(docs(VERSION))
    .use(healthRoutes(deps))
    .use(modelRoutes(deps))
    .use(chatRoutes(deps))
    .use(responsesRoutes(deps))
    .use(embeddingRoutes(deps));
}
