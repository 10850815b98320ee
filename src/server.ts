import { builtinPlugins } from "../plugins/index.ts";
import { createApp, VERSION } from "./app.ts";
import { loadConfig, type Config } from "./config.ts";
import type { KeysSource } from "./console/keys.ts";
import { ConfigError, type EnvSource } from "./env.ts";
import { createLogger, SecretList, type Logger } from "./logger.ts";
import type { PluginDefinition } from "./plugin.ts";
import { loadPlugins, type LoadedInstance } from "./plugin-loader.ts";
import { ModelRegistry } from "./registry.ts";
import type { RouteSettings } from "./settings-schema.ts";
import { readSettingsFile } from "./settings-file.ts";
import type { KeyStore } from "./keys/key-store.ts";
import { readKeys } from "./keys/read-keys.ts";
import { ConfigProblems } from "./config-problems.ts";
import { createLimitState } from "./limits/create-state.ts";
import { LimitGate } from "./limits/limit-gate.ts";
import { InProcessState, type StateHealth } from "./limits/limit-state.ts";
import { Router } from "./routing/router.ts";
import { keyUsageOf } from "./keys/key-usage.ts";
import { startObservability, type Observability } from "./observe/index.ts";
import { redisCheck } from "./observe/readiness.ts";
import { BackgroundRuns, GatewayStoppedError } from "./surfaces/openai-responses/background.ts";
import { abortRequestsInFlight } from "./request-scope.ts";
import { RedisConnection } from "./surfaces/openai-responses/store/redis-connection.ts";
import { RedisHang } from "./redis-hang.ts";
import { RedisRunChannel } from "./surfaces/openai-responses/store/redis-run-channel.ts";
import { createConversationStore } from "./surfaces/openai-conversations/create-conversation-store.ts";
import { createResponseStore } from "./surfaces/openai-responses/store/create-store.ts";
import { OutcomeBus } from "./pipeline/outcome.ts";

/** `/health`'s reason when Redis is away and no key has limits: what it holds is what cannot be served. */
const REDIS_AWAY = "Redis unreachable; stored responses, conversations and background responses answer 503 until it is back";

/** How often /health may open the readiness connection again while it is not there. */
const REOPEN_EVERY_MS = 500;

/**
 * `/health`'s word on Redis when no key has limits: the readiness connection's. One that was lost,
 * or closed for leaving a PING unanswered, is opened again here (not waited for, at most every
 * REOPEN_EVERY_MS), so /health follows Redis back on its own, without a readiness probe.
 */
function redisHealth(redis: RedisConnection): () => StateHealth {
  let reopenedAt = -Infinity;
  return () => {
    if (redis.connected) return { status: "ok" };
    if (performance.now() - reopenedAt >= REOPEN_EVERY_MS) {
      reopenedAt = performance.now();
      redis.call((c) => c.send("PING", [])).catch(() => undefined);
    }
    return { status: "degraded", reason: REDIS_AWAY };
  };
}

/** After the shutdown grace, how long the requests it ends have to send their error before the sockets close. */
const FINAL_WORDS_MS = 500;
/**
 * How long the last spans may take to reach the collector at shutdown: the exporter's own time-out
 * is 10 s, which after a full grace outlasts `docker stop`'s (a probe: 18 s with an unreachable
 * collector and an 8 s grace, then Docker's kill). Spans not out by then are lost, and logged.
 */
export const TRACE_FLUSH_MS = 1000;

/** The server could not listen (the port is taken): a start-up failure with a message for humans. */
export class ListenError extends Error {
  override name = "ListenError";
}

export interface StartOptions {
  env: EnvSource;
  /** Replaces the built-in list (tests). */
  builtins?: readonly PluginDefinition[];
  /** Where log lines go (tests); stdout by default. */
  write?: (line: string) => void;
  /** Longest a discovery request may take (default 10 s). */
  discoveryTimeoutMs?: number;
  /** Longest start-up waits for the first discovery round before serving (default 2 s). */
  discoveryWaitMs?: number;
  /** false: build everything but ask no upstream for its models (`ollaix check-config`). */
  discover?: boolean;
  /** Each key's limits and use for the console's Keys tab (tests); by default read from the keys and their counters. */
  keyUsage?: KeysSource;
  /** A running background response's lease and how often it is renewed (tests); 60 s and 20 s by default. */
  backgroundLease?: { leaseMs: number; renewMs: number };
}

export interface Gateway {
  app: ReturnType<typeof createApp>;
  config: Config;
  registry: ModelRegistry;
  logger: Logger;
  /** Every key the gateway accepts (none: the model routes are open). */
  keys: KeyStore;
  /** The provider instances, with the plugin and source of each. */
  instances: readonly LoadedInstance[];
  /** Metrics, readiness (plug extra checks into `observability.readiness.add`), tracing. */
  observability: Observability;
  /** Serves on HOST:PORT; returns the base URL. */
  listen(): string;
  /** Stops accepting, waits for in-flight requests up to SHUTDOWN_GRACE_MS, then closes. */
  shutdown(): Promise<void>;
}

