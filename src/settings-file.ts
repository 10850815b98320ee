import { Kind, type TObject, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { stat } from "node:fs/promises";
import { ConfigError } from "./env.ts";
import { repeatedJsonKeys, repeatedYamlKeys } from "./settings-repeated-keys.ts";
import { settingsSchema, type SettingsFile } from "./settings-schema.ts";

export type { SettingsFile } from "./settings-schema.ts";

/** The file as parsed, not yet checked (the plugin names it may use are known after loading them). */
export interface RawSettings {
  path?: string;
  data: unknown;
}

/** Reads and parses the file; a syntax error names the line and column. */
export async function readSettingsFile(path: string | undefined): Promise<RawSettings> {
  if (!path) return { data: undefined };
  const file = Bun.file(path);
  if (!(await file.exists())) {
    const isFolder = await stat(path).then((info) => info.isDirectory(), () => false);
    throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(path)}: ${isFolder ? "a folder, not a file" : "file not found"}`);
  }
  const text = await file.text();
  const isYaml = /\.ya?ml$/i.test(path);
  let data: unknown;
  try {
    data = isYaml ? Bun.YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    const where = isYaml ? locateYamlError(text) : locateJsonError(text, (error as Error).message);
    const at = where ? ` at line ${where.line}, column ${where.column}` : "";
    throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(path)}: cannot parse${at}: ${(error as Error).message}`);
  }
  // A mapping's keys are unique, but both parsers keep the last of two, at any depth: a second
  // `keys` would silently replace the first (`keys: []` further down leaves the gateway open), a
  // second `models` under a key would widen what it may use.
  const repeated = isYaml ? await repeatedYamlKeys(text) : repeatedJsonKeys(text);
  if (repeated.length > 0) {
    const each = repeated.map((r) => `'${toDotted(r.segments)}' at line ${r.line} is given already at line ${r.first}`);
    throw new ConfigError(`OLLAIX_CONFIG=${JSON.stringify(path)}: ${each.join("; ")}; a key appears once in a mapping`);
  }
  return { path, data };
}

/** The file checked: its problems, and which of its parts can be read all the same. */
export interface SettingsCheck {
  /** The file as written: of the schema's shape wherever `passed` says so (everywhere without problems). */
  settings: SettingsFile;
  /** Each as `path: what`, without the file's `OLLAIX_CONFIG=…:` prefix. */
  problems: string[];
  /** Whether nothing at, above or below `path` (`keys[0]`, `plugins.ollama`) has a problem. */
  passed(path: string): boolean;
}

/**
 * Checks the whole file against the one schema. Every problem is named by its path
 * (`keys[0].rpm`, `plugins.openai_compatible`) with a hint for a misspelt name. The rules beyond
 * the schema (a key's one source, one route per id) run on every key and route of the schema's
 * shape whatever is wrong elsewhere, and the caller goes on with the parts that passed (each
 * plugin's section, each key), so that one run names every problem.
 */
export function checkSettings(raw: RawSettings, pluginNames: readonly string[], pluginSchemas: Readonly<Record<string, TObject>> = {}): SettingsCheck {
  const problems: string[] = [];
  const paths: string[] = [];
  const add = (path: string, what: string) => {
    paths.push(path);
    problems.push(`${path}: ${what}`);
  };
  /** `inner` is `outer` or lies within it. */
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  const data = withOwnPluginNames(raw.data);
  const check = (): SettingsCheck => ({
    settings: (data ?? {}) as SettingsFile,
    problems,
    passed: (path) => !paths.some((p) => p === "(top level)" || within(p, path) || within(path, p)),
  });
  if (data == null) return check();

  const schema = settingsSchema(pluginNames, withoutDisabled(data, pluginSchemas));
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, data)) {
    if (seen.has(error.path)) continue; // TypeBox reports a missing field twice (required, then type)
    seen.add(error.path);
    const segments = error.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const path = toDotted(segments) || "(top level)";
    if (error.message === "Unexpected property") {
      const allowed = Object.keys(propertiesAt(schema, segments.slice(0, -1)));
      const hint = closest(segments.at(-1) ?? "", allowed);
      const known = allowed.filter((name) => name !== "$schema").join(", ");
      add(path, `unknown ${segments.length === 2 && segments[0] === "plugins" ? "plugin" : "field"}` +
        `${hint ? ` (did you mean '${hint}'?)` : ""}; expected one of: ${known}`);
    } else if (error.message === "Expected required property") {
      add(path, "is required");
    } else {
      add(path, error.message.replace(/^Expected/, "expected"));
    }
  }
  // The rules below read only values of the schema's shape (a `keys` mapping, `keys: [~]` or a
  // top-level list would crash them); whatever else is wrong, they run on those.
  const top = isRecord(data) ? data : {};
  const keys = Array.isArray(top.keys) ? (top.keys as unknown[]) : [];
  keys.forEach((key, i) => {
    if (!isRecord(key)) return;
    if ((key.key_env === undefined) === (key.key_sha256 === undefined)) add(`keys[${i}]`, "set exactly one of key_env and key_sha256");
  });
  // A second route of an id would never be used (the first wins): a mistake, named.
  const routeAt = new Map<string, number>();
  (Array.isArray(top.routes) ? (top.routes as unknown[]) : []).forEach((route, i) => {
    if (!isRecord(route) || typeof route.model !== "string") return;
    const first = routeAt.get(route.model);
    if (first !== undefined) add(`routes[${i}].model`, `'${route.model}' is routes[${first}]'s too; each route needs its own id`);
    else routeAt.set(route.model, i);
  });
  return check();
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The file with its `plugins` mapping copied into an object without a prototype. Its keys are
 * plugin names, which a plugin picks (`toString`, `constructor` are valid ones): on a plain object
 * the schema's check and the loader's `plugins[name]` would find Object.prototype's members there
 * (`plugins.toString: expected object` for a file that never named it).
 */
