import { ConfigError } from "./env.ts";

/**
 * Start-up's configuration problems from every stage (the file's schema and rules, each plugin's
 * variables and section, the keys' variables), thrown together as one ConfigError: one run of
 * `ollaix check-config` names them all instead of one stage at a time. Those of the OLLAIX_CONFIG
 * file come last, under its one `OLLAIX_CONFIG="<path>":` prefix, whichever stage found them.
 */
export class ConfigProblems {
  readonly #file: string[] = [];
  readonly #other: string[] = [];

  constructor(readonly path: string | undefined) {}

  /** Problems named by their path in the file (`keys[0].rpm: …`), without the prefix. */
  inFile(problems: Iterable<string>): void {
    this.#file.push(...problems);
  }

  /** Problems of the environment or of a plugin's code (`OPENAI_BASE_URL: …`). */
  outsideFile(problems: Iterable<string>): void {
    this.#other.push(...problems);
  }

  /**
   * A plugin's ConfigError: a problem that names the plugin's section (`plugins.<name>.…`) is the
   * file's; any other (its variables) is not.
   */
  ofPlugin(name: string, error: unknown): void {
    const section = `plugins.${name}`;
    for (const problem of problemsOf(error)) {
      const rest = problem.startsWith(section) ? problem.slice(section.length) : undefined;
      if (rest !== undefined && /^[.[:]/.test(rest)) this.inFile([problem]);
      else this.outsideFile([problem]);
    }
  }

  get isEmpty(): boolean {
    return this.#file.length === 0 && this.#other.length === 0;
  }

  throwIfAny(): void {
    if (this.isEmpty) return;
    const other = [...new Set(this.#other)];
    const file = [...new Set(this.#file)];
    const parts = file.length > 0 ? [...other, `OLLAIX_CONFIG=${JSON.stringify(this.path)}: ${file.join("; ")}`] : other;
    throw new ConfigError(parts.join("; "), { problems: [...other, ...file] });
  }
}

/** Whether an error is a ConfigError, this process's or a copy's (a plugin bundled with its own kit). */
export function isConfigError(error: unknown): error is Error {
  return error instanceof ConfigError || (error as Error | null)?.name === "ConfigError";
}

/** A ConfigError's problems one by one; a copy of the class that has none gives its message. */
export function problemsOf(error: unknown): readonly string[] {
  const problems = (error as { problems?: unknown } | null)?.problems;
  if (Array.isArray(problems) && problems.length > 0 && problems.every((p) => typeof p === "string")) return problems as string[];
  return [(error as Error).message];
}
