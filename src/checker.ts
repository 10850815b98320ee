import type { Static, TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { UpstreamError } from "./errors.ts";

export interface Checker<T> {
  /** True when the value fits the schema (compiled once, cheap per call). */
  check(value: unknown): value is T;
  /** `/path: message` of the first mismatch, for an error message; undefined when it fits. */
  explain(value: unknown): string | undefined;
  /** Every mismatch (for configuration, where all problems are reported at once). */
  errors(value: unknown): { path: string; message: string }[];
}

/**
 * A compiled TypeBox check, for plugins that verify upstream JSON where they parse it (a
 * malformed answer becomes an UpstreamError, not a crash three calls later).
 */
export function createChecker<S extends TSchema>(schema: S): Checker<Static<S>> {
  // Compiled on first use, not at start-up (plugins build their checkers when they load).
  let compiled: TypeCheck<S> | undefined;
  const checker = () => (compiled ??= TypeCompiler.Compile(schema));
  return {
    check: (value): value is Static<S> => checker().Check(value),
    explain(value) {
      const first = checker().Errors(value).First();
      return first ? `${first.path || "/"}: ${first.message}` : undefined;
    },
    errors: (value) => [...checker().Errors(value)].map((e) => ({ path: e.path, message: e.message })),
  };
}

export interface UpstreamParserOptions {
  /** Which provider speaks, in messages: `Ollama`, `Gemini`, `The upstream openai`. */
  provider: string;
  /** What the value should be, in messages: `a chat response`, `a model list`. */
  what: string;
  /** Runs first: throws when the value is the upstream's own error body instead of an answer. */
  rejectError?: (value: unknown) => void;
}

/**
 * The one parser factory for upstream JSON: a compiled check of the documented (partial, open)
 * shape; a value that does not fit is a 502 UpstreamError naming the provider and where it differs.
 */
export function createUpstreamParser<S extends TSchema>(schema: S, o: UpstreamParserOptions): (value: unknown) => Static<S> {
  const checker = createChecker(schema);
  return (value) => {
    o.rejectError?.(value);
    if (checker.check(value)) return value;
    const first = checker.explain(value);
    throw new UpstreamError(`${o.provider} sent ${o.what} that does not match its documented format${first ? ` (${first})` : ""}.`);
  };
}
