import { describe, expect, test } from "bun:test";
import type { Tool } from "../../src/kit.ts";
import { toOllamaTools } from "./convert-tools.ts";

const weather: Tool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the weather in a given city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    strict: true,
  },
};
const time: Tool = { type: "function", function: { name: "get_time" } };
const OLLAMA_WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the weather in a given city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const OLLAMA_TIME = { type: "function", function: { name: "get_time" } };

describe("toOllamaTools", () => {
  test("no tools, no tools field", () => {
    expect(toOllamaTools(undefined, undefined)).toBeUndefined();
    expect(toOllamaTools([], "auto")).toBeUndefined();
  });

  test.each([
    [undefined, [OLLAMA_WEATHER, OLLAMA_TIME]],
    ["auto", [OLLAMA_WEATHER, OLLAMA_TIME]],
    ["required", [OLLAMA_WEATHER, OLLAMA_TIME]],
    ["none", undefined],
    [{ type: "function", function: { name: "get_time" } }, [OLLAMA_TIME]],
  ] as const)("tool_choice %j", (choice, expected) => {
    expect(toOllamaTools([weather, time], choice as never)).toEqual(expected as never);
  });

  test("a named function that is not in tools is a 400", () => {
    expect(() => toOllamaTools([weather], { type: "function", function: { name: "get_time" } })).toThrow(
      expect.objectContaining({ status: 400, param: "tool_choice.function.name", message: "Invalid 'tool_choice': no function named 'get_time' in 'tools'." }),
    );
  });
});
