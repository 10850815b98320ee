import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import { docs } from "./docs.ts";
import { JSON_HEADERS, mapError } from "./error-response.ts";
import { guards } from "./guards.ts";
import type { Logger } from "./logger.ts";
import type { ModelRegistry } from "./registry.ts";
import { chatRoutes } from "./routes/chat.ts";
import type { RouteDeps } from "./routes/deps.ts";
import { embeddingRoutes } from "./routes/embeddings.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";

export const VERSION = "0.1.0";

export interface AppOptions {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
}

/** The HTTP application: cross-cutting pieces first (they cover every route), then the routes. */
export function createApp(options: AppOptions) {
  const deps: RouteDeps = options;
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
      const mapped = mapError(error, options.redact, code, request);
      const requestId = set.headers["x-request-id"];
      // The client left mid-request: the provider was aborted on purpose and nobody reads this.
      if (request.signal.aborted) logger.debug("client went away", { request_id: requestId });
      else if (mapped.internal) logger.error("request failed", { request_id: requestId, path: request.url, error });
      else if (logger.isEnabled("debug")) logger.debug("request refused", { request_id: requestId, status: mapped.status, message: mapped.body.error.message });
      return new Response(JSON.stringify(mapped.body), {
        status: mapped.status,
        headers: { ...JSON_HEADERS, ...mapped.headers },
      });
    })
    .use(docs(VERSION))
    .use(healthRoutes(deps))
    .use(modelRoutes(deps))
    .use(chatRoutes(deps))
    .use(embeddingRoutes(deps));
}
