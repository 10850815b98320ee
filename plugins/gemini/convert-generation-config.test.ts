import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../../src/kit.ts";
import { toGeminiGenerationConfig } from "./convert-generation-config.ts";

const base: ChatRequest = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] };
const config = (extra: Partial<ChatRequest>, mode: "json-schema" | "openapi" = "json-schema") => toGeminiGenerationConfig({ ...base, ...extra }, mode, "gemini-2.5-flash");

describe("toGeminiGenerationConfig", () => {
  test("top_k: Anthropic's extra field, or an Ollama client's option, is Gemini's topK", () => {
    expect(config({ top_k: 5 } as Partial<ChatRequest>)).toEqual({ topK: 5 });
    const ollama = { surface: "ollama", options: { top_k: 3, num_ctx: 4096 } };
    expect(toGeminiGenerationConfig(base, "json-schema", "gemini-2.5-flash", ollama)).toEqual({ topK: 3 });
    // Another surface's options are not read; a value Gemini cannot take is left out.
    expect(toGeminiGenerationConfig(base, "json-schema", "gemini-2.5-flash", { surface: "other", options: { top_k: 3 } })).toEqual({});
    expect(config({ top_k: 0 } as Partial<ChatRequest>)).toEqual({});
    expect(config({ top_k: "5" } as unknown as Partial<ChatRequest>)).toEqual({});
  });

  test("nothing asked, nothing sent", () => {
    expect(config({})).toEqual({});
  });

  test("every sampling field", () => {
    expect(
      config({ max_tokens: 100, temperature: 0.2, top_p: 0.9, stop: ["END", "STOP"], seed: 7, presence_penalty: 0.5, frequency_penalty: -0.5, n: 3 }),
    ).toEqual({
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ["END", "STOP"],
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      candidateCount: 3,
    });
  });

  test("max_completion_tokens wins over max_tokens; a single stop string is a list; zeros are kept", () => {
    expect(config({ max_tokens: 100, max_completion_tokens: 50, stop: "\n\n", temperature: 0, seed: 0 })).toEqual({
      maxOutputTokens: 50,
      stopSequences: ["\n\n"],
      temperature: 0,
      seed: 0,
    });
  });

  test("nulls are absent", () => {
    expect(config({ max_tokens: null, temperature: null, top_p: null, stop: null, seed: null, n: null })).toEqual({});
  });

  describe("response_format", () => {
    const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false };
    test("text: nothing", () => {
      expect(config({ response_format: { type: "text" } })).toEqual({});
    });
    test("json_object: JSON mime type", () => {
      expect(config({ response_format: { type: "json_object" } })).toEqual({ responseMimeType: "application/json" });
    });
    test("json_schema: the schema whole in responseJsonSchema", () => {
      expect(config({ response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } } })).toEqual({
        responseMimeType: "application/json",
        responseJsonSchema: schema,
      });
    });
    test("json_schema for an older model: cleaned into responseSchema", () => {
      expect(config({ response_format: { type: "json_schema", json_schema: { name: "person", schema } } }, "openapi")).toEqual({
        responseMimeType: "application/json",
        responseSchema: { type: "OBJECT", properties: { name: { type: "STRING" } }, required: ["name"] },
      });
    });
    test("json_schema without a schema: JSON mime type only", () => {
      expect(config({ response_format: { type: "json_schema", json_schema: { name: "anything" } } })).toEqual({ responseMimeType: "application/json" });
    });
  });
});
