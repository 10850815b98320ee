import type { EnvSource } from "../env.ts";
import { createGateway } from "../server.ts";
import { columns, withoutCredentials, type Output } from "./output.ts";

/**
 * `ollaix check-config [FILE]`: everything start-up validates (environment, the OLLAIX_CONFIG
 * file, every plugin's settings), without listening or asking any upstream. Prints the provider
 * instances; a ConfigError reaches the caller (exit 2); a plugin or instance start-up skipped
 * (it failed to load or start) is exit 1.
 */
/** Every key counts, the config file's as well as OLLAIX_API_KEYS': with any, every model call needs one. */
function keysLine(all: number, fromEnv: number): string {
  if (all === 0) return "none (the model routes, /v1/* and /api/*, are open)";
  const named = all - fromEnv;
  const from = [named > 0 ? `${named} in the config file` : "", fromEnv > 0 ? `${fromEnv} in OLLAIX_API_KEYS` : ""].filter(Boolean).join(", ");
  return `${all} configured (${from}); every model call needs one`;
}

/** A start-up log line saying a plugin or provider instance was skipped (it failed to load or start, its name was taken…). */
const SKIPPED = /^\{"time":"[^"]*","level":"error","msg":"(?:plugin|provider) skipped/;

export async function checkConfig(env: EnvSource, io: Output): Promise<number> {
  let skipped = 0;
  const gateway = await createGateway({
    env,
    discover: false,
    write: (line) => {
      if (SKIPPED.test(line)) skipped++;
      io.err(`${line}\n`);
    },
  });
  try {
    const { config, instances } = gateway;
    io.out(`Configuration is valid.\n`);
    io.out(`  listen: ${config.host}:${config.port}${config.reusePort ? " (REUSE_PORT: shared with other processes)" : ""}\n`);
    io.out(`  config file: ${config.configFile ?? "none (OLLAIX_CONFIG unset)"}\n`);
    io.out(`  plugins folder: ${config.pluginsDir ?? "none (PLUGINS_DIR unset)"}\n`);
    io.out(`  API keys: ${keysLine(gateway.keys.records.length, config.apiKeys.length)}\n`);

    io.out(`\nProvider instances (${instances.length}):\n`);
    io.out(
      columns([
        ["name", "plugin", "models", "upstream", "source"],
        ...instances.map(({ provider, plugin, source }) => [
          provider.name,
          plugin,
          Array.isArray(provider.models) ? `${provider.models.length} listed` : "discovered",
          provider.origin ? withoutCredentials(provider.origin) : "-",
          source,
        ]),
      ]),
    );
    const upstreams = instances.filter((i) => i.plugin === "openai-compatible");
    io.out(`\nOpenAI-compatible instances (${upstreams.length}):\n`);
    if (upstreams.length === 0) io.out("  none (set OPENAI_BASE_URL, or plugins.openai-compatible.upstreams in the config file)\n");
    else io.out(columns(upstreams.map(({ provider }) => [provider.name, provider.origin ? withoutCredentials(provider.origin) : "-"])));
    // Serving skips them and starts without them: valid, but not what was configured (exit 1).
    if (skipped > 0) {
      io.out(`\nSkipped: ${skipped} plugin${skipped === 1 ? "" : "s"} or instance${skipped === 1 ? "" : "s"} (the reasons are on stderr); serving starts without ${skipped === 1 ? "it" : "them"}.\n`);
      return 1;
    }
    return 0;
  } finally {
    await gateway.shutdown();
  }
}
