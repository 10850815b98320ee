import { InvalidRequestError } from "../../src/kit.ts";
import type { JsonObject } from "./wire.ts";

/**
 * JSON Schema → Gemini's `Schema` object (the OpenAPI 3.0 subset of `parameters` and
 * `responseSchema`), for models that do not take full JSON Schema. That object rejects every key it
 * does not know with a 400 ("Invalid JSON payload received. Unknown name \"additionalProperties\""),
 * so what it cannot say is dropped rather than failing the request: `$schema`, `$id`,
 * `additionalProperties`, `not`, `if`/`then`, `patternProperties`, … `$ref`s to local `$defs` /
 * `definitions` are inlined (a cycle stops at an open OBJECT), `allOf` is merged, `oneOf` becomes
 * `anyOf`, `"null"` in a type list or union becomes `nullable`, `const` becomes a one-value enum.
 * Never mutates its input.
 *
 * Inlining copies: a chain of definitions each naming the next twice doubles at every step (a 2 KB
 * schema of 21 of them made 2^21 nodes, held the event loop for 13 s and sent 124 MB upstream). The
 * copy stops at MAX_NODES schema objects with a 400 naming `param`.
 */
export function toGeminiSchema(schema: JsonObject, param: string | null = null, shared: SchemaBudget = schemaBudget()): JsonObject {
  const budget = { left: MAX_NODES, param, shared };
  return convert(schema, schema, [], budget);
}

/** Schema objects one converted schema may hold once its references are inlined: far more than any real tool's. */
export const MAX_NODES = 10_000;
/**
 * What all the converted schemas of one request (its tools and its answer's format) may hold
 * together: schema objects, and characters of the text they copy (descriptions, titles, patterns,
 * property names, enums, defaults and examples). Inlining copies those too: a 356 KB request whose
 * 4,900 properties each named one 200 KB definition built ~980 MB of JSON for the upstream and held
 * the event loop 14.5 s (a security probe), within the node bound.
 */
export const MAX_REQUEST_NODES = 100_000;
export const MAX_REQUEST_SCHEMA_CHARS = 4 * 1024 * 1024;

export interface SchemaBudget {
  nodes: number;
  chars: number;
}

/** One request's budget: its caller makes one and passes it to each of the request's schemas. */
export const schemaBudget = (): SchemaBudget => ({ nodes: MAX_REQUEST_NODES, chars: MAX_REQUEST_SCHEMA_CHARS });

interface Budget {
  left: number;
  param: string | null;
  shared: SchemaBudget;
}

/** Charges `chars` characters of copied text; past the request's budget, the 400. */
function charge(budget: Budget, chars: number): void {
  if ((budget.shared.chars -= chars) < 0) {
    throw new InvalidRequestError(
      `The JSON Schemas are too large for this model once their $refs are inlined (over ${MAX_REQUEST_SCHEMA_CHARS} characters in all): this model takes no references; use fewer or shallower ones.`,
      { param: budget.param },
    );
  }
}

/** A copied value's size in characters: a string's length, anything else its JSON's (kept per object: an inlined default is the same object each time). */
const sizes = new WeakMap<object, number>();
function sizeOf(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value === null || typeof value !== "object") return 8;
  let size = sizes.get(value);
  if (size === undefined) sizes.set(value, (size = JSON.stringify(value)?.length ?? 0));
  return size;
}

const TYPES = new Set(["string", "number", "integer", "boolean", "array", "object"]);

/** Formats the Schema object accepts per type; others were answered 400 by older models. */
const FORMATS: Record<string, readonly string[]> = {
  STRING: ["enum", "date-time"],
  NUMBER: ["float", "double"],
  INTEGER: ["int32", "int64"],
};

/** Keys copied as they are when their value has the expected JSON type. */
const COPIED: [key: string, kind: "string" | "number" | "boolean" | "string[]" | "any"][] = [
  ["title", "string"],
  ["description", "string"],
  ["minItems", "number"],
  ["maxItems", "number"],
  ["minProperties", "number"],
  ["maxProperties", "number"],
  ["minLength", "number"],
  ["maxLength", "number"],
  ["pattern", "string"],
  ["minimum", "number"],
  ["maximum", "number"],
  ["nullable", "boolean"],
  ["propertyOrdering", "string[]"],
  ["default", "any"],
  ["example", "any"],
];

