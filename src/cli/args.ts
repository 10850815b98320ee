import { parseArgs } from "node:util";

/** Variables a flag may set; the environment stays the primary interface, a flag wins over it. */
export interface EnvOverrides {
  PORT?: string;
  HOST?: string;
  OLLAIX_CONFIG?: string;
}

export type Command =
  | { kind: "serve"; env: EnvOverrides }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "healthcheck"; env: EnvOverrides }
  | { kind: "check-config"; env: EnvOverrides }
  | { kind: "models"; env: EnvOverrides }
  | { kind: "plugin-test"; dir: string; model?: string; embeddingModel?: string; env: EnvOverrides };

/** A command line that cannot be run: one line for the user, then exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  healthcheck: { type: "boolean" },
  port: { type: "string" },
  host: { type: "string" },
  config: { type: "string" },
  model: { type: "string" },
  "embedding-model": { type: "string" },
} as const;

/** `util.parseArgs`'s error codes, in words that fit one line. */
function fromParseError(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message?: string };
  const option = message?.match(/'(-[^' ]+)/)?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`unknown option ${option ?? ""}`.trim());
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return new UsageError(option ? `${option} needs a value` : "an option is missing its value");
    default:
      return new UsageError(message?.split("\n")[0] ?? "invalid command line");
  }
}

/** Turns argv (without the executable and script) into one command, or throws a UsageError. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw fromParseError(error);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === "help") return { kind: "help" };
  if (values.version) return { kind: "version" };

  const env: EnvOverrides = {};
  if (values.port !== undefined) env.PORT = values.port;
  if (values.host !== undefined) env.HOST = values.host;
  if (values.config !== undefined) env.OLLAIX_CONFIG = values.config;

  const [name, ...rest] = positionals;
  const onlyFor = (flag: "model" | "embedding-model", command: string) => {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is an option of '${command}' only`);
  };
  const noMore = (command: string, max = 0) => {
    if (rest.length > max) throw new UsageError(`unexpected argument '${rest[max]}' after '${command}'`);
  };

  if (values.healthcheck) {
    if (name !== undefined) throw new UsageError(`--healthcheck takes no command (got '${name}')`);
    onlyFor("model", "plugin test");
    onlyFor("embedding-model", "plugin test");
    return { kind: "healthcheck", env };
  }
  if (name !== "plugin") {
    onlyFor("model", "plugin test");
    onlyFor("embedding-model", "plugin test");
  }
  switch (name) {
    case undefined:
    case "serve":
      noMore("serve");
      return { kind: "serve", env };
    case "check-config": {
      noMore(name, 1);
      if (rest[0] !== undefined) env.OLLAIX_CONFIG = rest[0];
      return { kind: "check-config", env };
    }
    case "models":
      noMore(name);
      return { kind: "models", env };
    case "plugin": {
      if (rest[0] !== "test") throw new UsageError(rest[0] === undefined ? "'plugin' needs a subcommand: plugin test DIR" : `unknown command 'plugin ${rest[0]}'`);
      const dir = rest[1];
      if (dir === undefined) throw new UsageError("'plugin test' needs the plugin's folder or file: plugin test DIR");
      if (rest.length > 2) throw new UsageError(`unexpected argument '${rest[2]}' after 'plugin test ${dir}'`);
      return { kind: "plugin-test", dir, model: values.model, embeddingModel: values["embedding-model"], env };
    }
    default:
      throw new UsageError(`unknown command '${name}'`);
  }
}
