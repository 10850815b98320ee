import type { TObject } from "@sinclair/typebox";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isConfigError, problemsOf, type ConfigProblems } from "./config-problems.ts";
import * as kit from "./kit.ts";
import type { Config } from "./config.ts";
import { within } from "./deadline.ts";
import { ConfigError, readEnv, type EnvSource } from "./env.ts";
import type { Logger, SecretList } from "./logger.ts";
import { isPluginFactory, type PluginDefinition, type Provider } from "./plugin.ts";
import type { ModelRegistry } from "./registry.ts";
import { checkSettings, type RawSettings, type SettingsCheck } from "./settings-file.ts";

let kitRegistered = false;

/**
 * Makes `import … from "ollaix/plugin"` resolve to this process's own kit, for plugins loaded from
 * PLUGINS_DIR. A compiled binary finds an external plugin's npm packages by their folder's index.js
 * only (it reads no package.json), so external plugins import nothing but the kit and their own
 * relative files, or ship bundled (docs/plugins.md, "Ship it").
 */
export function registerKitModule(): void {
  if (kitRegistered) return;
  kitRegistered = true;
  Bun.plugin({
    name: "ollaix-kit",
    setup(build) {
      build.module("ollaix/plugin", () => ({ exports: { ...kit }, loader: "object" }));
    },
  });
}

export interface LoadOptions {
  builtins: readonly PluginDefinition[];
  pluginsDir?: string;
  env: EnvSource;
  config: Readonly<Config>;
  /** The OLLAIX_CONFIG file as parsed; checked here, once every plugin's name is known. */
  settings: RawSettings;
  logger: Logger;
  secrets: SecretList;
  registry: ModelRegistry;
}

/**
 * Built-ins first, then PLUGINS_DIR (files and folders in name order). The settings file is checked
 * as a whole once the plugin names are known (a misspelt plugin section stops start-up); a plugin
 * whose section says `enabled: false` is not started. A plugin's bad environment value or section
 * stops start-up (ConfigError, like the core's); a plugin that fails to import, to read its env
 * schema, to build or to describe itself, one whose import or create() outlives
 * PLUGIN_START_TIMEOUT_MS, or a PLUGINS_DIR instance named as one already loaded, is logged and
 * skipped, and the gateway serves the others. The file's problems and the plugins' are not thrown
 * here but added to `problems`, with the later stages' (the keys): each plugin whose own section
 * passed is started whatever is wrong elsewhere, so that one run names them all. Returns the
 * checked file.
 */
export async function loadPlugins(o: LoadOptions, problems: ConfigProblems): Promise<{ instances: LoadedInstance[]; settings: SettingsCheck }> {
  const external = o.pluginsDir ? await importPluginsDir(o.pluginsDir, o.logger, o.config.pluginStartTimeoutMs) : [];
  const all = [...o.builtins.map((definition) => ({ definition, source: "built-in" })), ...external];
  const names = all.map(({ definition }) => (definition as { name?: unknown }).name).filter((n): n is string => typeof n === "string");
  const schemas: Record<string, TObject> = {};
  for (const { definition } of all) {
    const own = (definition as { settingsSchema?: TObject; name?: string }).settingsSchema;
    if (own && typeof (definition as { name?: unknown }).name === "string") schemas[(definition as { name: string }).name] = own;
  }
  const checked = checkSettings(o.settings, names, schemas);
  problems.inFile(checked.problems);
  const loaded: LoadedInstance[] = [];
  // Every plugin starts at once (a slow or stuck create() delays start-up by its own time, not the
  // sum of all); their providers are registered in the plugins' order, whatever order they finish in.
  const starting = all.map(({ definition, source }) => {
    const name = (definition as { name?: string }).name ?? "";
    // A section the check refused is reported already; the plugin would read it wrong.
    if (!checked.passed(`plugins.${name}`)) return undefined;
    const section = checked.settings.plugins?.[name];
    if (section?.enabled === false) {
      o.logger.info("plugin disabled by the settings file", { plugin: definition.name, source });
      return undefined;
    }
    const made = instantiate(definition, source, o, section).then(
      (providers) => ({ providers }),
      (error: unknown) => ({ error }),
    );
    return { definition, source, name, made };
  });
  for (const start of starting) {
    if (start === undefined) continue;
    const { definition, source, name } = start;
    const made = await start.made;
    if ("error" in made) {
      if (!isConfigError(made.error)) throw made.error;
      problems.ofPlugin(name, made.error);
      continue;
    }
    const providers = made.providers;
    for (const provider of providers) {
      // A name taken stops start-up when the configuration chose it (two upstreams of one name, in
      // registry.add); a plugin from PLUGINS_DIR chose its own, so it fails as any plugin does: logged and skipped.
      const holder = source === "built-in" ? undefined : loaded.find((l) => l.provider.name === provider.name);
      if (holder) {
        o.logger.error("provider skipped: its instance name is taken", { provider: provider.name, source, taken_by: holder.plugin });
        continue;
      }
      try {
        if (!o.registry.add(provider)) continue;
      } catch (error) {
        if (!isConfigError(error)) throw error;
        problems.outsideFile(problemsOf(error));
        continue;
      }
      o.logger.info("provider ready", { provider: provider.name, source });
      loaded.push({ provider, plugin: String((definition as { name?: unknown }).name ?? provider.name), source });
    }
  }
  return { instances: loaded, settings: checked };
}