function withOwnPluginNames(data: unknown): unknown {
  if (!isRecord(data) || !isRecord(data.plugins)) return data;
  return { ...data, plugins: Object.assign(Object.create(null) as Record<string, unknown>, data.plugins) };
}

/**
 * The plugins' own schemas but those of plugins the file turns off (`enabled: false`): their
 * sections are kept as written, unchecked, until they are turned on, so an operator can turn a
 * plugin off without filling in its required settings. `enabled` itself is still checked.
 */
function withoutDisabled(data: unknown, pluginSchemas: Readonly<Record<string, TObject>>): Record<string, TObject> {
  const checked = { ...pluginSchemas };
  const plugins = (data as { plugins?: unknown } | null)?.plugins;
  if (typeof plugins !== "object" || plugins === null) return checked;
  for (const [name, section] of Object.entries(plugins)) {
    if ((section as { enabled?: unknown } | null)?.enabled === false) delete checked[name];
  }
  return checked;
}

/** `["keys","0","rpm"]` → `keys[0].rpm`. */
export function toDotted(segments: readonly string[]): string {
  let out = "";
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

function propertiesAt(schema: TSchema, segments: readonly string[]): Record<string, TSchema> {
  let at: TSchema | undefined = schema;
  for (const s of segments) {
    if (!at) return {};
    if (at[Kind] === "Array") at = at.items as TSchema;
    else at = (at.properties as Record<string, TSchema> | undefined)?.[s];
  }
  return (at?.properties as Record<string, TSchema> | undefined) ?? {};
}

/** The allowed name nearest to a misspelt one (edit distance ≤ 3, `_` and `-` alike), if any. */
export function closest(name: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of allowed) {
    const d = norm(candidate) === norm(name) ? 0 : distance(norm(name), norm(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

const isEof = (text: string): boolean => {
  try {
    Bun.YAML.parse(text);
    return false;
  } catch (error) {
    return /EOF/i.test((error as Error).message);
  }
};
const fails = (text: string): boolean => {
  try {
    Bun.YAML.parse(text);
    return false;
  } catch {
    return true;
  }
};

/**
 * Bun's YAML parser says what went wrong but not where: the first prefix of the file that fails
 * for a reason other than ending early holds the error (only run when the file did not parse).
 */
export function locateYamlError(text: string): { line: number; column: number } | undefined {
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    const head = lines.slice(0, n - 1).join("\n") + (n > 1 ? "\n" : "");
    if (!fails(head + lines[n - 1]) || isEof(head + lines[n - 1])) continue;
    const line = lines[n - 1]!;
    for (let c = 1; c <= line.length; c++) {
      if (fails(head + line.slice(0, c)) && !isEof(head + line.slice(0, c))) return { line: n, column: c };
    }
    return { line: n, column: 1 };
  }
  // Only ever "ended early" (an unclosed quote or bracket): point at where it began to fail for good.
  let start = lines.length;
  while (start > 1 && fails(lines.slice(0, start - 1).join("\n"))) start--;
  return { line: start, column: 1 };
}

/**
 * Bun's JSON.parse gives no position either: walking back from the end, the prefixes keep failing
 * with the file's own message down to the character that caused it (files are small; only run
 * when the file did not parse).
 */
function locateJsonError(text: string, message: string): { line: number; column: number } | undefined {
  if (text.length > 200_000) return undefined;
  const failsAlike = (end: number): boolean => {
    try {
      JSON.parse(text.slice(0, end));
      return false;
    } catch (error) {
      return (error as Error).message === message;
    }
  };
  let end = text.length;
  while (end > 1 && failsAlike(end - 1)) end--;
  const before = text.slice(0, end - 1);
  return { line: before.split("\n").length, column: end - 1 - before.lastIndexOf("\n") };
}
