import type { EnvSource } from "../env.ts";
import { importPluginAt } from "../plugin-loader.ts";
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
  const message = error instanceof Error ? error.message : String(error);
  if (/ is not a plugin: | has no default export$/.test(message)) return new UsageError(message);
  const at = (error as { position?: { file?: string; line?: number; column?: number } } | null)?.position;
  const where = at?.file ? `${at.file}${at.line ? `:${at.line}${at.column ? `:${at.column}` : ""}` : ""}` : dir;
  return new PluginLoadError(`the plugin at ${where} could not be loaded: ${message}`);
}

/** A plugin that failed to load: `ollaix plugin test` fails (exit 1) with this one line. */
export class PluginLoadError extends Error {
  override name = "PluginLoadError";
}

export async function testPlugin(options: PluginTestOptions, io: Output): Promise<number> {
  // Loaded on demand: the checks bring ajv and OpenAI's schemas, which serving never needs.
  const { CONFORMANCE_CHECKS, startConformance } = await import("../testing/conformance-checks.ts");
  const { definition, source } = await importPluginAt(options.dir).catch((error: unknown) => {
    throw loadFailure(options.dir, error);
  });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env)) if (value !== undefined) env[name] = value;
  // The gateway under test listens on a free loopback port, whatever PORT/HOST say.
  delete env.PORT;
  delete env.HOST;

  io.out(`Plugin conformance: ${source}\n`);
  // A plugin that makes no instance here (its variables unset), or whose instance lists no model: one line, no stack.
  const session = await startConformance({ plugin: definition, model: options.model, embeddingModel: options.embeddingModel, env }).catch((error: unknown) => {
    if (error instanceof Error && error.name === "ConformanceFailure") throw new PluginLoadError(`the plugin at ${options.dir} cannot be tested: ${error.message}`);
    throw error;
  });
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
