import { builtinPlugins } from "../plugins/index.ts";
import { createApp, VERSION } from "./app.ts";
import { loadConfig, type Config } from "./config.ts";
import type { EnvSource } from "./env.ts";
import { createLogger, SecretList, type Logger } from "./logger.ts";
import type { PluginDefinition } from "./plugin.ts";
import { loadPlugins } from "./plugin-loader.ts";
import { ModelRegistry } from "./registry.ts";
import { readSettingsFile } from "./settings-file.ts";
import { startObservability, type Observability } from "./observe/index.ts";
import { OutcomeBus } from "./pipeline/outcome.ts";

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
}

export interface Gateway {
  app: ReturnType<typeof createApp>;
  config: Config;
  registry: ModelRegistry;
  logger: Logger;
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
  const settings = await readSettingsFile(config.configFile);
  await loadPlugins({
    builtins: options.builtins ?? builtinPlugins,
    pluginsDir: config.pluginsDir,
    env: options.env,
    config,
    settings,
    logger,
    secrets,
    registry,
  });
  // Not awaited: the server listens (and /health answers) while discovery runs; /v1/* requests wait
  // for the first round (at most discoveryWaitMs).
  void registry.start(
    { logger, upstreamHeaders: { "x-ollaix-hops": "1" } },
    options.discoveryTimeoutMs ?? 10_000,
    options.discoveryWaitMs ?? 2_000,
  );
  const outcomes = new OutcomeBus();
  const observability = await startObservability({ config, logger, registry, redact: secrets.redact, outcomes, version: VERSION });
  const app = createApp({ config, registry, logger, redact: secrets.redact, outcomes, observability });
  let server: ReturnType<typeof Bun.serve> | undefined;

  return {
    app,
    config,
    registry,
    logger,
    observability,
    listen() {
      app.listen({
        port: config.port,
        hostname: config.host,
        // Bun's own cap, a little above ours, so a body without Content-Length cannot grow unbounded
        // while our reader (which answers with the 413 envelope) still sees the overflow first.
        maxRequestBodySize: config.maxBodyBytes + 1024 * 1024,
        idleTimeout: 0, // streams may be silent for long; STREAM_IDLE_TIMEOUT_MS governs them
      });
      server = app.server ?? undefined;
      if (!server) throw new Error("the server did not start");
      return `http://${server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname}:${server.port}`;
    },
    async shutdown() {
      registry.stop();
      if (!server) return void (await observability.shutdown().catch(() => undefined));
      const graceful = server.stop(false);
      const timedOut = await Promise.race([
        graceful.then(() => false),
        Bun.sleep(config.shutdownGraceMs).then(() => true),
      ]);
      if (timedOut) {
        logger.warn("shutdown grace elapsed; closing the remaining connections", { pending: server.pendingRequests });
        await server.stop(true);
      }
      // The spans of the last requests still go out.
      await observability.shutdown().catch((error: unknown) => logger.warn("trace export at shutdown failed", { error }));
    },
  };
}
