import { readFileSync } from "node:fs";
import { isConsoleServed } from "../console/console.ts";
import type { EnvSource } from "../env.ts";
import { createGateway } from "../server.ts";

/** `ollaix` / `ollaix serve`: listen on HOST:PORT until SIGTERM/SIGINT/SIGHUP, then drain and exit 0. */
export async function serve(env: EnvSource): Promise<void> {
  // The handlers go in before start-up (plugins, the first Redis wait): as PID 1 (a container's
  // entrypoint) a signal with no handler is ignored, and a SIGTERM during start-up was lost, the
  // gateway then serving until killed (an operations probe). Before it listens there is nothing to
  // drain: the process ends at once.
  let onSignal: (signal: string) => void = () => process.exit(0);
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  // A closed terminal, or an operator used to a reload: the same drain, not the default abrupt end
  // (cut streams, no log lines). Unless it was started ignoring SIGHUP (`nohup`): a handler would undo that.
  if (!ignoresHangUp()) process.on("SIGHUP", () => onSignal("SIGHUP"));

  const gateway = await createGateway({ env });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info("shutting down", { signal, grace_ms: gateway.config.shutdownGraceMs });
    await gateway.shutdown();
    process.exit(0);
  };
  onSignal = (signal) => void stop(signal);

  const url = gateway.listen();
  gateway.logger.info("Ollaix listening", {
    url,
    docs: `${url}/docs`,
    ...(isConsoleServed(gateway.config) ? { console: `${url}/console` } : {}),
    models: gateway.registry.list().length,
    // Bun's fetch sends at most this many requests at once, read at process start (256 unless set):
    // streams and background responses beyond it wait for one to end.
    upstream_requests_at_once: Number(env.BUN_CONFIG_MAX_HTTP_REQUESTS) || 256,
  });

}

/** Whether this process was started with SIGHUP ignored (`nohup`), as Linux says in /proc (bit 0 of SigIgn); false where it cannot tell. */
function ignoresHangUp(): boolean {
  try {
    const line = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return line !== null && (Number.parseInt(line[1]!.slice(-1), 16) & 1) === 1;
  } catch {
    return false;
  }
}

/** `ollaix --healthcheck`: for Docker's HEALTHCHECK in an image that has no curl. Returns the exit code. */
export async function healthcheck(env: EnvSource): Promise<number> {
  const port = env.PORT || "8000";
  const host = !env.HOST || env.HOST === "0.0.0.0" ? "127.0.0.1" : env.HOST === "::" ? "[::1]" : env.HOST;
  // Straight to the gateway, never through HTTP_PROXY: Bun's fetch takes it for loopback too, and a
  // container behind an egress proxy was unhealthy for it (an operations probe). This process only probes.
  process.env.NO_PROXY = process.env.no_proxy = [process.env.NO_PROXY ?? process.env.no_proxy, host.replace(/^\[|\]$/g, ""), host].filter(Boolean).join(",");
  try {
    const response = await fetch(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}/health`, {
      signal: AbortSignal.timeout(3000),
    });
    const body = (await response.json()) as { status?: string };
    // `degraded` (Redis away, REDIS_FAILURE_MODE=open) still serves: the container stays healthy.
    if (response.ok && (body.status === "healthy" || body.status === "degraded")) return 0;
    process.stderr.write(`ollaix: unhealthy: /health answered ${response.status} ${JSON.stringify(body.status ?? null)}\n`);
    return 1;
  } catch (error) {
    // Docker keeps a health check's output (`docker inspect`): say why.
    process.stderr.write(`ollaix: unhealthy: no answer from /health on ${host}:${port} (${error instanceof Error ? error.message : String(error)})\n`);
    return 1;
  }
}
