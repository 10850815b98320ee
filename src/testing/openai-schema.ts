/**
 * Validate JSON values against OpenAI's own OpenAPI component schemas
 * (src/testing/openai-schemas.json, see src/testing/README.md).
 *
 *   expectOpenAI("CreateChatCompletionResponse", body); // throws with ajv's errors if invalid
 *   validateOpenAI("Model", value);                      // string[] of errors, [] when valid
 */
import Ajv2020 from "ajv/dist/2020";
import type { ErrorObject, SchemaObject, ValidateFunction } from "ajv/dist/2020";

export type OpenAISchemaName =
  | "ListModelsResponse"
  | "Model"
  | "CreateChatCompletionResponse"
  | "CreateChatCompletionStreamResponse"
  | "CreateEmbeddingResponse"
  | "ErrorResponse"
  | "Response"
  | "ResponseStreamEvent"
  | "ResponseItemList"
  | "TokenCountsResource"
  | "CompactResource"
  | "ConversationResource"
  | "ConversationItemList"
  | "ConversationItem"
  | "DeletedConversationResource"
  | "ResponseWsError";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// Imported, not read from disk: the compiled binary (`ollaix plugin test`) carries it inside.
import fixtureJson from "./openai-schemas.json" with { type: "json" };

const ROOT_ID = "urn:ollaix:openai-components";
const OPENAPI_REF_PREFIX = "#/components/schemas/";

/** Keywords whose value is a map of name -> subschema. */
const SCHEMA_MAP_KEYWORDS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is a subschema (or, for `items`, possibly an array of them). */
const SCHEMA_KEYWORDS = new Set([
  "items",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
]);
/** Keywords whose value is an array of subschemas. */
const SCHEMA_ARRAY_KEYWORDS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Turn an OpenAPI 3.1 component schema (with 3.0 leftovers) into plain JSON Schema 2020-12:
 * - `$ref: "#/components/schemas/X"` -> `$ref: "<ROOT_ID>#/$defs/X"`;
 * - `nullable: true` -> `anyOf: [<schema without nullable>, { type: "null" }]` (this also covers
 *   `enum` and `$ref` siblings, which merely adding "null" to `type` would not);
 * - `nullable: false` is dropped;
 * - draft 2019-09's `$recursiveAnchor` is dropped and `$recursiveRef: "#"` becomes a `$ref` to the
 *   component itself (`self`; CompoundFilter uses them), which ajv's 2020-12 mode does not read.
 * Walks only schema positions, so data such as `example` or property names are left alone.
 * Returns a new value; the input is not mutated.
 */
export function toJsonSchema(schema: Json, self?: string): Json {
  if (!isObject(schema)) return schema; // boolean schemas
  const out: JsonObject = {};
  const walk = (sub: Json) => toJsonSchema(sub, self);
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || key === "$recursiveAnchor") continue;
    if (key === "$recursiveRef" && value === "#" && self !== undefined) {
      out["$ref"] = `${ROOT_ID}#/$defs/${self}`;
    } else if (key === "$ref" && typeof value === "string" && value.startsWith(OPENAPI_REF_PREFIX)) {
      out[key] = `${ROOT_ID}#/$defs/${value.slice(OPENAPI_REF_PREFIX.length)}`;
    } else if (SCHEMA_MAP_KEYWORDS.has(key) && isObject(value)) {
      const map: JsonObject = {};
      for (const [name, sub] of Object.entries(value)) map[name] = walk(sub);
      out[key] = map;
    } else if (SCHEMA_KEYWORDS.has(key)) {
      out[key] = Array.isArray(value) ? value.map(walk) : walk(value);
    } else if (SCHEMA_ARRAY_KEYWORDS.has(key) && Array.isArray(value)) {
      out[key] = value.map(walk);
    } else {
      out[key] = value;
    }
  }
  if (schema["nullable"] !== true) return out;
  const wrapped: JsonObject = { anyOf: [out, { type: "null" }] };
  if (typeof out["description"] === "string") wrapped["description"] = out["description"];
  return wrapped;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<OpenAISchemaName, ValidateFunction>();

function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  const fixture = fixtureJson as unknown as Json;
  const schemas = isObject(fixture) ? fixture["schemas"] : undefined;
  if (!isObject(schemas)) throw new Error('openai-schemas.json: no "schemas" object');

  const $defs: JsonObject = {};
  for (const [name, schema] of Object.entries(schemas)) $defs[name] = toJsonSchema(schema, name);

  const instance = new Ajv2020({
    strict: false, // x-oaiMeta, x-stainless-const, discriminator, deprecated, ... are ignored
    allErrors: true,
    // Formats used by the document. `true` = known but not checked.
    formats: {
      unixtime: true, // integer seconds; `type: integer` already checks it
      float: true,
      uri: true,
      date: /^\d{4}-\d{2}-\d{2}$/,
    },
  });
  const root: SchemaObject = { $id: ROOT_ID, $defs };
  instance.addSchema(root);
  ajv = instance;
  return instance;
}

function getValidator(name: OpenAISchemaName): ValidateFunction {
  const cached = validators.get(name);
  if (cached) return cached;
  const instance = getAjv();
  const validate = instance.compile({ $ref: `${ROOT_ID}#/$defs/${name}` });
  validators.set(name, validate);
  return validate;
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "(root)" : error.instancePath;
  let detail = "";
  if (error.keyword === "enum") detail = ` ${JSON.stringify(error.params["allowedValues"])}`;
  else if (error.keyword === "additionalProperties")
    detail = ` (${JSON.stringify(error.params["additionalProperty"])})`;
  // "urn:…#/$defs/Error/required" -> "Error/required" (schema name + keyword path)
  const schemaPath = error.schemaPath.replace(`${ROOT_ID}#/$defs/`, "");
  return `${where} ${error.message ?? error.keyword}${detail} [${schemaPath}]`;
}

/** Errors (instancePath + message) of `value` against OpenAI's schema `name`; [] when valid. */
export function validateOpenAI(name: OpenAISchemaName, value: unknown): string[] {
  const validate = getValidator(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(formatError);
}

/** Throws a readable error listing ajv's errors when `value` is not a valid OpenAI `name`. */
export function expectOpenAI(name: OpenAISchemaName, value: unknown): void {
  const errors = validateOpenAI(name, value);
  if (errors.length === 0) return;
  let shown = JSON.stringify(value);
  if (shown !== undefined && shown.length > 2000) shown = `${shown.slice(0, 2000)}…`;
  throw new Error(
    `value does not validate against OpenAI schema ${name} (${errors.length} error${errors.length === 1 ? "" : "s"}):\n` +
      errors.map((e) => `  - ${e}`).join("\n") +
      `\nvalue: ${shown}`,
  );
}
