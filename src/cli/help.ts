import type { EnvVariable } from "./environment.ts";

/** `ollaix --help`: commands, flags, then every environment variable with its default. */
export function usageText(version: string, variables: readonly EnvVariable[]): string {
  const width = Math.max(...variables.map((v) => v.name.length));
  const rows = variables.map((v) => {
    const origin = v.origin === undefined ? "" : ` [${v.origin}]`;
    return `  ${v.name.padEnd(width)}  ${v.meaning} (default: ${v.defaultValue})${origin}`;
  });
  return `Ollaix ${version}: an OpenAI-compatible LLM gateway.

Usage:
  ollaix [serve] [--port N] [--host ADDR] [--config FILE]
                                 serve on HOST:PORT (the default command)
  ollaix check-config [FILE]     validate the environment and the config file (FILE or OLLAIX_CONFIG),
                                 print the provider instances; exit 0 when valid, 1 when a plugin
                                 or instance is skipped (serving starts without it), 2 when not valid
  ollaix models                  start the plugins, ask each provider for its models once, print them
  ollaix plugin test DIR [--model ID] [--embedding-model ID]
                                 run the plugin conformance checks against the plugin in DIR
                                 (a folder with index.ts, or one file); its variables come from the environment
  ollaix --healthcheck           exit 0 when the gateway on HOST:PORT answers /health as healthy, else 1
  ollaix --version, -v           print the version
  ollaix --help, -h, help        print this help

Flags set what the environment sets and win over it: --port (PORT), --host (HOST),
--config (OLLAIX_CONFIG). A .env file in the working folder is read too.

Environment:
${rows.join("\n")}

The OLLAIX_CONFIG file (JSON or YAML: keys, limits, routes, cooldowns, per-plugin settings,
OpenAI-compatible upstreams) is described in README.md, sections "The OLLAIX_CONFIG file" and
"Keys, limits and routes"; plugins in docs/plugins.md.
The API reference is served at http://HOST:PORT/docs while Ollaix runs.
`;
}
