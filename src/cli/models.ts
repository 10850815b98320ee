import type { EnvSource } from "../env.ts";
import { ModelRegistry } from "../registry.ts";
import { createGateway } from "../server.ts";
import { columns, type Output } from "./output.ts";

/** How long `ollaix models` waits for each provider's answer: one with none by then is unreachable. */
const DISCOVERY_TIMEOUT_MS = 15_000;

/**
 * `ollaix models`: start the plugins, ask each provider for its models once, print them by
 * instance, exit. A quick way to see that Ollama, Gemini or an upstream is reachable: a provider
 * that cannot be asked shows the reason (exit 1).
 */
export async function listModels(env: EnvSource, io: Output, discoveryTimeoutMs = DISCOVERY_TIMEOUT_MS): Promise<number> {
  const failures = new Map<string, string>();
  // Discovery failures are warnings: read at LOG_LEVEL=error too (else an unreachable provider
  // would be listed with 0 models), the other lines shown only as LOG_LEVEL says.
  const showsWarnings = env.LOG_LEVEL?.trim() !== "error";
  const gateway = await createGateway({
    env: showsWarnings ? env : { ...env, LOG_LEVEL: "warn" },
    discoveryTimeoutMs,
    discoveryWaitMs: discoveryTimeoutMs,
    write(line) {
      // Discovery failures are logged by the registry; keep them for the table and show the rest.
      const entry = JSON.parse(line) as { level?: string; msg?: string; provider?: string; error?: string };
      if (entry.msg === ModelRegistry.DISCOVERY_FAILED && entry.provider) {
        failures.set(entry.provider, entry.error ?? "failed");
      } else if (entry.msg === ModelRegistry.FELL_BACK && entry.provider) {
        failures.set(entry.provider, `${entry.error ?? "failed"} (serving its own list)`);
      } else if (showsWarnings || entry.level === "error") {
        io.err(`${line}\n`);
      }
    },
  });
  try {
    // Every first discovery, not start-up's wait: one with no answer is told unreachable once its own time-out fires.
    await gateway.registry.discovered;
    const models = gateway.registry.list();
    for (const { provider } of gateway.instances) {
      const own = models.filter((m) => m.owned_by === provider.name);
      const failure = failures.get(provider.name);
      const status = failure ? `unreachable: ${failure}` : `${own.length} model${own.length === 1 ? "" : "s"}`;
      io.out(`${provider.name} (${status})\n`);
      if (own.length > 0) {
        io.out(columns(own.map((m) => [m.id, typeof m.context_length === "number" ? `context ${m.context_length}` : ""])));
      }
    }
    return failures.size > 0 ? 1 : 0;
  } finally {
    await gateway.shutdown();
  }
}
