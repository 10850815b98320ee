import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Type } from "@sinclair/typebox";
import { CoreEnv } from "../config.ts";
import { readEnv, type EnvSource } from "../env.ts";
import { OTEL_VARIABLES } from "../observe/otel-config.ts";
import { describeImportFailure, importPluginAt } from "../plugin-loader.ts";
import { readSettingsFile } from "../settings-file.ts";
import { UsageError } from "./args.ts";
import type { Output } from "./output.ts";

export interface PluginTestOptions {
  dir: string;
  /** The model to chat with; the first the plugin lists by default. */
  model?: string;
  embeddingModel?: string;
  env: EnvSource;
}

/**
 * `ollaix plugin test DIR`: the conformance checks of `ollaix/plugin/testing`, run against a plugin
 * folder anywhere, without a test runner (so the compiled binary can do it). The plugin reads its
 * variables from the environment, as under PLUGINS_DIR. Exit 0 when every check passes, else 1.
 */
/**
 * A plugin that cannot be loaded, in one line: a path that is no plugin is bad usage (exit 2); a
 * plugin that fails to load (a syntax error: Bun says where) fails the test (exit 1). No stack trace.
 */
function loadFailure(dir: string, error: unknown): Error {
  const { message, where } = describeImportFailure(error);
  if (/ is not a plugin: | has no default export$/.test(message)) return new UsageError(message);
  return new PluginLoadError(`the plugin at ${where ?? dir} could not be loaded: ${message}`);
}

/** A plugin that failed to load: `ollaix plugin test` fails (exit 1) with this one line. */
export class PluginLoadError extends Error {
  override name = "PluginLoadError";
}

/**
 * The core's variables that hold the plugin under test as they hold it when served: how long it
 * may take to load and to start. Checked here as start-up checks them (a bad value is exit 2).
 */
const PLUGIN_LIMITS = Type.Object({ PLUGIN_START_TIMEOUT_MS: CoreEnv.properties.PLUGIN_START_TIMEOUT_MS });

/** The gateway's own variables (`ollaix --help` lists them as the core's and OpenTelemetry's), but those that hold the plugin. */
const GATEWAY_VARIABLES = new Set(
  [...Object.keys(CoreEnv.properties), ...OTEL_VARIABLES.map((v) => v.name)].filter((name) => !(name in PLUGIN_LIMITS.properties)),
);

/**
 * What the gateway under test sees: the environment without the gateway's own settings (keys, the
 * admin key, Redis, the listen address, tracing…), which are no part of the plugin and would fail
 * or slow its checks (a key set in a .env makes every check a 401), so the checks run on the core's
 * defaults. The plugin keeps its variables, and its own section of the OLLAIX_CONFIG file (copied
 * alone into a file of its own, removed once the gateway has read it; the rest of the file, keys
 * and routes, is the gateway's).
 */
async function pluginEnvironment(from: EnvSource, pluginName: unknown): Promise<{ env: Record<string, string>; settingsFile?: string }> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(from)) if (value !== undefined && !GATEWAY_VARIABLES.has(name)) env[name] = value;
  const settings = await readSettingsFile(from.OLLAIX_CONFIG || undefined);
  if (typeof pluginName !== "string") return { env };
  // Parsed, not checked: the gateway under test checks the copied section as start-up does.
  const plugins = (settings.data as { plugins?: Record<string, unknown> } | undefined)?.plugins;
  // Own sections only: a plugin named `toString` has none in a file that does not name it.
  const section = plugins && typeof plugins === "object" && Object.hasOwn(plugins, pluginName) ? plugins[pluginName] : undefined;
  if (section === undefined) return { env };
  const settingsFile = join(await mkdtemp(join(tmpdir(), "ollaix-plugin-test-")), "ollaix.json");
  await Bun.write(settingsFile, JSON.stringify({ plugins: { [pluginName]: section } }));
  env.OLLAIX_CONFIG = settingsFile;
  return { env, settingsFile };
}

export async function testPlugin(options: PluginTestOptions, io: Output): Promise<number> {
  // Loaded on demand: the checks bring ajv and OpenAI's schemas, which serving never needs.
  const { CONFORMANCE_CHECKS, startConformance } = await import("../testing/conformance-checks.ts");
  const { PLUGIN_START_TIMEOUT_MS } = readEnv(PLUGIN_LIMITS, options.env);
  const { definition, source } = await importPluginAt(options.dir, PLUGIN_START_TIMEOUT_MS).catch((error: unknown) => {
    throw loadFailure(options.dir, error);
  });
  const { env, settingsFile } = await pluginEnvironment(options.env, (definition as { name?: unknown }).name);

  io.out(`Plugin conformance: ${source}\n`);
  // A plugin that makes no instance here (its variables unset), or whose instance lists no model: one line, no stack.
  const session = await startConformance({ plugin: definition, model: options.model, embeddingModel: options.embeddingModel, env })
    .catch((error: unknown) => {
      if (error instanceof Error && error.name === "ConformanceFailure") throw new PluginLoadError(`the plugin at ${options.dir} cannot be tested: ${error.message}`);
      throw error;
    })
    .finally(() => settingsFile && rm(dirname(settingsFile), { recursive: true, force: true }));
  let failed = 0;
  try {
    io.out(`instance ${session.instance}, model ${session.options.model}\n`);
    for (const check of CONFORMANCE_CHECKS) {
      try {
        await check.run(session);
        io.out(`  ok    ${check.name}\n`);
      } catch (error) {
        failed++;
        const message = error instanceof Error ? error.message : String(error);
        io.out(`  FAIL  ${check.name}\n${message.replace(/^/gm, "        ")}\n`);
      }
    }
  } finally {
    await session.close();
  }
  const total = CONFORMANCE_CHECKS.length;
  io.out(failed === 0 ? `${total} of ${total} checks passed.\n` : `${failed} of ${total} checks failed.\n`);
  return failed === 0 ? 0 : 1;
}
