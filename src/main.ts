import { ConfigError } from "./env.ts";
import { createGateway } from "./server.ts";

/** `ollaix --healthcheck`: for Docker's HEALTHCHECK in an image that has no curl. */
async function healthcheck(): Promise<never> {
  const port = process.env.PORT || "8000";
  const host = !process.env.HOST || process.env.HOST === "0.0.0.0" ? "127.0.0.1" : process.env.HOST === "::" ? "[::1]" : process.env.HOST;
  try {
    const response = await fetch(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}/health`, {
      signal: AbortSignal.timeout(3000),
    });
    const body = (await response.json()) as { status?: string };
    // `degraded` (Redis away, REDIS_FAILURE_MODE=open) still serves: the container stays healthy.
    process.exit(response.ok && (body.status === "healthy" || body.status === "degraded") ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--healthcheck")) await healthcheck();
  let gateway;
  try {
    gateway = await createGateway({ env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ollaix: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const url = gateway.listen();
  gateway.logger.info("Ollaix listening", { url, docs: `${url}/docs`, models: gateway.registry.list().length });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info("shutting down", { signal, grace_ms: gateway.config.shutdownGraceMs });
    await gateway.shutdown();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`ollaix: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