/** One provider instance the loader registered, with the plugin that made it (for `check-config`). */
export interface LoadedInstance {
  provider: Provider;
  plugin: string;
  /** `built-in`, or the file it was loaded from. */
  source: string;
}

async function instantiate(
  definition: PluginDefinition,
  source: string,
  o: LoadOptions,
  section: Record<string, unknown> | undefined,
): Promise<Provider[]> {
  const name = (definition as { name?: unknown }).name;
  const log = o.logger.child({ plugin: typeof name === "string" ? name : "(unnamed)", source });
  if (!isPluginFactory(definition)) {
    const problem = providerProblem(definition);
    if (problem) {
      log.error(`plugin skipped: ${problem}`);
      return [];
    }
    return [definition];
  }
  let env: unknown;
  try {
    env = definition.env ? readEnv(definition.env, o.env, Array.isArray(definition.secretEnv) ? definition.secretEnv : []) : {};
  } catch (error) {
    // A bad value is the operator's (a ConfigError naming the variable); a schema TypeBox cannot
    // check (`properties: { X: 5 }`: "Unknown type") is the plugin's own bug: skipped like one.
    if (isConfigError(error)) throw error;
    log.error("plugin skipped: its env schema is invalid", { error: error instanceof Error ? error.message : String(error) });
    return [];
  }
  const secretEnv: unknown = definition.secretEnv;
  // Not a list of names (an untyped plugin's `secretEnv: "KEY"`): its secrets could not be masked, so it is not started.
  if (secretEnv !== undefined && !(Array.isArray(secretEnv) && secretEnv.every((name) => typeof name === "string"))) {
    log.error("plugin skipped: its secretEnv is not a list of variable names");
    return [];
  }
  if (definition.env && secretEnv !== undefined) {
    for (const key of secretEnv as readonly string[]) o.secrets.add(o.env[key]);
  }
  const ms = o.config.pluginStartTimeoutMs;
  try {
    // A create() that never settles would hold start-up for good (or, nothing else being alive, end
    // the process with exit 0 before it listens): skipped at the deadline, whatever it does after.
    const starting = new Promise<Awaited<ReturnType<typeof definition.create>>>((resolve) =>
      resolve(
        definition.create({
          env,
          settings: withoutToggle(section),
          logger: o.logger.child({ plugin: definition.name }),
          fetch,
          addSecret: (value) => o.secrets.add(value),
          readSecretEnv(name) {
            const value = o.env[name];
            o.secrets.add(value);
            return value === "" ? undefined : value;
          },
        }),
      ),
    );
    const made = await within(starting, ms, () => new StartTimeout(`its create() did not finish within ${ms} ms (PLUGIN_START_TIMEOUT_MS)`), { holdsProcess: true });
    const list = made === undefined ? [] : Array.isArray(made) ? made : [made];
    return list.filter((provider) => {
      const problem = providerProblem(provider);
      if (problem) log.error(`provider skipped: ${problem}`);
      return !problem;
    });
  } catch (error) {
    if (isConfigError(error)) throw error;
    if (error instanceof StartTimeout) log.error(`plugin skipped: ${error.message}`);
    else log.error("plugin skipped: it failed to start", { error });
    return [];
  }
}

/** A plugin's import or create() that outlived PLUGIN_START_TIMEOUT_MS: its message is the whole reason. */
class StartTimeout extends Error {
  override name = "StartTimeout";
}

/**
 * A plugin module's import, at most `ms`: a module whose top level never settles (an `await` of
 * something that never comes) is a failure to load, not a start-up that waits, or ends, for ever.
 */
async function importWithin(entry: string, ms: number): Promise<{ default?: unknown }> {
  const loading = import(pathToFileURL(entry).href) as Promise<{ default?: unknown }>;
  return within(loading, ms, () => new StartTimeout(`its module did not finish loading within ${ms} ms (PLUGIN_START_TIMEOUT_MS)`), { holdsProcess: true });
}