function convert(node: unknown, root: JsonObject, refs: readonly string[], budget: Budget): JsonObject {
  if (--budget.left < 0 || --budget.shared.nodes < 0) {
    const bound = budget.left < 0 ? `over ${MAX_NODES} schemas` : `over ${MAX_REQUEST_NODES} schemas in all of the request's`;
    throw new InvalidRequestError(`The JSON Schema is too large for this model once its $refs are inlined (${bound}): this model takes no references; use fewer or shallower ones.`, { param: budget.param });
  }
  if (!isObject(node)) return {};
  if (typeof node.$ref === "string") return convertRef(node, node.$ref, root, refs, budget);
  const source = Array.isArray(node.allOf) ? mergeAllOf(node, node.allOf, root) : node;
  const out: JsonObject = {};

  const variants = source.anyOf ?? source.oneOf;
  if (Array.isArray(variants)) {
    const nonNull = variants.filter((v) => !(isObject(v) && v.type === "null"));
    if (nonNull.length === 1) {
      // `X | null` is Gemini's `nullable` X, not a one-branch union.
      const { anyOf: _a, oneOf: _o, ...rest } = source;
      const only = isObject(nonNull[0]) ? nonNull[0] : {};
      return { ...convert({ ...rest, ...only }, root, refs, budget), nullable: true };
    }
    if (nonNull.length < variants.length) out.nullable = true;
    if (nonNull.length > 0) out.anyOf = nonNull.map((v) => convert(v, root, refs, budget));
  }

  if (!out.anyOf) {
    const type = source.type;
    const listed = Array.isArray(type) ? type.filter((t): t is string => typeof t === "string") : typeof type === "string" ? [type] : [];
    const real = listed.filter((t) => TYPES.has(t));
    if (listed.includes("null")) out.nullable = true;
    if (real.length === 1) out.type = real[0]!.toUpperCase();
    else if (real.length > 1) out.anyOf = real.map((t) => ({ type: t.toUpperCase() }));
  }

  if (typeof source.format === "string" && typeof out.type === "string" && FORMATS[out.type]?.includes(source.format)) {
    out.format = source.format;
  }
  const values = Array.isArray(source.enum) ? source.enum : "const" in source ? [source.const] : undefined;
  if (values) {
    if (values.includes(null)) out.nullable = true;
    const strings = values.filter((v) => v !== null);
    // The Schema object's enum holds strings only; a numeric enum cannot be said, so it is left out.
    if (strings.length > 0 && strings.every((v) => typeof v === "string")) {
      if (out.type === undefined && out.anyOf === undefined) out.type = "STRING";
      out.enum = strings;
      charge(budget, sizeOf(values));
    }
  }
  for (const [key, kind] of COPIED) {
    const value = source[key];
    if (value === undefined || out[key] !== undefined) continue;
    if (kind === "any" || (kind === "string[]" ? Array.isArray(value) && value.every((v) => typeof v === "string") : typeof value === kind)) {
      out[key] = value;
      if (kind === "string" || kind === "any" || kind === "string[]") charge(budget, sizeOf(value));
    }
  }
  if (out.example === undefined && Array.isArray(source.examples) && source.examples.length > 0) {
    out.example = source.examples[0];
    charge(budget, sizeOf(out.example));
  }

  if (isObject(source.properties)) {
    const properties: JsonObject = {};
    for (const [name, property] of Object.entries(source.properties)) {
      charge(budget, name.length);
      properties[name] = convert(property, root, refs, budget);
    }
    out.properties = properties;
    if (Array.isArray(source.required)) {
      const required = source.required.filter((name): name is string => typeof name === "string" && name in properties);
      if (required.length > 0) out.required = required;
    }
  }
  // A tuple (`prefixItems`, or `items` as an array) has no Schema form: its first element stands in.
  const items = Array.isArray(source.items) ? source.items[0] : (source.items ?? (Array.isArray(source.prefixItems) ? source.prefixItems[0] : undefined));
  if (isObject(items)) out.items = convert(items, root, refs, budget);
  return out;
}

function convertRef(node: JsonObject, ref: string, root: JsonObject, refs: readonly string[], budget: Budget): JsonObject {
  const { $ref: _ref, ...siblings } = node;
  // The Schema object has no references: a recursive type is unrolled once, then left open.
  if (refs.includes(ref)) return { type: "OBJECT", ...pickDescription(siblings) };
  const target = resolveLocalRef(root, ref);
  if (!target) return { ...convert(siblings, root, refs, budget) };
  return convert({ ...target, ...siblings }, root, [...refs, ref], budget);
}

function mergeAllOf(node: JsonObject, allOf: readonly unknown[], root: JsonObject): JsonObject {
  const { allOf: _allOf, ...rest } = node;
  let merged: JsonObject = {};
  for (const part of allOf) {
    if (!isObject(part)) continue;
    const resolved = typeof part.$ref === "string" ? (resolveLocalRef(root, part.$ref) ?? {}) : part;
    const properties = { ...(isObject(merged.properties) ? merged.properties : {}), ...(isObject(resolved.properties) ? resolved.properties : {}) };
    const required = [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(resolved.required) ? resolved.required : [])];
    merged = { ...merged, ...resolved, ...(Object.keys(properties).length > 0 ? { properties } : {}), ...(required.length > 0 ? { required } : {}) };
  }
  return { ...merged, ...rest };
}

/** `#/$defs/Name` or `#/definitions/Name` (JSON Pointer escapes included); anything else is unknown. */
function resolveLocalRef(root: JsonObject, ref: string): JsonObject | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

const pickDescription = (node: JsonObject): JsonObject => (typeof node.description === "string" ? { description: node.description } : {});

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
