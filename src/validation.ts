import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { ValueError } from "@sinclair/typebox/errors";
import { InvalidRequestError } from "./errors.ts";

/** `/messages/1/role` → `messages[1].role`, the form OpenAI puts in `param`. */
export function toParam(path: string): string {
  let out = "";
  for (const segment of path.split("/")) {
    if (segment === "") continue;
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

function literalValues(schema: TSchema): unknown[] | undefined {
  const variants = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!variants || !variants.every((v) => "const" in v)) return undefined;
  return variants.map((v) => (v as unknown as { const: unknown }).const);
}

/**
 * TypeBox says "Expected union value" for `number | null` and for enums; dig one level into the
 * union so the message says what was wrong (range, type, allowed values).
 */
function explain(error: ValueError): { path: string; message: string } {
  // JSON has no `undefined`: the field is absent. An enum or union reports that as a type error
  // (`got undefined`); OpenAI says "Missing required parameter".
  if (error.value === undefined) return { path: error.path, message: "expected required property" };
  const allowed = literalValues(error.schema);
  if (allowed) {
    return {
      path: error.path,
      message: `expected one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(error.value)}`,
    };
  }
  if (error.errors.length > 0) {
    const candidates: ValueError[] = [];
    for (const iterator of error.errors) {
      const first = iterator.First();
      if (first && (first.schema as { type?: string }).type !== "null") candidates.push(first);
    }
    // The variant that got furthest into the value is the one the client meant.
    candidates.sort((a, b) => b.path.length - a.path.length);
    // Else the variant of the value's own type (an array for an array: `stop` with 5 strings is "at
    // most 4 items", not "not of a supported type"; a probe).
    const ofType = candidates.length > 1 && candidates[0]!.path === error.path ? candidates.filter((c) => (c.schema as { type?: string }).type === jsonTypeOf(error.value)) : [];
    // Several variants of that type refusing it alike (the embeddings input's arrays of strings, of
    // tokens, of token arrays: all past 2,048 items) say it once.
    const alike = ofType.length > 1 && ofType.every((c) => c.message === ofType[0]!.message && c.path === ofType[0]!.path);
    const best = candidates.length === 1 || (candidates[0] && candidates[0].path !== error.path) ? candidates[0] : ofType.length === 1 || alike ? ofType[0] : undefined;
    if (best) return explain(best);
  }
  if ("const" in error.schema) {
    return { path: error.path, message: `expected ${JSON.stringify(error.schema.const)}, got ${describeValue(error.value)}` };
  }
  if (error.message === "Expected union value") {
    return { path: error.path, message: `the value ${describeValue(error.value)} is not of a supported type` };
  }
  return { path: error.path, message: error.message.replace(/^Expected/, "expected") };
}

/** A JSON value's type as a schema names it. */
const jsonTypeOf = (value: unknown): string => (Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "number" ? "number" : typeof value);

/**
 * The first error, except that a wrong `type` beside a missing property of the same object is
 * reported instead (TypeBox lists missing properties first): `{"type": "custom", "custom": {…}}`
 * where only function tools are accepted is a wrong `tools[0].type`, not a missing `tools[0].function`.
 */
function preferKind(errors: Iterable<ValueError>): ValueError | undefined {
  let first: ValueError | undefined;
  let kindOf = "";
  let looked = 0;
  for (const error of errors) {
    if (++looked > 64) break; // a large body with many errors is not walked to its end
    if (first === undefined) {
      if (error.value !== undefined) return error;
      first = error;
      kindOf = `${error.path.slice(0, error.path.lastIndexOf("/"))}/type`;
    } else if (error.path === kindOf && typeof error.value === "string" && "const" in error.schema) {
      return error;
    }
  }
  return first;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export interface Validator<T> {
  /** Returns the value typed, or throws a 400 InvalidRequestError naming the field. */
  assert(value: unknown): T;
}

/**
 * Compiled once, on first use (compiling every route's schema before listening was a good part of
 * the start-up time); per request it is one `Check` call, errors only on failure.
 */
export function compileValidator<S extends TSchema>(schema: S): Validator<S["static"]> {
  let compiled: TypeCheck<S> | undefined;
  return {
    assert(value) {
      const check = (compiled ??= TypeCompiler.Compile(schema));
      if (check.Check(value)) return value;
      const first = preferKind(check.Errors(value));
      if (!first) throw new InvalidRequestError("Invalid request body.");
      const { path, message } = explain(first);
      const param = toParam(path);
      if (message === "expected required property") {
        throw new InvalidRequestError(`Missing required parameter: '${param}'.`, { param });
      }
      throw new InvalidRequestError(param ? `Invalid '${param}': ${message}.` : `Invalid request body: ${message}.`, {
        param: param || null,
      });
    },
  };
}
