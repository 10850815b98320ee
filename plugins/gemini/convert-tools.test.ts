import { describe, expect, test } from "bun:test";
import type { Tool, ToolChoice } from "../../src/kit.ts";
import { toGeminiToolConfig, toGeminiTools } from "./convert-tools.ts";

const weather: Tool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { city: { type: "string" }, unit: { type: ["string", "null"], enum: ["c", "f", null] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
    strict: true,
  },
};
const noParameters: Tool = { type: "function", function: { name: "get_time" } };
const emptyParameters: Tool = { type: "function", function: { name: "ping", parameters: {} } };

describe("toGeminiTools", () => {
  test("json-schema mode: the schema goes whole to parametersJsonSchema (same object, not copied or changed)", () => {
    const tools = toGeminiTools([weather, noParameters, emptyParameters], "json-schema");
    expect(tools).toEqual([
      {
        functionDeclarations: [
          { name: "get_weather", description: "Current weather for a city", parametersJsonSchema: weather.function.parameters! },
          { name: "get_time" },
          { name: "ping" },
        ],
      },
    ]);
    expect(tools![0]!.functionDeclarations[0]!.parametersJsonSchema).toBe(weather.function.parameters!);
  });

  test("openapi mode: the schema is cleaned into parameters", () => {
    expect(toGeminiTools([weather], "openapi")).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Current weather for a city",
            parameters: {
              type: "OBJECT",
              properties: { city: { type: "STRING" }, unit: { nullable: true, type: "STRING", enum: ["c", "f"] } },
              required: ["city", "unit"],
            },
          },
        ],
      },
    ]);
  });

  test("openapi mode: an object schema without properties declares no parameters", () => {
    const tool: Tool = { type: "function", function: { name: "now", parameters: { type: "object", properties: {}, additionalProperties: false } } };
    expect(toGeminiTools([tool], "openapi")).toEqual([{ functionDeclarations: [{ name: "now" }] }]);
  });

  test("no tools, no Gemini tools", () => {
    expect(toGeminiTools(undefined, "json-schema")).toBeUndefined();
    expect(toGeminiTools([], "json-schema")).toBeUndefined();
  });
});

describe("toGeminiToolConfig", () => {
  test.each<[string, ToolChoice, unknown]>([
    ["auto → AUTO", "auto", { functionCallingConfig: { mode: "AUTO" } }],
    ["none → NONE", "none", { functionCallingConfig: { mode: "NONE" } }],
    ["required → ANY", "required", { functionCallingConfig: { mode: "ANY" } }],
    ["a named function → ANY, allowed to that name only", { type: "function", function: { name: "get_weather" } }, { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } }],
  ])("%s", (_label, choice, expected) => {
    expect(toGeminiToolConfig(choice, [weather])).toEqual(expected as never);
  });

  test("absent: Gemini's default", () => {
    expect(toGeminiToolConfig(undefined, [weather])).toBeUndefined();
  });

  test("auto and none without tools say nothing; required or a name without tools is a 400", () => {
    expect(toGeminiToolConfig("auto", undefined)).toBeUndefined();
    expect(toGeminiToolConfig("none", [])).toBeUndefined();
    expect(() => toGeminiToolConfig("required", undefined)).toThrow(expect.objectContaining({ status: 400, param: "tool_choice" }));
  });

  test("a named function that is not in tools is a 400", () => {
    expect(() => toGeminiToolConfig({ type: "function", function: { name: "nope" } }, [weather])).toThrow(
      expect.objectContaining({ status: 400, param: "tool_choice", message: "'tool_choice' names the function 'nope', which is not in 'tools'." }),
    );
  });
});
