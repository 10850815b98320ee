import { requestIdOf } from "./request-meta.ts";
import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import { hasBody, parsedOf } from "./body.ts";
import type { Config } from "./config.ts";
import { docs } from "./docs.ts";
import { guards, requestIds } from "./guards.ts";
import type { Logger } from "./logger.ts";
import type { ModelRegistry } from "./registry.ts";
import { OutcomeBus } from "./pipeline/outcome.ts";
import { Pipeline } from "./pipeline/pipeline.ts";
import type { Gate } from "./pipeline/gate.ts";
import { KeyStore } from "./keys/key-store.ts";
import type { StateHealth } from "./limits/limit-state.ts";
import type { Router } from "./routing/router.ts";
import type { Observability } from "./observe/index.ts";
import type { RouteDeps } from "./routes/deps.ts";
import { createErrorResponder } from "./http/error-responder.ts";
import { ConnectionClock } from "./http/connection-clock.ts";
import { fastRoutes, isStream } from "./http/fast-routes.ts";
import { createConsole } from "./console/console.ts";
import type { KeysSource } from "./console/keys.ts";
import { chatRoutes } from "./surfaces/openai-chat/route.ts";
import { messagesRoutes } from "./surfaces/anthropic-messages/route.ts";
import { ollamaRoutes } from "./surfaces/ollama-api/route.ts";
import { conversationRoutes } from "./surfaces/openai-conversations/route.ts";
import { createConversationStore } from "./surfaces/openai-conversations/create-conversation-store.ts";
import type { ConversationStore } from "./surfaces/openai-conversations/conversation-store.ts";
import { responsesWebSocket } from "./surfaces/openai-responses/websocket.ts";
import { responsesRoutes } from "./surfaces/openai-responses/route.ts";
import type { BackgroundRuns } from "./surfaces/openai-responses/background.ts";
import type { ResponseStore } from "./surfaces/openai-responses/store/response-store.ts";
import { embeddingRoutes } from "./routes/embeddings.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";

/** Headers a browser client may read (CORS). */
const EXPOSED_HEADERS = [
  "x-request-id", "request-id", "retry-after", "x-should-retry", "x-ollaix-target", "x-ollaix-attempts",
  "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
] as const;

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
  /** The Responses surface's background runs: the owner stops them at shutdown. */
  backgroundRuns?: BackgroundRuns;
  /** The Conversations API's store (tests); by default memory, or Redis with REDIS_URL. */
  conversationStore?: ConversationStore;
}

/** The HTTP application: cross-cutting pieces first (they cover every route), then the routes. */
export function createApp(options: AppOptions) {
  const outcomes = options.outcomes ?? new OutcomeBus();
  outcomes.onObserverError((error) => options.logger.error("outcome observer failed", { error }));
  const stampTrace = options.observability?.stampTrace;
  const pipeline = new Pipeline({ ...options, outcomes, stampTrace });
  const deps: RouteDeps = { ...options, pipeline };
  const { logger, config } = options;
  const errorResponse = createErrorResponder({ logger, redact: options.redact, outcomes, stampTrace, labelOf: (model) => pipeline.labelOf(model) });
  const adminConsole = createConsole({ ...options, keys: options.keyUsage, outcomes, version: VERSION, routes: () => app.routes });
  const clock = new ConnectionClock(config.bodyIdleTimeoutS, config.keepAliveTimeoutS);
  const keys = options.keys ?? KeyStore.from(undefined, config.apiKeys, {}, () => undefined);
  const conversations = options.conversationStore ?? createConversationStore(config);
  // The WebSocket mode makes each of its messages a request of this app (set once the app exists).
  let handleRequest: (request: Request) => Promise<Response> = () => Promise.reject(new Error("the app is not built yet"));
  // A refusal the socket answers itself is reported as an HTTP one is (its Response is the socket's to send, not this one).
  const webSocket = responsesWebSocket(config, () => handleRequest, (error, request, body) => void errorResponse(error, request, requestIdOf(request), undefined, body));
  // Bun serves these paths itself, before Elysia: the console's page, then the hot routes (below).
  const serveRoutes: Record<string, unknown> = { ...adminConsole.pageRoutes };
  // WebSocket limits are the server's (Bun reads them once): a message as large as a request body, and
  // connections that wait between turns as long as Bun allows (960 s), as Codex's do.
  // `standardHostname: false`: Elysia finds a URL's path from after `http://`, as the key guard does
  // (pathStartOf), not from its 11th character, which assumes a host of four characters or more: with
  // `Host: a`, `/xx/v1/models` was routed as `/v1/models` while the guard read an unguarded path.
  const app = new Elysia({
    name: "ollaix",
    serve: { routes: serveRoutes as never },
    websocket: { maxPayloadLength: config.maxBodyBytes, idleTimeout: 960 },
    handler: { standardHostname: false },
  })
    .use(requestIds())
    .use(
      cors({
        origin: config.corsAllowedOrigins === "*" ? true : [...config.corsAllowedOrigins],
        exposeHeaders: [...EXPOSED_HEADERS],
        allowedHeaders: "authorization, *",
        credentials: false,
        maxAge: 600,
      }),
    )
    .use(guards(keys))
    // BODY_IDLE_TIMEOUT_S while a body is read (the parse hooks, between these two): http/connection-clock.ts.
    // Then no limit while the gateway works, and KEEPALIVE_TIMEOUT_S once answered (a stream's: when it ends).
    .onRequest(function bodyClockOn({ request, server }) {
      if (hasBody(request)) clock.start(request, server);
      else clock.stop(request, server);
    })
    .onBeforeHandle({ as: "global" }, function bodyClockOff({ request, server }) {
      if (hasBody(request)) clock.stop(request, server);
    })
    .onAfterHandle({ as: "global" }, function keepAliveOn({ request, server, response }) {
      if (response instanceof Response && isStream(response)) clock.answeringStream(request, server);
      else if (!isGenerator(response)) clock.answered(request, server);
    })
    // Never Elysia's `body` here: a hook that reads it makes Elysia read every route's body, uncapped (body.ts, parsedOf).
    .onError({ as: "global" }, function toErrorEnvelope({ error, code, set, request, server }) {
      clock.answered(request, server);
      if (code === "NOT_FOUND" && adminConsole.movedPage) {
        const moved = adminConsole.movedPage(request.url);
        if (moved) return moved;
      }
      return errorResponse(error, request, set.headers["x-request-id"] as string, code, parsedOf(request));
    })
    .use(docs(VERSION))
    .use(healthRoutes(deps))
    .use(options.observability?.routes ?? new Elysia({ name: "ollaix:observe" }))
    .use(modelRoutes(deps))
    .use(chatRoutes(deps))
    .use(responsesRoutes(deps, options.responseStore, options.backgroundRuns, conversations))
    .use(conversationRoutes(deps, conversations))
    .use(webSocket.routes)
    .use(messagesRoutes(deps))
    .use(ollamaRoutes(deps))
    .use(embeddingRoutes(deps))
    .use(adminConsole.routes);
  Object.assign(serveRoutes, fastRoutes(app.routes, { config, keys, errorResponse, exposeHeaders: EXPOSED_HEADERS }));
  handleRequest = (request) => app.handle(request);
  // Open console pages hold an event stream forever: ended before a graceful stop waits for requests.
  return Object.assign(app, {
    closeEventStreams: () => {
      adminConsole.events?.close();
      webSocket.closeIdle();
    },
  });
}

/** An Elysia handler's streamed answer (an async generator): its connection keeps no limit until it ends. */
const isGenerator = (value: unknown): boolean => typeof value === "object" && value !== null && Symbol.asyncIterator in value;