/** Everything but the process: config, plugins, registry, app. Throws ConfigError on bad settings. */
export async function createGateway(options: StartOptions): Promise<Gateway> {
  const config = loadConfig(options.env);
  const secrets = new SecretList();
  secrets.add(...config.apiKeys, config.adminKey, ...Object.values(config.otel?.headers ?? {}));
  const logger = createLogger({ level: config.logLevel, redact: secrets.redact, write: options.write });
  const registry = new ModelRegistry(logger);
  // The file's problems, the plugins' and the keys' are gathered and thrown together (one run names them all).
  const problems = new ConfigProblems(config.configFile);
  const { instances, settings: checked } = await loadPlugins(
    {
      builtins: options.builtins ?? builtinPlugins,
      pluginsDir: config.pluginsDir,
      env: options.env,
      config,
      settings: await readSettingsFile(config.configFile),
      logger,
      secrets,
      registry,
    },
    problems,
  );
  const keys = readKeys(checked, config, options.env, (value) => secrets.add(value), problems);
  problems.throwIfAny();
  const { settings } = checked;
  const router = new Router({ routes: settings.routes, cooldown: settings.cooldown });
  // Readiness waits for shared state too: its own small connection, so a busy limits or store
  // connection never decides whether a load balancer sends traffic here. A PING unanswered for
  // REDIS_TIMEOUT_MS fails and closes it (a connection the network left half-open stays open, and
  // dead, for many minutes); the next PING opens another.
  const readinessRedis = config.redisUrl ? new RedisConnection(config.redisUrl, "Redis", config.redisTimeoutMs) : undefined;
  // A command one connection left unanswered (a hung Redis) fails the others' at once, until Redis answers again (its probe: readiness's PING).
  const redisHang = readinessRedis && new RedisHang(() => readinessRedis.call((c) => c.send("PING", [])));
  // Shared state only when some key has a limit: without limits nothing is counted.
  const state = options.discover !== false && keys.records.some((k) => k.limits) ? await createLimitState(config, logger, (v) => secrets.add(v), redisHang) : undefined;
  const gate = keys.isEnabled ? new LimitGate(keys, registry, state ?? new InProcessState(), router.table) : undefined;
  // Not awaited: the server listens (and /health answers) while discovery runs; /v1/* requests wait
  // for the first round (at most discoveryWaitMs).
  if (options.discover !== false) {
    void registry.start(
      { logger, upstreamHeaders: { "x-ollaix-hops": "1" } },
      options.discoveryTimeoutMs ?? 10_000,
      options.discoveryWaitMs ?? 2_000,
    );
    void registry.discovered.then(() => warnUnservedTargets(settings.routes ?? [], registry, logger));
  }
  const outcomes = new OutcomeBus();
  const observability = await startObservability({ config, logger, registry, redact: secrets.redact, outcomes, version: VERSION });
  if (readinessRedis) {
    // Connected now, for /health. A Redis that is down makes readiness fail in `closed` mode (limited
    // keys are refused); in `open` mode every replica serves on, and readiness says so in its checks only.
    // Without keys with limits nothing else says so at start-up: a REDIS_URL that reaches no Redis is warned of once here.
    readinessRedis.call((c) => c.send("PING", [])).catch((error: unknown) => {
      if (!state) logger.warn(REDIS_AWAY, { error: error instanceof Error ? error.message : String(error) });
    });
    observability.readiness.add(redisCheck(() => readinessRedis.call((c) => c.send("PING", [])), "redis", config.redisFailureMode === "closed"));
  }
  // Owned here, not by the route: Elysia's onStop does not run on server.stop, so shutdown closes it.
  const responseStore = createResponseStore(config, (message) => logger.warn(message), redisHang);
  const conversationStore = createConversationStore(config, redisHang);
  // Background responses run without a request: shutdown gives them the same grace as requests.
  // With Redis, replicas share their background runs' events and stops (run-channel.ts).
  const runChannel = config.redisUrl
    ? new RedisRunChannel(config.redisUrl, (message) => logger.warn(message), { checkMs: options.backgroundLease?.renewMs, streamIdleTimeoutMs: config.streamIdleTimeoutMs, timeoutMs: config.redisTimeoutMs, hang: redisHang })
    : undefined;
  const backgroundRuns = new BackgroundRuns(options.backgroundLease, runChannel);
  const app = createApp({
    outcomes,
    observability,
    config,
    registry,
    logger,
    redact: secrets.redact,
    keys,
    gate,
    router,
    // Redis away: the limits' own connection says how, else (no key has limits) the readiness connection that it is.
    stateHealth: state ? () => state.health() : readinessRedis && redisHealth(readinessRedis),
    responseStore,
    conversationStore,
    backgroundRuns,
    keyUsage: options.keyUsage ?? (settings.keys?.length ? keyUsageOf(keys, state) : undefined),
  });
  let server: ReturnType<typeof Bun.serve> | undefined;

  return {
    app,
    config,
    registry,
    logger,
    keys,
    instances,
    observability,
    listen() {
      try {
        app.listen({
          port: config.port,
          hostname: config.host,
          // Elysia's Bun adapter turns reusePort on unless told otherwise: two gateways would then
          // share the port silently and serve requests alternately.
          reusePort: config.reusePort,
          // No cap of Bun's own: above it Bun answers a bare 413 (no envelope, no x-request-id)
          // before any code of ours runs. Every route that reads a body reads it with our reader
          // (body.ts: the declared size checked before reading, a chunked body counted while it is
          // read, the 413 envelope either way; tests/body-readers.test.ts keeps it so), and Bun
          // buffers no body a handler does not read.
          maxRequestBodySize: Number.MAX_SAFE_INTEGER,
          // A connection with no request in progress idles at most KEEPALIVE_TIMEOUT_S; each request turns
          // its clock off while the gateway works and on again once answered (http/connection-clock.ts).
          idleTimeout: config.keepAliveTimeoutS,
          // Bun's dev mode would serve the console page with hot reloading and verbose error pages.
          development: false,
        });
      } catch (error) {
        const code = (error as { code?: unknown })?.code;
        if (code === "EADDRINUSE") {
          throw new ListenError(`port ${config.port} is already in use on ${config.host}`, { cause: error });
        }
        // Settings no listener can take: a start-up error naming the variable (exit 2), not a stack trace.
        if (code === "EADDRNOTAVAIL" || code === "EINVAL" || code === "ENOTFOUND" || (typeof code === "string" && code.startsWith("EAI_"))) {
          throw new ConfigError(`HOST=${JSON.stringify(config.host)} cannot be listened on (${code}): give an address of this machine, 0.0.0.0 or ::`);
        }
        if (code === "EACCES") {
          throw new ConfigError(`PORT=${config.port} cannot be listened on (EACCES): ports below 1024 need privileges; use 8000 or another above 1023`);
        }
        throw error;
      }
      server = app.server ?? undefined;
      if (!server) throw new Error("the server did not start");
      return `http://${server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname}:${server.port}`;
    },
    async shutdown() {
      registry.stop();
      redisHang?.close();
      readinessRedis?.close();
      if (!server) {
        await backgroundRuns.stop(0);
        await runChannel?.close();
        state?.close();
        responseStore.close();
        conversationStore.close();
        return void (await observability.shutdown().catch(() => undefined));
      }
      app.closeEventStreams();
      // Followers of other replicas' runs would hold the stop for the whole grace: they end now, and can follow elsewhere.
      runChannel?.endFollowers();
      const graceful = server.stop(false);
      const [timedOut] = await Promise.all([
        Promise.race([graceful.then(() => false), Bun.sleep(config.shutdownGraceMs).then(() => true)]),
        backgroundRuns.stop(config.shutdownGraceMs),
      ]);
      if (timedOut) {
        logger.warn("shutdown grace elapsed; closing the remaining connections", { pending: server.pendingRequests });
        // Each request still running ends as its surface ends a failure (a 503 answer, a stream's
        // error event) and is reported as the gateway's ending, not a client's; then the sockets go.
        abortRequestsInFlight(() => new GatewayStoppedError("The gateway is shutting down; send the request again."));
        // Scopes aborted, and requests waiting between a route's tries (no scope then) told: their answers go out first.
        if (server.pendingRequests > 0) await Promise.race([graceful, Bun.sleep(FINAL_WORDS_MS)]);
        await server.stop(true);
      }
      // The last events of the runs that just ended still go out.
      await runChannel?.close();
      state?.close();
      // After the in-flight requests: they may still read or write stored responses and conversations.
      responseStore.close();
      conversationStore.close();
      // The spans of the last requests still go out.
      const flushed = observability.shutdown().then(
        () => true,
        (error: unknown) => (logger.warn("trace export at shutdown failed", { error }), true),
      );
      if (!(await Promise.race([flushed, Bun.sleep(TRACE_FLUSH_MS).then(() => false)]))) {
        logger.warn("trace export at shutdown gave up: the collector did not answer in time", { waited_ms: TRACE_FLUSH_MS });
      }
    },
  };
}

/**
 * A route's target or fallback that no instance serves once discovery has run (a typo, an instance
 * not configured, another route's name): logged at start-up, where the route would only skip it
 * (a 404 of that deployment) request after request.
 */
function warnUnservedTargets(routes: readonly RouteSettings[], registry: ModelRegistry, logger: Logger): void {
  for (const route of routes) {
    for (const model of [...route.targets.map((target) => target.model), ...(route.fallbacks ?? [])]) {
      try {
        registry.resolve(model);
      } catch {
        logger.warn("a route names a model no instance serves: its requests skip it", { route: route.model, model });
      }
    }
  }
}
