import type { Static, TObject } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** Start-up configuration that cannot be used. The message names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Reads the variables a TypeBox object schema names from `env`: empty strings count as unset,
 * defaults are applied, strings are converted to the schema's types, and anything that still does
 * not fit throws a ConfigError naming the variable and what it expected.
 */
export function readEnv<S extends TObject>(schema: S, env: EnvSource): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value === undefined || value.trim() === "") continue;
    // Text keeps its spaces (a prefix may end with one); numbers, booleans and enums are trimmed.
    const isText = (schema.properties[key] as { type?: unknown }).type === "string";
    raw[key] = isText ? value : value.trim();
  }
  const value = Value.Convert(schema, Value.Default(schema, raw));
  const problems = [...Value.Errors(schema, value)].map((e) => {
    const name = e.path.replace(/^\//, "").split("/")[0] || "(environment)";
    const got = raw[name];
    const expected = (schema.properties[name] as { description?: string } | undefined)?.description;
    return `${name}=${JSON.stringify(got)} is invalid: ${e.message}${expected ? ` (${expected})` : ""}`;
  });
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join("; "));
  return value as Static<S>;
}
