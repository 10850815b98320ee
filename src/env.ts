import type { Static, TObject } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** Start-up configuration that cannot be used. The message names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /**
   * Each problem on its own (the message joins them with "; "): start-up gathers those of every
   * stage into one error, and files a plugin's under the config file when they name its section.
   */
  readonly problems: readonly string[];

  constructor(message: string, options: { problems?: readonly string[] } = {}) {
    super(message);
    this.problems = options.problems ?? [message];
  }
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Reads the variables a TypeBox object schema names from `env`: empty strings count as unset,
 * defaults are applied, strings are converted to the schema's types, and anything that still does
 * not fit throws a ConfigError naming the variable and what it expected.
 */
/** A variable whose value is a credential by its name (`*_KEY`, `*_TOKEN`, `*SECRET*`, `*PASSWORD*`, a URL that may hold one). */
const CREDENTIAL_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|REDIS_URL/i;

/**
 * `secrets`: variables whose value is never repeated in an error (a plugin's `secretEnv`); a
 * credential by its name (CREDENTIAL_NAME) never is either. Start-up prints the error before any
 * secret is registered for masking.
 */
export function readEnv<S extends TObject>(schema: S, env: EnvSource, secrets: readonly string[] = []): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value === undefined || value.trim() === "") continue;
    // Text keeps its spaces (a prefix may end with one); numbers, booleans and enums are trimmed.
    const isText = (schema.properties[key] as { type?: unknown }).type === "string";
    raw[key] = isText ? value : value.trim();
  }
  const given = { ...raw }; // as written: TypeBox's conversion changes `raw` in place
  const problem = (name: string, message: string) => {
    const expected = (schema.properties[name] as { description?: string } | undefined)?.description;
    // A required variable not set fails each of its checks (required, then its type): one line says so.
    if (!(name in given) && name in schema.properties) return `${name} is missing${expected ? ` (${expected})` : ""}`;
    const shown = secrets.includes(name) || CREDENTIAL_NAME.test(name) ? "(its value is a secret, not shown)" : `=${JSON.stringify(given[name])}`;
    return `${name}${shown} is invalid: ${message}${expected ? ` (${expected})` : ""}`;
  };
  // TypeBox's conversion truncates "1.5" and "1e3" to 1: a whole number must be written as one.
  const notWhole = Object.keys(raw).filter(
    (key) => (schema.properties[key] as { type?: unknown }).type === "integer" && !/^[+-]?\d+$/.test(raw[key] as string),
  );
  const value = Value.Convert(schema, Value.Default(schema, raw));
  // The usual case, every variable fine, needs one check; walking the errors costs several times more.
  if (notWhole.length === 0 && Value.Check(schema, value)) return value as Static<S>;
  const problems = notWhole.map((name) => problem(name, "Expected a whole number"));
  for (const e of Value.Errors(schema, value)) {
    const name = e.path.replace(/^\//, "").split("/")[0] || "(environment)";
    if (!notWhole.includes(name)) problems.push(problem(name, e.message));
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join("; "), { problems: [...new Set(problems)] });
  return value as Static<S>;
}
