import { describe, expect, test } from "bun:test";
import { MAX_REQUEST_SCHEMA_CHARS, schemaBudget, toGeminiSchema } from "./clean-schema.ts";
import { toGeminiTools } from "./convert-tools.ts";

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};

describe("toGeminiSchema", () => {
  test("an OpenAI strict schema: $schema and additionalProperties go, types are upper-cased", () => {
    const schema = deepFreeze({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        location: { type: "string", description: "City and state, e.g. San Francisco, CA" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        days: { type: "integer", minimum: 1, maximum: 14 },
      },
      required: ["location", "unit", "days"],
      additionalProperties: false,
    });
    expect(toGeminiSchema(schema)).toEqual({
      type: "OBJECT",
      properties: {
        location: { type: "STRING", description: "City and state, e.g. San Francisco, CA" },
        unit: { type: "STRING", enum: ["celsius", "fahrenheit"] },
        days: { type: "INTEGER", minimum: 1, maximum: 14 },
      },
      required: ["location", "unit", "days"],
    });
  });

  test("$ref into $defs and definitions is inlined; siblings of $ref are kept", () => {
    const schema = deepFreeze({
      type: "object",
      properties: {
        home: { $ref: "#/$defs/Address", description: "Where they live" },
        work: { $ref: "#/definitions/Address" },
      },
      $defs: { Address: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
      definitions: { Address: { type: "object", properties: { street: { type: "string" } } } },
    });
    expect(toGeminiSchema(schema)).toEqual({
      type: "OBJECT",
      properties: {
        home: { type: "OBJECT", description: "Where they live", properties: { city: { type: "STRING" } }, required: ["city"] },
        work: { type: "OBJECT", properties: { street: { type: "STRING" } } },
      },
    });
  });

  test("a recursive $ref is unrolled once, then left as an open OBJECT", () => {
    const schema = deepFreeze({
      $ref: "#/$defs/Node",
      $defs: { Node: { type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#/$defs/Node" } } } } },
    });
    expect(toGeminiSchema(schema)).toEqual({
      type: "OBJECT",
      properties: { name: { type: "STRING" }, children: { type: "ARRAY", items: { type: "OBJECT" } } },
    });
  });

  test("null in type lists and unions becomes nullable; oneOf becomes anyOf; const a one-value enum", () => {
    const schema = deepFreeze({
      type: "object",
      properties: {
        nickname: { type: ["string", "null"] },
        age: { anyOf: [{ type: "integer" }, { type: "null" }], description: "years" },
        id: { oneOf: [{ type: "string" }, { type: "integer" }] },
        kind: { const: "user" },
        either: { type: ["string", "number"] },
      },
    });
    expect(toGeminiSchema(schema)).toEqual({
      type: "OBJECT",
      properties: {
        nickname: { nullable: true, type: "STRING" },
        age: { type: "INTEGER", description: "years", nullable: true },
        id: { anyOf: [{ type: "STRING" }, { type: "INTEGER" }] },
        kind: { type: "STRING", enum: ["user"] },
        either: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }] },
      },
    });
  });

  test("allOf is merged, unsupported keywords and formats are dropped, examples gives example", () => {
    const schema = deepFreeze({
      allOf: [
        { type: "object", properties: { a: { type: "string", format: "email" } }, required: ["a"] },
        { properties: { b: { type: "string", format: "date-time", examples: ["2026-01-01T00:00:00Z"] } }, required: ["b"] },
      ],
      not: { type: "null" },
      patternProperties: { "^x-": { type: "string" } },
      $comment: "ignored",
    });
    expect(toGeminiSchema(schema)).toEqual({
      type: "OBJECT",
      properties: {
        a: { type: "STRING" },
        b: { type: "STRING", format: "date-time", example: "2026-01-01T00:00:00Z" },
      },
      required: ["a", "b"],
    });
  });

  test("numeric enums cannot be said and are left out; required names unknown properties are dropped", () => {
    const schema = deepFreeze({ type: "object", properties: { level: { type: "integer", enum: [1, 2, 3] } }, required: ["level", "ghost"] });
    expect(toGeminiSchema(schema)).toEqual({ type: "OBJECT", properties: { level: { type: "INTEGER" } }, required: ["level"] });
  });

  test("tuples keep their first item schema", () => {
    expect(toGeminiSchema({ type: "array", prefixItems: [{ type: "number" }, { type: "string" }] })).toEqual({ type: "ARRAY", items: { type: "NUMBER" } });
    expect(toGeminiSchema({ type: "array", items: [{ type: "boolean" }] })).toEqual({ type: "ARRAY", items: { type: "BOOLEAN" } });
  });
});

describe("a schema whose references double at each step (a security probe: 2 KB → 2^21 nodes)", () => {
  /** Definitions d0…dN, each naming the next twice: inlined, 2^N copies of the last. */
  const bomb = (n: number) => {
    const $defs: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) $defs[`d${i}`] = { type: "object", properties: { a: { $ref: `#/$defs/d${i + 1}` }, b: { $ref: `#/$defs/d${i + 1}` } } };
    $defs[`d${n}`] = { type: "string" };
    return { type: "object", properties: { root: { $ref: "#/$defs/d0" } }, $defs };
  };

  test("is refused with a 400 naming the field, long before it is copied out; one within the bound is inlined whole", () => {
    let refused: unknown;
    try {
      toGeminiSchema(bomb(30), "tools[0].function.parameters");
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ status: 400, param: "tools[0].function.parameters" });
    expect(String((refused as Error).message)).toContain("$refs");
    // 2^8 leaves: well within the bound, and every one of them there.
    const small = JSON.stringify(toGeminiSchema(bomb(8)));
    expect(small.split('"STRING"').length - 1).toBe(256);
  });
});

describe("one request's schemas are bounded in what their inlining copies (a security probe: 356 KB in, ~980 MB of JSON upstream)", () => {
  /** 300 properties each naming one definition of 20,000 characters of description: ~6 MB once inlined. */
  const copying = () => ({
    type: "object",
    properties: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, { $ref: "#/$defs/D" }])),
    $defs: { D: { type: "string", description: "D".repeat(20_000) } },
  });

  test("past MAX_REQUEST_SCHEMA_CHARS of copied text, the 400 naming the schema", () => {
    expect(() => toGeminiSchema(copying(), "tools[0].function.parameters")).toThrow(
      expect.objectContaining({ status: 400, param: "tools[0].function.parameters", message: expect.stringContaining(`over ${MAX_REQUEST_SCHEMA_CHARS} characters in all`) }),
    );
  });

  test("the budget is the request's: schemas that fit one by one do not fit together", () => {
    const half = { type: "object", properties: Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`p${i}`, { $ref: "#/$defs/D" }])), $defs: { D: { type: "string", description: "D".repeat(20_000) } } };
    expect(() => toGeminiSchema(half)).not.toThrow();
    const tools = [0, 1].map((i) => ({ type: "function" as const, function: { name: `t${i}`, parameters: half } }));
    expect(() => toGeminiTools(tools, "openapi", schemaBudget())).toThrow(expect.objectContaining({ status: 400, param: "tools[1].function.parameters" }));
  });
});
