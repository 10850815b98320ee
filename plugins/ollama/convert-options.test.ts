import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../../src/kit.ts";
import { toOllamaFormat, toOllamaOptions, toOllamaThink } from "./convert-options.ts";

const base: ChatRequest = { model: "llama3.2", messages: [{ role: "user", content: "Hi" }] };

describe("toOllamaOptions", () => {
  test("nothing set, no options", () => {
    expect(toOllamaOptions(base)).toBeUndefined();
    expect(toOllamaOptions({ ...base, temperature: null, top_p: null, max_tokens: null, stop: null, seed: null })).toBeUndefined();
    for (const top_k of [0, -1, 2.5, "7", null]) expect(toOllamaOptions({ ...base, top_k } as ChatRequest)).toBeUndefined();
  });

  test.each([
    [{ temperature: 0 }, { temperature: 0 }],
    [{ top_p: 0.9 }, { top_p: 0.9 }],
    [{ max_tokens: 100 }, { num_predict: 100 }],
    [{ max_completion_tokens: 64 }, { num_predict: 64 }],
    [{ max_tokens: 100, max_completion_tokens: 64 }, { num_predict: 64 }],
    [{ stop: "\n" }, { stop: ["\n"] }],
    [{ stop: ["\n", "user:"] }, { stop: ["\n", "user:"] }],
    [{ seed: 42 }, { seed: 42 }],
    [{ presence_penalty: 1.5 }, { presence_penalty: 1.5 }],
    [{ frequency_penalty: -1 }, { frequency_penalty: -1 }],
    // Anthropic's top_k (an extra; no OpenAI field), as Gemini takes it.
    [{ top_k: 7 }, { top_k: 7 }],
  ])("%j → %j", (fields, expected) => {
    expect(toOllamaOptions({ ...base, ...fields })).toEqual(expected);
  });
});

describe("toOllamaFormat", () => {
  const schema = { type: "object", properties: { age: { type: "integer" } }, required: ["age"] };
  test.each([
    [undefined, undefined],
    [{ type: "text" }, undefined],
    [{ type: "json_object" }, "json"],
    [{ type: "json_schema", json_schema: { name: "person", schema, strict: true } }, schema],
    [{ type: "json_schema", json_schema: { name: "anything" } }, "json"],
  ] as const)("%j → %j", (format, expected) => {
    expect(toOllamaFormat(format as ChatRequest["response_format"])).toEqual(expected as never);
  });
});

describe("toOllamaThink", () => {
  const gptOss = { family: "gptoss" };
  const listed = { family: "qwen3", thinkLevels: ["low", "medium", "high", "max"] };
  const booleans = { family: "qwen3", thinkLevels: [] };
  test.each([
    [undefined, undefined, undefined],
    [null, gptOss, undefined],
    ["none", gptOss, false],
    ["none", undefined, false],
    // Models that take level names: by /api/show's list, else by the gpt-oss family.
    ["minimal", gptOss, "low"],
    ["low", gptOss, "low"],
    ["medium", gptOss, "medium"],
    ["high", gptOss, "high"],
    ["xhigh", gptOss, "high"],
    ["max", gptOss, "high"],
    ["low", { family: "gpt-oss" }, "low"],
    ["max", listed, "max"],
    ["xhigh", listed, "high"],
    // Every other model (or an unknown one) takes a boolean.
    ["low", booleans, true],
    ["high", { family: "qwen3" }, true],
    ["medium", undefined, true],
  ] as const)("reasoning_effort %j for %j → %j", (effort, traits, expected) => {
    expect(toOllamaThink(effort, traits)).toBe(expected as never);
  });

  test.each([["extreme"], [3], [true]])("%p is a 400 naming reasoning_effort", (effort) => {
    expect(() => toOllamaThink(effort, undefined)).toThrow(expect.objectContaining({ status: 400, param: "reasoning_effort" }));
  });
});
