import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import { docs } from "./docs.ts";
import { mapError } from "./error-response.ts";
import { guards } from "./guards.ts";
import { startOf } from "./request-meta.ts";
import type { Logger } from "./logger.ts";
import type { ModelRegistry } from "./registry.ts";
import { OutcomeBus } from "./pipeline/outcome.ts";
import { answerHeadersOf, Pipeline, wasReported } from "./pipeline/pipeline.ts";
import type { Gate } from "./pipeline/gate.ts";
import { KeyStore } from "./keys/key-store.ts";
import type { StateHealth } from "./limits/limit-state.ts";
import type { Router } from "./routing/router.ts";
import type { Observability } from "./observe/index.ts";
import type { RouteDeps } from "./routes/deps.ts";
import { surfaceOfPath } from "./surfaces/envelopes.ts";
import { createConsole } from "./console/console.ts";
import type { KeysSource } from "./console/keys.ts";
import { chatRoutes } from "./surfaces/openai-chat/route.ts";
import { messagesRoutes } from "./surfaces/anthropic-messages/route.ts";
import { ollamaRoutes } from "./surfaces/ollama-api/route.ts";
import { responsesRoutes } from "./surfaces/openai-responses/route.ts";
import type { ResponseStore } from "./surfaces/openai-responses/store/response-store.ts";
import { embeddingRoutes } from "./routes/embeddings.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";

const pathOf = (url: string): string => {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
};

export { VERSION } from "./version.ts";
import { VERSION } from "./version.ts";

export interface AppOptions {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  /** Where every request's outcome is reported (metrics, logs, limits, console). */
  outcomes?: OutcomeBus;
  /** Keys and limits; none by default. */
  gate?: Gate;
  /** The keys the guard accepts; OLLAIX_API_KEYS alone by default. */
  keys?: KeyStore;
  router?: Router;
  stateHealth?: () => StateHealth;
  /** Each key's limits and use right now, for the console's Keys tab. */
  keyUsage?: KeysSource;
  /** `/metrics`, `/health/ready` and trace ids (see src/observe/). */
  observability?: Pick<Observability, "routes" | "stampTrace">;
  /** Stored responses; the gateway owns it (and closes it at shutdown). Built from the config when absent. */
  responseStore?: ResponseStore;
}

/** The HTTP application: cross-cutting pieces first (they cover every route), then the routes. */
export function createApp(options: AppOptions) {
  const outcomes = options.outcomes ?? new OutcomeBus();
  outcomes.onObserverError((error) => options.logger.error("outcome observer failed", { error }));
  const stampTrace = options.observability?.stampTrace;
  const pipeline = new Pipeline({ ...options, outcomes, stampTrace });
  const deps: RouteDeps = { ...options, pipeline };
  const { logger, config } = options;
  const adminConsole = createConsole({ ...options, keys: options.keyUsage, outcomes, version: VERSION, routes: () => app.routes });
  const app = new Elysia({ name: "ollaix", serve: { routes: adminConsole.pageRoutes } })
    .use(
      cors({
        origin: config.corsAllowedOrigins === "*" ? true : [...config.corsAllowedOrigins],
        exposeHeaders: [
          "x-request-id", "retry-after", "x-ollaix-target", "x-ollaix-attempts",
          "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
          "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
        ],
        allowedHeaders: "authorization, *",
        credentials: false,
        maxAge: 600,
      }),
    )
    .use(guards(options.keys ?? KeyStore.from(undefined, config.apiKeys, {}, () => undefined)))
    .onError({ as: "global" }, function toErrorEnvelope({ error, code, set, request }) {
      const mapped = mapError(error, options.redact, code, request);
      const requestId = set.headers["x-request-id"] as string;
      const path = pathOf(request.url);
      const { surface, envelope } = surfaceOfPath(path);
      // An admitted request that failed later still carries its key's x-ratelimit-* headers.
      const admitted = answerHeadersOf(error);
      if (admitted) mapped.headers = { ...admitted, ...mapped.headers };
      const answer = envelope(mapped);
      // Refusals before the pipeline ran (401, 400, 413…) are outcomes too; the pipeline reported its own.
      if (surface && outcomes.hasObservers && !wasReported(error)) {
        const startedAt = startOf(request) ?? performance.now();
        outcomes.emit({
          requestId, surface, method: request.method, path, status: answer.status, stream: false,
          startedAt, durationMs: performance.now() - startedAt, upstreamMs: 0, model: "",
          error: mapped.body.error.code ?? mapped.body.error.type,
          trace: stampTrace?.(request),
        });
      }
      // The client left mid-request: the provider was aborted on purpose and nobody reads this.
      if (request.signal.aborted) logger.debug("client went away", { request_id: requestId });
      else if (mapped.internal) logger.error("request failed", { request_id: requestId, path: request.url, error });
      else if (logger.isEnabled("debug")) logger.debug("request refused", { request_id: requestId, status: mapped.status, message: mapped.body.error.message });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    })
    .use(docs(VERSION))
    .use(healthRoutes(deps))
    .use(options.observability?.routes ?? new Elysia({ name: "ollaix:observe" }))
    .use(modelRoutes(deps))
    .use(chatRoutes(deps))
    .use(responsesRoutes(deps, options.responseStore))
    .use(messagesRoutes(deps))
    .use(ollamaRoutes(deps))
    .use(embeddingRoutes(deps))
    .use(adminConsole.routes);
  return app;
}
