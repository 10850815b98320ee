import type { TSchema } from "@sinclair/typebox";
import { CoreEnv } from "../config.ts";
import { OTEL_VARIABLES } from "../observe/otel-config.ts";
import { isPluginFactory, type PluginDefinition } from "../plugin.ts";

/** One environment variable as `--help` lists it. */
export interface EnvVariable {
  name: string;
  /** The default as text, or `unset`. */
  defaultValue: string;
  meaning: string;
  /**
   * Who defines it, when not Ollaix's core: `openai-compatible plugin` (the plugin that reads it),
   * or `OpenTelemetry standard` (the specification's own variables, read by the core's tracing).
   */
  origin?: string;
}

/** `title` says what a variable is for; `description` (what it expects) is the fallback. */
function describe(name: string, schema: TSchema, origin?: string): EnvVariable {
  const { default: fallback, title, description } = schema as { default?: unknown; title?: string; description?: string };
  return {
    name,
    defaultValue: fallback === undefined ? "unset" : String(fallback),
    meaning: title ?? description ?? "",
    ...(origin === undefined ? {} : { origin }),
  };
}

/**
 * Every variable Ollaix reads, from the schemas that validate them (the core's, then each
 * plugin's): the help text cannot drift from what start-up accepts.
 */
export function listEnvironment(plugins: readonly PluginDefinition[]): EnvVariable[] {
  const out = Object.entries(CoreEnv.properties).map(([name, schema]) => describe(name, schema));
  for (const plugin of plugins) {
    if (!isPluginFactory(plugin) || !plugin.env) continue;
    for (const [name, schema] of Object.entries(plugin.env.properties)) out.push(describe(name, schema as TSchema, `${plugin.name} plugin`));
  }
  // Not a plugin: the core reads them for its tracing, as the OpenTelemetry specification names them.
  for (const variable of OTEL_VARIABLES) out.push({ ...variable, origin: "OpenTelemetry standard" });
  return out;
}