/** The plugin's own settings: its section without the core's `enabled` switch. */
function withoutToggle(section: Record<string, unknown> | undefined): unknown {
  if (section === undefined || !("enabled" in section)) return section;
  const { enabled: _enabled, ...own } = section;
  return Object.keys(own).length === 0 ? undefined : own;
}

/** Why a value is not a usable provider, or undefined. */
function providerProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "not an object";
  const p = value as Partial<Provider>;
  if (typeof p.name !== "string" || p.name === "") return "no name";
  if (typeof p.chat !== "function") return "no chat() function";
  if (typeof p.chatStream !== "function") return "no chatStream() function";
  if (!Array.isArray(p.models) && typeof p.models !== "function") return "no models (a list or a function)";
  return undefined;
}

async function importPluginsDir(dir: string, logger: Logger, timeoutMs: number): Promise<{ definition: PluginDefinition; source: string }[]> {
  registerKitModule();
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).sort();
  } catch (error) {
    throw new ConfigError(`PLUGINS_DIR=${JSON.stringify(dir)} cannot be read: ${(error as Error).message}`);
  }
  // Imported all at once (a module that never finishes loading costs its own deadline, not each one
  // after it), kept in name order.
  const imported = await Promise.all(
    names.filter((name) => !name.startsWith(".") && name !== "node_modules").map((name) => importOne(join(root, name), logger, timeoutMs)),
  );
  return imported.filter((plugin) => plugin !== undefined);
}

/** One entry of PLUGINS_DIR, or undefined when it is no plugin or is skipped (logged). */
async function importOne(path: string, logger: Logger, timeoutMs: number): Promise<{ definition: PluginDefinition; source: string } | undefined> {
  const entry = await entryOf(path);
  if (!entry) return undefined;
  try {
    const module = await importWithin(entry, timeoutMs);
    if (module.default === undefined) throw new Error("the module has no default export");
    return { definition: module.default as PluginDefinition, source: entry };
  } catch (error) {
    if (error instanceof StartTimeout) {
      logger.error(`plugin skipped: ${error.message}`, { source: entry });
      return undefined;
    }
    const failure = describeImportFailure(error);
    // Bun's own "2 errors building …" says neither what nor where: the first message, with its place.
    logger.error("plugin skipped: it failed to load", failure.where ? { source: entry, at: failure.where, error: failure.message } : { source: entry, error });
    return undefined;
  }
}

/**
 * One plugin (a file, or a folder with an index) as PLUGINS_DIR would load it, kit included, within
 * `timeoutMs`: for `ollaix plugin test DIR`. Throws when it has no entry file or no default export,
 * or does not load in time.
 */
export async function importPluginAt(path: string, timeoutMs: number): Promise<{ definition: PluginDefinition; source: string }> {
  registerKitModule();
  const entry = await entryOf(resolve(path));
  if (!entry) throw new Error(`${path} is not a plugin: a .ts/.js/.mjs file, or a folder with index.ts, index.js or index.mjs`);
  const module = await importWithin(entry, timeoutMs);
  if (module.default === undefined) throw new Error(`${entry} has no default export`);
  return { definition: module.default as PluginDefinition, source: entry };
}

/** A plugin is a `.ts`/`.js`/`.mjs` file, or a folder with `index.ts`/`index.js`/`index.mjs`. */
async function entryOf(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  if (info.isFile()) return /\.(?:ts|js|mjs)$/.test(path) && !/\.(?:test|d)\.ts$/.test(path) ? path : undefined;
  if (!info.isDirectory()) return undefined;
  for (const index of ["index.ts", "index.js", "index.mjs"]) {
    const candidate = join(path, index);
    if (await Bun.file(candidate).exists()) return candidate;
  }
  return undefined;
}

/**
 * Why a plugin could not be imported, and where (`file:line:column`) when Bun says: a syntax error
 * is a BuildMessage with a `position`; several are an AggregateError ("2 errors building …") whose
 * `errors` hold them, the first being the cause (the next ones often follow from it).
 */
export function describeImportFailure(error: unknown): { message: string; where?: string } {
  const errors = (error as { errors?: unknown } | null)?.errors;
  const first = Array.isArray(errors) && errors.length > 0 ? errors[0] : error;
  const text = (first as { message?: unknown } | null)?.message;
  const message = typeof text === "string" ? text : String(first);
  const at = (first as { position?: { file?: string; line?: number; column?: number } } | null)?.position;
  if (!at?.file) return { message };
  return { message, where: `${at.file}${at.line ? `:${at.line}${at.column ? `:${at.column}` : ""}` : ""}` };
}
