import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

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
  const compiled = TypeCompiler.Compile(schema);
  return {
    check: (value): value is Static<S> => compiled.Check(value),
    explain(value) {
      const first = compiled.Errors(value).First();
      return first ? `${first.path || "/"}: ${first.message}` : undefined;
    },
    errors: (value) => [...compiled.Errors(value)].map((e) => ({ path: e.path, message: e.message })),
  };
}
